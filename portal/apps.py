from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that compose the apps below: the cadre pages with the dossier
    timeline, the posting page, and the demo data. No app imports this one."""

    verbose_name = "综合页面"
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"
