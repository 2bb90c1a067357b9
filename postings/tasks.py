from celery import shared_task

from . import services


@shared_task
def sweep_midterm_reminders() -> int:
    """Deprecated: no longer scheduled; the reminder ladder's daily sweep
    (notifications.tasks.sweep_notifications) reminds of mid-term reviews
    with every other obligation."""
    return services.reminders_sweep_midterm()
