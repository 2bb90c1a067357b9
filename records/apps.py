from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The dossier's records (一人一档), above postings and below assessment."""

    verbose_name = "挂职档案记录"
    name = "records"
    default_auto_field = "django.db.models.BigAutoField"
