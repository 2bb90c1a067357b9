from django.apps import AppConfig


class CadresConfig(AppConfig):
    verbose_name = "干部与单位"
    name = "cadres"
    default_auto_field = "django.db.models.BigAutoField"
