from django.urls import path

from . import views, views_notes, views_obligations

# Composed in guazhi/urls.py into the namespaces of the apps whose pages these
# are: the cadre pages under /cadres/, the posting page under /postings/.
cadre_urlpatterns = [
    path("", views.cadre_list, name="list"),
    path("export.xlsx", views.cadre_export, name="export"),
    path("new/", views.cadre_create, name="create"),
    path("me/", views.my_dossier, name="my_dossier"),
    path("<int:pk>/", views.cadre_detail, name="detail"),
    path("<int:pk>/edit/", views.cadre_edit, name="edit"),
    path("<int:pk>/print/", views.dossier_print, name="dossier_print"),
    path("<int:pk>/dossier.xlsx", views.dossier_export, name="dossier_export"),
    # Before records' notes/<...> URLs: the list reads the obligations.
    path("notes/", views_notes.note_list, name="note_list"),
]

posting_urlpatterns = [
    path("<int:pk>/", views.posting_detail, name="detail"),
]

# The "obligations" namespace (/obligations/), composed in guazhi/urls.py.
obligation_urlpatterns = [
    path("", views_obligations.obligation_list, name="list"),
    path("overdue.xlsx", views_obligations.overdue_export, name="overdue_export"),
    path("<int:pk>/waive/", views_obligations.obligation_waive, name="waive"),
    path("compliance/", views_obligations.jurisdiction_compliance, name="compliance"),
    path("notes/", views_obligations.note_compliance, name="note_compliance"),
    path(
        "notes.xlsx",
        views_obligations.note_compliance_export,
        name="note_compliance_export",
    ),
]
