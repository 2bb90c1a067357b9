from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = "后台导出"

    def ready(self):
        # The lower apps' export views ask guazhi.excel.in_background; the
        # queueing lives here, above them (STYLE.md, "Apps point one way").
        from guazhi.excel import register_background

        from . import kinds, views

        for kind in kinds.KINDS:
            register_background(kind, views.queue_for(kind))
