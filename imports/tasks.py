from celery import shared_task

from . import services


@shared_task(acks_late=True)
def commit_import(job_id: int) -> str:
    """Commit an upload; run again after an interruption, it writes the
    whole file once (services.job_commit)."""
    return services.job_commit(job_id=job_id).status
