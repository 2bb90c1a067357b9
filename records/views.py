"""The pages that file and edit the dossier's records: monthly notes and
their month locks, the plain records, reports and their files, warnings, the
appraisal, symposia, and each record's history."""

import datetime as dt
from collections import Counter
from functools import partial
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

import audit
from cadres import lookups
from cadres.models import Unit, user_name
from cadres.policy import role_may_use
from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import (
    columns,
    get_param,
    page_context,
    paginate,
    sorted_queryset,
)
from postings.models import NOT_BEGUN, Posting
from records import attachments, history, rules, services
from records.kinds import record_fields

from .forms import (
    AppraisalForm,
    CommendationForm,
    FollowUpVisitForm,
    MonthField,
    MonthlyNoteEditForm,
    MonthlyNoteForm,
    NoteFilterForm,
    NoteMonthLockForm,
    ReportEditForm,
    ReportForm,
    SupportNeedForm,
    SupportResolveForm,
    SymposiumForm,
    TalkForm,
    TrainingForm,
    WarningForm,
    WarningRevokeForm,
    WorkLogForm,
)
from .host_write import HostWrite, host_write_refusal
from .models import (
    Appraisal,
    Attachment,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    NoteMonthLock,
    Report,
    SupportNeed,
    Talk,
    Training,
    Warning,
    WorkLog,
)

NOTE_SORTS = {
    "month": "month",
    "cadre": "posting__cadre__name",
    "unit": "posting__receiving_unit__name",
}


def note_list(request: AuthenticatedHttpRequest):
    """The notes filed, filtered by month, unit and cadre; beside them the
    postings that owed a note for the month and have none (未填报)."""
    today = timezone.localdate()
    form = NoteFilterForm(request.GET, user=request.user, today=today)
    month = form.filters["month"]
    notes = MonthlyNote.objects.filter(form.posting_q("posting__"))
    if month:
        notes = notes.filter(month=month)
    qs, sort = sorted_queryset(
        request, notes.visible_to(request.user), NOTE_SORTS, "-month"
    )
    # One COUNT of the notes in scope (count_visible reads the scope's index).
    count = notes.count_visible(request.user)
    page = paginate(request, qs.values_list(*NOTE_ROW_FIELDS), count=count)
    page.object_list = note_rows(page.object_list)
    missing, missing_pages = None, {}
    if month:  # 未填报 is about one month
        rows = missing_note_rows(request.user, form, month, today)
        missing = paginate(request, rows, param="missing_page")
        missing_pages = page_context(request, missing, "missing_page")
    return render(
        request,
        "cadres/monthlynote_list.html",
        {
            "form": form,
            "notes": page.object_list,
            "columns": columns(request, NOTE_HEAD, sort),
            "month": month,
            "lock_days": settings.MONTHLY_NOTE_LOCK_DAYS,
            **page_context(request, page),
            "missing": missing,
            "missing_pages": missing_pages,
        },
    )


NOTE_HEAD = [
    (_lazy("月份"), "month"),
    (_lazy("干部"), "cadre"),
    (_lazy("接收单位"), "unit"),
    (_lazy("出勤"), ""),
    (_lazy("缺勤"), ""),
    (_lazy("请假"), ""),
    (_lazy("填报人"), ""),
    (_lazy("状态"), ""),
]


class MissingRow(NamedTuple):
    """A posting that owed a note for the month and has none."""

    cadre: str
    unit: str
    title: str
    status: str
    posting_url: str
    file_url: str  # "" unless the user may file the note


MISSING_FIELDS = (
    "pk",
    "cadre__name",
    "receiving_unit__name",
    "title",
    "status",
    "start_date",
    "planned_end_date",
    "ended_on",
    "sending_unit__path",
    "receiving_unit__path",
)


def missing_note_rows(user, form: NoteFilterForm, month: dt.date, today: dt.date):
    """MissingRows of the postings in `user`'s scope (and the form's unit and
    cadre) that owed a note for `month` and have none, in one query.

    Whether a posting owes the month is rules.expected_note_months; the query
    only leaves out the postings that cannot (proposed, begun after the month,
    ended before it) and those with the note.
    """
    filed = MonthlyNote.objects.filter(posting=OuterRef("pk"), month=month)
    values = (
        Posting.objects.visible_to(user)
        .filter(form.posting_q(), start_date__lte=rules.month_end(month))
        .exclude(status__in=NOT_BEGUN)
        .exclude(ended_on__lt=month)
        .exclude(Exists(filed))
        .order_by("receiving_unit__name", "cadre__name", "pk")
        .values_list(*MISSING_FIELDS)
    )
    may_file = role_may_use(user.role, "cadres:note_create")
    locks = list(
        NoteMonthLock.objects.filter(month=month).select_related("unit", "locked_by")
        if may_file
        else ()
    )
    status_labels = dict(Posting.Status.choices)
    query = "?" + urlencode({"month": f"{month:%Y-%m}"})
    rows = []
    for pk, cadre, unit, title, status, start, end, ended, sending, receiving in values:
        posting = Posting(
            pk=pk,
            status=status,
            start_date=start,
            planned_end_date=end,
            ended_on=ended,
            sending_unit=Unit(path=sending),
            receiving_unit=Unit(path=receiving),
        )
        if month not in rules.expected_note_months(posting, today):
            continue
        file_url = ""
        if may_file and not host_write_refusal(
            posting, user, what=HostWrite.NOTE, month=month, locks=locks, today=today
        ):
            file_url = reverse("cadres:note_create", args=[pk]) + query
        posting_url = reverse("postings:detail", args=[pk])
        rows.append(
            MissingRow(
                cadre, unit, title, str(status_labels[status]), posting_url, file_url
            )
        )
    return rows


class NoteRow(NamedTuple):
    """One row of the note list, from the values of NOTE_ROW_FIELDS."""

    pk: int
    month: dt.date
    posting_pk: int
    cadre: str
    unit: str
    days_present: int
    days_absent: int
    days_leave: int
    author: str
    lock_reason: str  # "" while the note may be edited
    posting_url: str


def note_rows(values) -> list[NoteRow]:
    """NoteRows of NOTE_ROW_FIELDS tuples: the author as str(User) names
    them (user_name), the lock as rules.note_lock_reason (one query for the
    locks), the link to the note's posting."""
    values = list(values)
    locks = list(
        NoteMonthLock.objects.filter(month__in={v[1] for v in values}).select_related(
            "unit", "locked_by"
        )
    )
    locked_months = {lock.month for lock in locks}
    today = timezone.localdate()
    reasons: dict = {}
    rows = []
    for *shown, last, first, username, sending, receiving in values:
        month = shown[1]
        # With no lock on its month, a note's reason depends on the month alone.
        key = (month, sending, receiving) if month in locked_months else month
        if key not in reasons:
            posting = Posting(
                sending_unit=Unit(path=sending), receiving_unit=Unit(path=receiving)
            )
            note = MonthlyNote(month=month, posting=posting)
            reasons[key] = str(rules.note_lock_reason(note, locks, today))
        author = user_name(last, first, username)
        url = reverse("postings:detail", args=[shown[2]])
        rows.append(NoteRow(*shown, author, reasons[key], url))
    return rows


def _scoped_posting(request: AuthenticatedHttpRequest, posting_pk: int) -> Posting:
    return get_object_or_404(
        Posting.objects.visible_to(request.user).select_related(
            "cadre", "sending_unit", "receiving_unit"
        ),
        pk=posting_pk,
    )


def _dossier_url(posting: Posting) -> str:
    return reverse("cadres:detail", args=[posting.cadre_id]) + "#timeline"


def _record_page(request, form, *, title: str, posting=None, cancel_url="", **extra):
    return render(
        request,
        "cadres/record_form.html",
        {
            "form": form,
            "title": title,
            "posting": posting,
            "cancel_url": cancel_url or _dossier_url(posting),
            **extra,
        },
    )


@require_http_methods(["GET", "POST"])
def note_create(request: AuthenticatedHttpRequest, posting_pk: int):
    posting = _scoped_posting(request, posting_pk)
    # ?month= (the note list's 未填报 links) fills in the month.
    month = get_param(request, "month", MonthField(required=False))
    form = MonthlyNoteForm(request.POST or None, initial={"month": month})
    file_note = partial(
        services.monthly_note_file, posting=posting, author=request.user
    )
    if submit(request, form, file_note):
        messages.success(request, _("月小结已提交。"))
        return redirect(posting)
    return _record_page(
        request,
        form,
        title=_("填报月小结"),
        posting=posting,
        cancel_url=posting.get_absolute_url(),
    )


@require_http_methods(["GET", "POST"])
def note_edit(request: AuthenticatedHttpRequest, pk: int):
    note = _own_record(request, MonthlyNote, pk)
    if request.method == "GET" and (reason := services.note_locked(note)):
        messages.warning(request, reason)
        return redirect(note.posting)
    form = MonthlyNoteEditForm(
        request.POST or None, instance=note, initial={"version": note.version}
    )
    update = partial(services.monthly_note_update, note=note, by=request.user)
    if submit(request, form, update):
        messages.success(request, _("月小结已更新。"))
        return redirect(note.posting)
    saved = None
    if form.has_error(NON_FIELD_ERRORS, "edit_conflict"):
        note.refresh_from_db()
        saved = record_fields("note", note)
        form.rebase(note.version)
    return _record_page(
        request,
        form,
        title=_("修改月小结"),
        posting=note.posting,
        cancel_url=note.posting.get_absolute_url(),
        saved=saved,
    )


@require_POST
def note_month_lock(request: AuthenticatedHttpRequest):
    form = NoteMonthLockForm(request.POST)
    if lock := submit(
        request, form, partial(services.note_month_lock, by=request.user)
    ):
        messages.success(
            request, _("%(m)s的月小结已锁定。") % {"m": f"{lock.month:%Y年%m月}"}
        )
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    month = request.POST.get("month", "")
    return redirect(reverse("cadres:note_list") + "?" + urlencode({"month": month}))


def _own_record(request: AuthenticatedHttpRequest, model, pk: int):
    """A record in scope that the user filed: out of scope 404, someone else's 403."""
    record = get_object_or_404(
        model.objects.visible_to(request.user).select_related(
            "posting__cadre", "posting__sending_unit", "posting__receiving_unit"
        ),
        pk=pk,
    )
    if record.author_id != request.user.pk:
        raise PermissionDenied
    return record


# Plain records: key (also the `record` URL argument) -> model and form.
RECORD_FORMS = {
    "worklog": (WorkLog, WorkLogForm),
    "talk": (Talk, TalkForm),
    "training": (Training, TrainingForm),
    "commendation": (Commendation, CommendationForm),
    "visit": (FollowUpVisit, FollowUpVisitForm),
    "support": (SupportNeed, SupportNeedForm),
}


@require_http_methods(["GET", "POST"])
def record_create(request: AuthenticatedHttpRequest, posting_pk: int, record: str):
    model, form_class = RECORD_FORMS[record]
    posting = _scoped_posting(request, posting_pk)
    initial = form_class.initial_for(posting, request.user)
    form = form_class(request.POST or None, initial=initial)
    file_record = partial(
        services.record_file, model=model, posting=posting, author=request.user
    )
    label = model._meta.verbose_name
    if submit(request, form, file_record):
        messages.success(request, _("%(kind)s已保存。") % {"kind": label})
        return redirect(_dossier_url(posting))
    title = _("登记%(kind)s") % {"kind": label}
    return _record_page(request, form, title=title, posting=posting)


@require_http_methods(["GET", "POST"])
def record_edit(request: AuthenticatedHttpRequest, pk: int, record: str):
    model, form_class = RECORD_FORMS[record]
    obj = _own_record(request, model, pk)
    form = form_class(request.POST or None, instance=obj)
    update = partial(services.record_update, record=obj, by=request.user)
    label = model._meta.verbose_name
    if submit(request, form, update):
        messages.success(request, _("%(kind)s已保存。") % {"kind": label})
        return redirect(_dossier_url(obj.posting))
    title = _("修改%(kind)s") % {"kind": label}
    return _record_page(request, form, title=title, posting=obj.posting)


@require_http_methods(["GET", "POST"])
def record_settle(request: AuthenticatedHttpRequest, pk: int, record: str):
    """Resolve a support need or revoke a warning, then back to the dossier."""
    model, form_class, service, keyword, title, done = SETTLE[record]
    obj = get_object_or_404(
        model.objects.visible_to(request.user).select_related("posting__cadre"),
        pk=pk,
    )
    form = form_class(request.POST or None)
    if submit(request, form, partial(service, **{keyword: obj}, by=request.user)):
        messages.success(request, done)
        return redirect(_dossier_url(obj.posting))
    shown = record_fields(record, obj)
    return _record_page(request, form, title=title, posting=obj.posting, shown=shown)


@require_http_methods(["GET", "POST"])
def report_create(request: AuthenticatedHttpRequest, posting_pk: int):
    posting = _scoped_posting(request, posting_pk)
    filed = Counter(posting.reports.values_list("kind", flat=True))
    slots = rules.open_report_slots(posting, filed)
    form = ReportForm(request.POST or None, request.FILES or None, slots=slots)
    file_report = partial(services.report_file, posting=posting, author=request.user)
    if submit(request, form, file_report):
        messages.success(request, _("汇报材料已提交。"))
        return redirect(_dossier_url(posting))
    return _record_page(request, form, title=_("提交汇报材料"), posting=posting)


@require_http_methods(["GET", "POST"])
def report_edit(request: AuthenticatedHttpRequest, pk: int):
    report = _own_record(request, Report, pk)
    form = ReportEditForm(request.POST or None, request.FILES or None, instance=report)
    update = partial(services.report_update, report=report, by=request.user)
    if submit(request, form, update):
        messages.success(request, _("汇报材料已保存。"))
        return redirect(_dossier_url(report.posting))
    title = _("修改%(kind)s") % {"kind": report.get_kind_display()}
    return _record_page(
        request,
        form,
        title=title,
        posting=report.posting,
        files=report.attachments.all(),
    )


def attachment_download(request: AuthenticatedHttpRequest, pk: int):
    """A report's file, to whoever may see the report, always as a download."""
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    try:
        # FileResponse closes the file once it has been sent.
        handle = open(attachments.path_of(attachment.stored_name), "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit.record(
        request,
        "download",
        target=f"{attachment.original_name}（#{attachment.pk}）",
        details={"report": attachment.report_id},
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_http_methods(["GET", "POST"])
def warning_create(request: AuthenticatedHttpRequest, posting_pk: int):
    posting = _scoped_posting(request, posting_pk)
    form = WarningForm(
        request.POST or None, initial=WarningForm.initial_for(posting, request.user)
    )
    file_warning = partial(services.warning_file, posting=posting, author=request.user)
    if warning := submit(request, form, file_warning):
        messages.success(
            request,
            _("已登记。周期内累计%(p)s分，当前为%(level)s。")
            % {"p": warning.period_points, "level": warning.get_level_display()},
        )
        return redirect(_dossier_url(posting))
    return _record_page(request, form, title=_("登记预警"), posting=posting)


@require_http_methods(["GET", "POST"])
def appraisal_edit(request: AuthenticatedHttpRequest, posting_pk: int):
    posting = _scoped_posting(request, posting_pk)
    appraisal = Appraisal.objects.filter(posting=posting).first()
    submitted = appraisal and appraisal.status == Appraisal.Status.SUBMITTED
    if submitted and request.method == "GET":
        messages.info(request, _("组织鉴定已经提交，只能查看。"))
        return redirect(_dossier_url(posting))
    if appraisal and (
        refusal := services.appraisal_draft_refusal(appraisal, request.user)
    ):
        messages.error(request, refusal)  # someone else's draft: not shown
        return redirect(_dossier_url(posting))
    form = AppraisalForm(request.POST or None, instance=appraisal)
    save = partial(
        services.appraisal_save,
        posting=posting,
        author=request.user,
        submit="final" in request.POST,
    )
    if saved := submit(request, form, save):
        done = saved.status == Appraisal.Status.SUBMITTED
        messages.success(request, _("组织鉴定已提交。") if done else _("草稿已保存。"))
        return redirect(_dossier_url(posting))
    opens = services.appraisal_submit_from(posting)
    return _record_page(
        request,
        form,
        title=_("组织鉴定"),
        posting=posting,
        appraisal_buttons=True,
        submit_from=opens,
        submit_days=(rules.term_end(posting) - opens).days,
    )


@require_http_methods(["GET", "POST"])
def symposium_create(request: AuthenticatedHttpRequest):
    initial = {
        "held_on": timezone.localdate(),
        # ?posting= from the dossier's menu: ids only, within a database integer.
        "attendees": [
            p for p in request.GET.getlist("posting") if p.isdigit() and int(p) < 2**63
        ],
    }
    form = SymposiumForm(request.POST or None, initial=initial, user=request.user)
    if suggested := lookups.suggestions(request, form):  # the attendee box asks
        return suggested
    hold = partial(services.symposium_hold, author=request.user)
    if symposium := submit(request, form, hold):
        messages.success(
            request,
            _("座谈会“%(t)s”已登记，显示在每位参会干部的档案中。")
            % {"t": symposium.title},
        )
        return redirect(_dossier_url(form.cleaned_data["attendees"][0]))
    return _record_page(
        request, form, title=_("登记座谈会"), cancel_url=reverse("home")
    )


def record_history(request: AuthenticatedHttpRequest, kind: str, pk: int):
    """Who changed what and when, for org staff."""
    model = HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404
    record = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    posting = record if isinstance(record, Posting) else record.posting
    return render(
        request,
        "cadres/record_history.html",
        {
            "record": record,
            "label": model._meta.verbose_name,
            "changes": history.changes(record, request.user),
            "back_url": _dossier_url(posting),
        },
    )


NOTE_ROW_FIELDS = (
    "pk",
    "month",
    "posting_id",
    "posting__cadre__name",
    "posting__receiving_unit__name",
    "days_present",
    "days_absent",
    "days_leave",
    "author__last_name",
    "author__first_name",
    "author__username",
    "posting__sending_unit__path",
    "posting__receiving_unit__path",
)


# Records settled once through a one-field form: key -> model, form, service
# (with the keyword it takes the record by), page title, message when done.
SETTLE = {
    "support": (
        SupportNeed,
        SupportResolveForm,
        services.support_resolve,
        "need",
        _lazy("解决后勤保障需求"),
        _lazy("已标记为解决。"),
    ),
    "warning": (
        Warning,
        WarningRevokeForm,
        services.warning_revoke,
        "warning",
        _lazy("撤销预警"),
        _lazy("预警已撤销，记录仍保留在档案中。"),
    ),
}


# Records whose every change is kept: key in the URL -> model.
HISTORY_MODELS = {
    "posting": Posting,
    "note": MonthlyNote,
    "report": Report,
    "warning": Warning,
    "appraisal": Appraisal,
}
