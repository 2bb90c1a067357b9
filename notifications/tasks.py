"""The reminder ladder's tasks (issue 18): they take ids and call a service.
Queued after commit; acks_late (settings), so a killed worker's task runs
again, which the services make harmless. Retries back off up to ten minutes,
well under the broker's visibility timeout (an hour on Redis)."""

from celery import shared_task
from django.conf import settings

from . import services

RETRY_BACKOFF_MAX = 600
MAX_RETRIES = 5


@shared_task(acks_late=True)
def sweep_notifications() -> int:
    """The daily sweep (beat, 07:00 Asia/Shanghai by default)."""
    return services.sweep().claimed


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_notifications(self, notification_ids: list[int]) -> int:
    """Email one recipient the notifications `notification_ids`."""
    final = self.request.retries >= self.max_retries
    try:
        return services.deliver_email(ids=notification_ids, final=final)
    except services.DeliveryFailed as exc:
        if final:
            return 0
        base = settings.NOTIFICATION_RETRY_SECONDS
        countdown = min(RETRY_BACKOFF_MAX, base * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc
