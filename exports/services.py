"""Queueing, writing and expiring background exports."""

import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from guazhi.excel import write_sheets

from . import kinds
from .models import ExportJob

log = logging.getLogger(__name__)


@transaction.atomic
def export_job_queue(*, user, kind: str, parameters: dict, total: int) -> ExportJob:
    """A job for export `kind` of `user` under the list's `parameters`; the
    task is queued once the job is committed."""
    from . import tasks  # tasks imports this module

    now = timezone.localtime()
    job = ExportJob(
        user=user,
        kind=kind,
        parameters=parameters,
        total=total,
        filename=f"{kinds.KINDS[kind].label}-{now:%Y%m%d-%H%M}.xlsx",
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the job's file, telling the job how many rows are written as it
    goes. Run again after an interruption (acks_late), it starts over; a job
    already finished is left as it is."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not job.running:
        return job
    job.status, job.done = ExportJob.Status.RUNNING, 0
    job.save(update_fields=["status", "done"])
    jobs = ExportJob.objects.filter(pk=job.pk)

    def progress(rows: int) -> None:
        jobs.update(done=F("done") + rows)

    try:
        request = kinds.request_for(job.user, job.parameters)
        sheets = kinds.KINDS[job.kind].sheets(request)
        with tempfile.TemporaryFile() as out:
            rows = write_sheets(sheets, out, progress=progress)
            out.seek(0)
            job.file.save(f"{job.pk}.xlsx", File(out), save=False)
    except Exception as exc:  # the page shows it; the worker's log has the rest
        log.exception("export job %s failed", job.pk)
        job.status, job.error = ExportJob.Status.FAILED, str(exc)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status, job.done, job.total = ExportJob.Status.DONE, rows, rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "total", "file", "finished_at"])
    return job


def export_jobs_expire(*, now=None) -> int:
    """Remove the files of jobs past their day; the jobs stay, marked expired
    (what was exported, by whom, stays on record). The number expired."""
    n = 0
    for job in ExportJob.objects.expired(now).exclude(status=ExportJob.Status.EXPIRED):
        if job.file:
            job.file.delete(save=False)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status", "file"])
        n += 1
    return n
