from django.urls import path

from . import views

# In the "cadres" namespace (/cadres/), composed in guazhi/urls.py: the URLs
# kept their names when the records moved out of the cadres app.
urlpatterns = [
    path("notes/lock/", views.note_month_lock, name="note_month_lock"),
    path("notes/new/<int:posting_pk>/", views.note_create, name="note_create"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path(
        "logs/new/<int:posting_pk>/",
        views.record_create,
        {"record": "worklog"},
        name="worklog_create",
    ),
    path(
        "logs/<int:pk>/edit/",
        views.record_edit,
        {"record": "worklog"},
        name="worklog_edit",
    ),
    path(
        "talks/new/<int:posting_pk>/",
        views.record_create,
        {"record": "talk"},
        name="talk_create",
    ),
    path(
        "talks/<int:pk>/edit/", views.record_edit, {"record": "talk"}, name="talk_edit"
    ),
    path(
        "trainings/new/<int:posting_pk>/",
        views.record_create,
        {"record": "training"},
        name="training_create",
    ),
    path(
        "trainings/<int:pk>/edit/",
        views.record_edit,
        {"record": "training"},
        name="training_edit",
    ),
    path(
        "commendations/new/<int:posting_pk>/",
        views.record_create,
        {"record": "commendation"},
        name="commendation_create",
    ),
    path(
        "commendations/<int:pk>/edit/",
        views.record_edit,
        {"record": "commendation"},
        name="commendation_edit",
    ),
    path(
        "visits/new/<int:posting_pk>/",
        views.record_create,
        {"record": "visit"},
        name="visit_create",
    ),
    path(
        "visits/<int:pk>/edit/",
        views.record_edit,
        {"record": "visit"},
        name="visit_edit",
    ),
    path(
        "support/new/<int:posting_pk>/",
        views.record_create,
        {"record": "support"},
        name="support_create",
    ),
    path(
        "support/<int:pk>/resolve/",
        views.record_settle,
        {"record": "support"},
        name="support_resolve",
    ),
    path("reports/new/<int:posting_pk>/", views.report_create, name="report_create"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("warnings/new/<int:posting_pk>/", views.warning_create, name="warning_create"),
    path(
        "warnings/<int:pk>/revoke/",
        views.record_settle,
        {"record": "warning"},
        name="warning_revoke",
    ),
    path("appraisal/<int:posting_pk>/", views.appraisal_edit, name="appraisal_edit"),
    path("symposia/new/", views.symposium_create, name="symposium_create"),
    path("history/<str:kind>/<int:pk>/", views.record_history, name="history"),
]
