from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    verbose_name = "考核"
    name = "assessment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from records import kinds

        from .dossier import ASSESSMENT_KIND

        kinds.register(ASSESSMENT_KIND)

        from . import obligations

        obligations.register_all()
