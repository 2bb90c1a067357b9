from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Reminders that reach people (issue 18): above assessment, whose kinds
    it reminds of too, below the pages that compose the apps."""

    verbose_name = "提醒通知"
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
