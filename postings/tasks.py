from celery import shared_task

from . import services


@shared_task
def sweep_midterm_reminders() -> int:
    return services.reminders_sweep_midterm()
