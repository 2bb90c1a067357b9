"""Upload → preview (nothing written) → commit, for org staff and admins.

An upload is its uploader's alone (ImportJob.objects.visible_to); what a row
may touch is decided by the checks with the uploader's scope, exactly as the
forms decide it.
"""

from constance import config
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import audit
from guazhi.excel import xlsx_response
from guazhi.http import AuthenticatedHttpRequest

from . import services, tasks, workbooks
from .checks import ACTION_LABELS, SAME
from .forms import CommitForm, MappingForm, UploadForm
from .models import ImportJob
from .spec import SPECS

# Rows of the preview table shown; errors and warnings are always all listed.
PREVIEW_ROWS = 1000


def _job(request, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    """The template or the error rows as a download (RFC 6266, as every export)."""
    return xlsx_response(data, filename)


@require_http_methods(["GET", "POST"])
def index(request: AuthenticatedHttpRequest):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.job_create(
            user=request.user,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
        return redirect(job)
    jobs = ImportJob.objects.visible_to(request.user).defer("data")[:10]
    return render(
        request,
        "imports/index.html",
        {"form": form, "specs": SPECS.values(), "jobs": jobs},
    )


def template(request: AuthenticatedHttpRequest):
    kind = request.GET.get("kind", "cadres")
    spec = SPECS.get(kind)
    if spec is None:
        raise Http404
    return _xlsx(
        workbooks.template(kind), _("%(label)s导入模板.xlsx") % {"label": spec.label}
    )


@require_http_methods(["GET", "POST"])
def preview(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    if job.status == ImportJob.Status.DONE:
        return redirect("imports:status", pk=job.pk)
    result = services.job_preview(job)
    names = sorted(result.unknown_units)
    mapping = MappingForm(
        request.POST or None,
        names=names,
        user=request.user,
        everywhere=job.kind == "postings",
    )
    if request.method == "POST" and mapping.is_valid():
        services.job_set_mapping(job=job, names=mapping.chosen())
        return redirect(job)
    rows = [row for row in result.rows if row.action != SAME]
    context = {
        "job": job,
        "result": result,
        "counts": {ACTION_LABELS[k]: n for k, n in result.counts.items()},
        "rows": rows[:PREVIEW_ROWS],
        "rows_cut": len(rows) > PREVIEW_ROWS,
        "actions": ACTION_LABELS,
        "reasons": result.warning_reasons(),
        "mapping": mapping if names else None,
        "commit_form": CommitForm(),
    }
    return render(request, "imports/preview.html", context)


@require_POST
def commit(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    form = CommitForm(request.POST)
    waiting = (ImportJob.Status.DONE, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    if job.status not in waiting and form.is_valid():
        job.reason = form.cleaned_data["reason"]
        job.message = ""
        if job.rows == 0:
            job.rows = len(services.job_preview(job).rows)
        if job.rows > config.IMPORT_ASYNC_ROWS:
            job.status = ImportJob.Status.QUEUED
            job.save(update_fields=["reason", "message", "rows", "status"])
            transaction.on_commit(lambda: tasks.commit_import.delay(job.pk))
        else:
            job.save(update_fields=["reason", "message", "rows"])
            services.job_commit(job_id=job.pk)
    return redirect("imports:status", pk=job.pk)


def status(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    links = []
    if job.status == ImportJob.Status.DONE and job.result.get("new_users"):
        links = services.first_login_links(
            job.result["new_users"], request.build_absolute_uri("/")
        )
    context = {
        "job": job,
        "progress": services.progress_of(job.pk),
        "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "links": links,
        "password_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    if request.headers.get("HX-Request"):
        response = render(request, "imports/_progress.html", context)
        if not context["running"]:
            response["HX-Refresh"] = "true"  # the whole page, with the result
        return response
    return render(request, "imports/status.html", context)


def errors(request: AuthenticatedHttpRequest, pk: int):
    job = _job(request, pk)
    if job.status == ImportJob.Status.DONE:
        return redirect("imports:status", pk=job.pk)
    result = services.job_preview(job)
    data = workbooks.error_rows(result)
    audit.record(
        request,
        "export",
        target=_("导入错误行：%(f)s") % {"f": job.filename},
        rows=len({p.row for p in result.errors}),
    )
    return _xlsx(
        data, _("错误行-%(name)s.xlsx") % {"name": job.filename.rsplit(".", 1)[0]}
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def first_password(request):
    """An imported account sets its first password through its one-time
    link (services.first_login_links); a spent or expired link is refused."""
    user = services.link_user(request.GET.get("u", ""), request.GET.get("t", ""))
    if user is None:
        return render(request, "imports/first_password.html", {"form": None})
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("密码已设置，请用新密码登录。"))
        return redirect("login")
    return render(request, "imports/first_password.html", {"form": form, "who": user})
