from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "统计分析"

    def ready(self):
        from portal.signals import demo_seeded

        from .demo import build_exchanges

        demo_seeded.connect(build_exchanges, dispatch_uid="analytics_demo_exchanges")
