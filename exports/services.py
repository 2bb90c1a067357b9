"""Queueing, writing and expiring background exports."""

import datetime as dt
import hashlib
import json
import logging
import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guazhi.excel import write_sheets

from . import kinds
from .models import ExportJob

log = logging.getLogger(__name__)


def scope_of(user) -> str:
    """A fingerprint of what decides the rows `user` may see (the querysets'
    `visible_to`: the role, the unit and where it stands in the tree, the
    cadre an account is; the active and staff flags): a file written under
    one fingerprint is withheld under another."""
    unit = user.unit
    parts = [
        user.role,
        str(user.unit_id or ""),
        unit.path if unit is not None else "",
        str(user.cadre_id or ""),
        "1" if user.is_active else "0",
        "1" if user.is_staff else "0",
        "1" if user.is_superuser else "0",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def in_scope(job: ExportJob) -> bool:
    """Whether the job's requester may still have what it holds."""
    return job.user.is_active and bool(job.scope) and job.scope == scope_of(job.user)


# A job running longer than this is taken for one whose worker died: it no
# longer holds back the same request (export_job_queue).
STALE = dt.timedelta(hours=1)


def parameters_digest(parameters: dict, scope: str) -> str:
    """What identifies a request: what of the list's parameters decides the
    rows (kinds.Kind.reads, name -> value), as asked under `scope`. The same
    digest while a job runs joins that job."""
    text = json.dumps([parameters, scope], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _running(*, user, kind: str, digest: str) -> ExportJob | None:
    return (
        ExportJob.objects.filter(
            user=user,
            kind=kind,
            digest=digest,
            status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
        )
        .order_by("pk")
        .first()
    )


def _give_up_if_stale(job: ExportJob) -> bool:
    """Mark `job` failed if it has been running longer than STALE (its worker
    died); whether it was."""
    if (
        job.status != ExportJob.Status.RUNNING
        or job.created_at > timezone.now() - STALE
    ):
        return False
    return bool(
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED,
            error=_("生成超时，已停止。请重新导出。"),
            finished_at=timezone.now(),
        )
    )


@transaction.atomic
def export_job_queue(
    *, user, kind: str, parameters: dict, total: int
) -> tuple[ExportJob, bool]:
    """A job for export `kind` of `user` under the list's `parameters`, and
    whether it is new; the task is queued once the job is committed. The
    same request while its job is queued or running gets that job (a second
    click, a reload), also when two arrive together (the constraint)."""
    from . import tasks  # tasks imports this module

    scope = scope_of(user)
    found = kinds.KINDS[kind]
    digest = parameters_digest(found.reads(kinds.query_of(parameters)), scope)
    existing = _running(user=user, kind=kind, digest=digest)
    if existing is not None and not _give_up_if_stale(existing):
        return existing, False
    if found.cutoff is not None:
        parameters = {**parameters, kinds.CUTOFF: found.cutoff()}
    now = timezone.localtime()
    job = ExportJob(
        user=user,
        kind=kind,
        parameters=parameters,
        digest=digest,
        scope=scope,
        total=total,
        filename=f"{kinds.KINDS[kind].label}-{now:%Y%m%d-%H%M}.xlsx",
    )
    job.full_clean(validate_constraints=False)  # the insert checks the one
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        # The same request committed its job in between (and it may have
        # finished since): the newest job of that request.
        existing = (
            ExportJob.objects.filter(user=user, kind=kind, digest=digest)
            .order_by("-pk")
            .first()
        )
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
    return job, True


def _drop_file(job: ExportJob, status: str, **fields) -> ExportJob:
    """Save `job` with `status` and no file, then remove the file once that
    is committed: a save that fails keeps the job and its file together."""
    name, storage = job.file.name, job.file.storage
    with transaction.atomic():
        job.status, job.file = status, ""
        for field, value in fields.items():
            setattr(job, field, value)
        job.save(update_fields=["status", "file", *fields])
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    return job


def withdraw(job: ExportJob) -> ExportJob:
    """Withhold the job's file: its requester's scope has changed."""
    return _drop_file(
        job,
        ExportJob.Status.WITHDRAWN,
        error=_(
            "账号的角色、单位、权限或状态已变更，文件按原来的数据范围生成，已撤回。请重新导出。"
        ),
        finished_at=job.finished_at or timezone.now(),
    )


def withdraw_out_of_scope(user) -> int:
    """Withdraw `user`'s finished files written under another scope than
    theirs now; how many. The pages of the jobs call it before they show
    one, so that a file is never offered, let alone served, out of scope."""
    current = scope_of(user) if user.is_active else None
    stale = ExportJob.objects.filter(user=user, status=ExportJob.Status.DONE)
    if current is not None:
        stale = stale.exclude(scope=current)
    n = 0
    for job in stale:
        withdraw(job)
        n += 1
    return n


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the job's file, telling the job how many rows are written as it
    goes. Run again after an interruption (acks_late), it starts over; a job
    already finished is left as it is."""
    job = ExportJob.objects.select_related("user__unit").get(pk=job_id)
    if not job.running:
        return job
    if not in_scope(job):  # changed since it was queued: write nothing
        return withdraw(job)
    job.status, job.done = ExportJob.Status.RUNNING, 0
    job.save(update_fields=["status", "done"])
    jobs = ExportJob.objects.filter(pk=job.pk)

    def progress(rows: int) -> None:
        jobs.update(done=F("done") + rows)

    try:
        sheets = kinds.sheets_of(job.kind, job.user, job.parameters)
        with tempfile.TemporaryFile() as out:
            rows = write_sheets(sheets, out, progress=progress)
            out.seek(0)
            job.file.save(f"{job.pk}.xlsx", File(out), save=False)
    except (PermissionDenied, ValidationError) as exc:  # said, not logged
        said = "；".join(exc.messages) if isinstance(exc, ValidationError) else exc
        job.status, job.error = ExportJob.Status.FAILED, str(said)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    except Exception as exc:  # the page shows it; the worker's log has the rest
        log.exception("export job %s failed", job.pk)
        job.status, job.error = ExportJob.Status.FAILED, str(exc)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status, job.done, job.total = ExportJob.Status.DONE, rows, rows
    job.finished_at = timezone.now()
    try:  # the file and the job's status in one UPDATE; no file without it
        job.save(update_fields=["status", "done", "total", "file", "finished_at"])
    except Exception:
        job.file.storage.delete(job.file.name)
        raise
    return job


def export_jobs_expire(*, now=None) -> int:
    """Remove the files of jobs past their day; the jobs stay, marked expired
    (what was exported, by whom, stays on record). The number expired."""
    n = 0
    over = [ExportJob.Status.EXPIRED, ExportJob.Status.WITHDRAWN]  # no file left
    for job in ExportJob.objects.expired(now).exclude(status__in=over):
        _drop_file(job, ExportJob.Status.EXPIRED)
        n += 1
    return n
