from celery import shared_task

from . import services


@shared_task
def sweep_obligations() -> int:
    """Create the obligations that fell due, close those fulfilled."""
    result = services.sweep()
    return result.created + result.closed
