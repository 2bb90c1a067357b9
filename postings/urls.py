from django.urls import path

from . import views

app_name = "postings"
urlpatterns = [
    path("", views.posting_list, name="list"),
    path("export.xlsx", views.posting_export, name="export"),
    path("new/", views.posting_create, name="create"),
    path("<int:pk>/", views.posting_detail, name="detail"),
    path("<int:pk>/edit/", views.posting_edit, name="edit"),
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        views.notifications_read_all,
        name="notifications_read_all",
    ),
]
