from celery import shared_task

from . import services


@shared_task
def propose_rounds() -> int:
    """Mid-term and final rounds for postings that reached those dates."""
    return services.rounds_propose()
