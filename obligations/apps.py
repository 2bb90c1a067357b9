from django.apps import AppConfig
from django.db.models.signals import post_save


class ObligationsConfig(AppConfig):
    """What each party owes (issue 17): above records, below assessment."""

    verbose_name = "待办事项"
    name = "obligations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import kinds, services

        kinds.register_all()
        # Any model's save: the handler closes what a record named in a kind's
        # `closed_by` fulfils (assessment registers its kinds after this runs).
        post_save.connect(services.close_on_save, dispatch_uid="obligations_close")
