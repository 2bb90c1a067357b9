from django.apps import AppConfig


class PostingsConfig(AppConfig):
    verbose_name = "挂职"
    name = "postings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Cadre and posting lookups: their scope is decided here (apps one way).
        from .lookups import register_all

        register_all()
