from functools import partial

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guazhi.access import role_may_use
from guazhi.excel import XLSX_CONTENT_TYPE
from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import columns, page_context, paginate, querystring, sorted_queryset

from . import exports, services
from .forms import PostingFilterForm, PostingForm
from .models import Posting, Reminder

POSTING_SORTS = {
    "cadre": "cadre__name",
    "kind": "kind",
    "receiving": "receiving_unit__name",
    "start": "start_date",
    "end": "planned_end_date",
    "midterm": "midterm_date",
    "status": "status",
}


def _filtered_postings(request: AuthenticatedHttpRequest):
    form = PostingFilterForm(request.GET or None)
    scoped = Posting.objects.visible_to(request.user)
    qs = form.filter(scoped).select_related("cadre", "sending_unit", "receiving_unit")
    qs, sort = sorted_queryset(request, qs, POSTING_SORTS, "-start")
    return form, qs, sort


def posting_list(request: AuthenticatedHttpRequest):
    form, qs, sort = _filtered_postings(request)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    page = paginate(request, qs)
    head = [
        (_("干部"), "cadre"),
        (_("类型"), "kind"),
        (_("派出单位"), ""),
        (_("接收单位"), "receiving"),
        (_("挂任职务"), ""),
        (_("开始"), "start"),
        (_("计划结束"), "end"),
        (_("中期考核"), "midterm"),
        (_("状态"), "status"),
    ]
    status_counts = [
        (value, label, counts.get(value, 0)) for value, label in Posting.Status.choices
    ]
    return render(
        request,
        "postings/posting_list.html",
        {
            "form": form,
            "postings": page,
            "columns": columns(request, head, sort),
            "status_counts": status_counts,
            "total": sum(counts.values()),
            "export_query": querystring(request, page=None),
            **page_context(request, page),
        },
    )


def posting_export(request: AuthenticatedHttpRequest):
    _form, qs, _sort = _filtered_postings(request)
    body = exports.posting_roster(qs.iterator(chunk_size=2000))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"挂职名册-{stamp}.xlsx"
    )
    return response


@require_http_methods(["GET", "POST"])
def posting_create(request: AuthenticatedHttpRequest):
    form = PostingForm(
        request.POST or None, user=request.user, initial=request.GET.dict()
    )
    if posting := submit(
        request, form, partial(services.posting_create, by=request.user)
    ):
        messages.success(request, _("挂职已登记。"))
        return redirect(posting)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("登记挂职"), "cancel_url": reverse("postings:list")},
    )


def posting_detail(request: AuthenticatedHttpRequest, pk: int):
    posting = get_object_or_404(
        Posting.objects.visible_to(request.user).select_related(
            "cadre__unit", "sending_unit", "receiving_unit", "created_by"
        ),
        pk=pk,
    )
    notes = posting.monthly_notes.select_related("author")
    return render(
        request,
        "postings/posting_detail.html",
        {
            "posting": posting,
            "notes": notes,
            "can_file_note": role_may_use(request.user.role, "cadres:note_create")
            and posting.status != Posting.Status.PROPOSED,
        },
    )


@require_http_methods(["GET", "POST"])
def posting_edit(request: AuthenticatedHttpRequest, pk: int):
    posting = get_object_or_404(Posting.objects.visible_to(request.user), pk=pk)
    form = PostingForm(request.POST or None, instance=posting, user=request.user)
    update = partial(services.posting_update, posting=posting, by=request.user)
    if submit(request, form, update):
        messages.success(request, _("已保存。"))
        return redirect(posting)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("修改挂职"),
            "cancel_url": posting.get_absolute_url(),
        },
    )


def notification_list(request: AuthenticatedHttpRequest):
    qs = Reminder.objects.visible_to(request.user).select_related("posting__cadre")
    if request.GET.get("show") == "unread":
        qs = qs.unread()
    page = paginate(request, qs)
    return render(
        request,
        "postings/notification_list.html",
        {
            "reminders": page,
            "show": request.GET.get("show", ""),
            **page_context(request, page),
        },
    )


@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int):
    reminder = get_object_or_404(Reminder.objects.visible_to(request.user), pk=pk)
    reminder.mark_read()
    return redirect(reminder.posting)


@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest):
    n = (
        Reminder.objects.visible_to(request.user)
        .unread()
        .update(read_at=timezone.now())
    )
    messages.info(request, _("已将%(n)d条提醒标为已读。") % {"n": n})
    return redirect("postings:notifications")
