from django.urls import path

from . import views

# Composed in guazhi/urls.py into the namespaces of the apps whose pages these
# are: the cadre pages under /cadres/, the posting page under /postings/.
cadre_urlpatterns = [
    path("", views.cadre_list, name="list"),
    path("new/", views.cadre_create, name="create"),
    path("me/", views.my_dossier, name="my_dossier"),
    path("<int:pk>/", views.cadre_detail, name="detail"),
    path("<int:pk>/edit/", views.cadre_edit, name="edit"),
    path("<int:pk>/print/", views.dossier_print, name="dossier_print"),
    path("<int:pk>/dossier.xlsx", views.dossier_export, name="dossier_export"),
]

posting_urlpatterns = [
    path("<int:pk>/", views.posting_detail, name="detail"),
]
