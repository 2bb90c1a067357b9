from django.urls import path

from . import views

# Composed with the pages above cadres into the "cadres" namespace (/cadres/)
# in guazhi/urls.py.
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("lookup/", views.lookup, name="lookup"),
]
