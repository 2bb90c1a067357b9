from django.urls import path

from . import views

app_name = "cadres"
urlpatterns = [
    path("", views.cadre_list, name="list"),
    path("new/", views.cadre_create, name="create"),
    path("<int:pk>/", views.cadre_detail, name="detail"),
    path("<int:pk>/edit/", views.cadre_edit, name="edit"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("notes/", views.note_list, name="note_list"),
    path("notes/new/<int:posting_pk>/", views.note_create, name="note_create"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
]
