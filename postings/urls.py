from django.urls import path

from . import views

# Composed with the posting page (portal) into the "postings" namespace in
# guazhi/urls.py.
urlpatterns = [
    path("", views.posting_list, name="list"),
    path("export.xlsx", views.posting_export, name="export"),
    path("new/", views.posting_create, name="create"),
    path("<int:pk>/edit/", views.posting_edit, name="edit"),
    path(
        "<int:pk>/transition/<slug:action>/",
        views.posting_transition,
        name="transition",
    ),
    path("<int:pk>/extend/", views.posting_extend, name="extend"),
    path("<int:pk>/assignments/new/", views.assignment_add, name="assignment_add"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/edit/", views.batch_edit, name="batch_edit"),
    path("batches/<int:pk>/summary.xlsx", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/nominations/", views.nomination_add, name="nomination_add"),
    path("batches/<int:pk>/posts/", views.open_post_add, name="open_post_add"),
    path("batches/<int:pk>/placement/", views.placement, name="placement"),
    path(
        "nominations/<int:pk>/score/", views.nomination_score, name="nomination_score"
    ),
    path(
        "nominations/<int:pk>/decide/",
        views.nomination_decide,
        name="nomination_decide",
    ),
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
