from django.apps import AppConfig


class PostingsConfig(AppConfig):
    verbose_name = "挂职"
    name = "postings"
    default_auto_field = "django.db.models.BigAutoField"
