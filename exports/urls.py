from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:pk>/", views.job_status, name="status"),
    path("<int:pk>/download/", views.job_download, name="download"),
]
