"""The pages that file and edit the dossier's records: monthly notes and
their month locks, the plain records, reports and their files, warnings, the
appraisal, symposia, and each record's history."""

import datetime as dt
from collections import Counter
from functools import partial
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
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
from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest, pk_urls
from guazhi.listing import (
    get_param,
)
from postings.models import Posting
from records import attachments, history, rules, services
from records.kinds import record_fields

from .forms import (
    AppraisalForm,
    CommendationForm,
    FollowUpVisitForm,
    MonthField,
    MonthlyNoteEditForm,
    MonthlyNoteForm,
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
    posting_url = pk_urls("postings:detail")
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
        rows.append(NoteRow(*shown, author, reasons[key], posting_url(shown[2])))
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
