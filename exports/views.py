"""The background exports' pages: each job's progress (an htmx fragment polled
while it runs), its download, and the user's recent jobs. Only the user who
asked sees a job: anyone else gets a 404."""

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

import audit
from guazhi.excel import XLSX_CONTENT_TYPE
from guazhi.http import AuthenticatedHttpRequest, attachment_disposition

from . import kinds, services
from .models import ExportJob

RECENT = 20


def queue_for(kind: str):
    """The function guazhi.excel.in_background calls for export `kind`: it
    queues the job, records the export, and shows the job's page."""

    def queue(request: AuthenticatedHttpRequest, rows: int, path: dict):
        # The URL's path names what it exports (a round): kept as a parameter
        # (kinds.KINDS reads it), over any query parameter of that name.
        parameters = {name: request.GET.getlist(name) for name in request.GET}
        parameters.update({name: [str(value)] for name, value in path.items()})
        # The job and its record together: no job runs unrecorded (its task
        # is queued when both are committed).
        with transaction.atomic():
            job, new = services.export_job_queue(
                user=request.user, kind=kind, parameters=parameters, total=rows
            )
            if not new:  # asked again while it runs: its page, recorded once
                messages.info(request, _("同样的导出正在生成，请等待完成。"))
                return redirect(job)
            audit.record(
                request,
                "export",
                target=_("%(label)s（后台导出 #%(pk)s）")
                % {"label": kinds.KINDS[kind].label, "pk": job.pk},
                details={
                    "filters": audit.query_of(request),
                    "job": job.pk,
                    **({"path": path} if path else {}),
                },
                rows=rows,
            )
        return redirect(job)

    return queue


def _job(request: AuthenticatedHttpRequest, pk: int) -> ExportJob:
    """The user's job; a file written under another scope than the user's
    now is withdrawn first (services.withdraw_out_of_scope)."""
    services.withdraw_out_of_scope(request.user)
    job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)
    if job.status == ExportJob.Status.DONE and not kinds.KINDS[job.kind].allowed(
        request
    ):  # e.g. the audit trail's view permission taken away since
        services.withdraw(job)
    return job


def job_status(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    if request.headers.get("HX-Request"):
        return render(request, "exports/_progress.html", {"job": job})
    return render(request, "exports/job_status.html", {"job": job})


def job_download(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    if job.status == ExportJob.Status.WITHDRAWN:  # say why, not only 404
        return render(request, "exports/job_status.html", {"job": job}, status=404)
    if not job.downloadable:
        raise Http404(_("文件不存在或已过期。"))
    response = FileResponse(job.file.open("rb"), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_disposition(job.filename)
    return response


def job_list(request: AuthenticatedHttpRequest):
    services.withdraw_out_of_scope(request.user)
    jobs = ExportJob.objects.visible_to(request.user)[:RECENT]
    return render(request, "exports/job_list.html", {"jobs": jobs})
