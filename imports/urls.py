from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/", views.template, name="template"),
    path("first-password/", views.first_password, name="first_password"),
    path("<int:pk>/", views.preview, name="preview"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/errors/", views.errors, name="errors"),
]
