from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.structure_page, name="structure"),
    path("structure.xlsx", views.structure_export, name="structure_export"),
    path("effect/", views.effect_page, name="effect"),
    path("effect.xlsx", views.effect_export, name="effect_export"),
    path("records/", views.record_list, name="records"),
    path("exchange/", views.exchange_page, name="exchange"),
    path("exchange.xlsx", views.exchange_export, name="exchange_export"),
    path("exchange/names/", views.exchange_names, name="exchange_names"),
    path("exchange/new/", views.exchange_create, name="exchange_create"),
    path(
        "exchange/cadre/<int:pk>/",
        views.exchange_history,
        name="exchange_history",
    ),
]
