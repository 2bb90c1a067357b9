from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_export(job_id: int) -> str:
    """Write a background export's file (services.export_job_run)."""
    return services.export_job_run(job_id=job_id).status


@shared_task(acks_late=True)
def expire_exports() -> int:
    """Daily: remove the files of exports older than a day."""
    return services.export_jobs_expire()
