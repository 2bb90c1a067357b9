"""The cadre pages (list, create, edit, the dossier with its print view and
export) and the posting page: they compose cadres, postings, records and
assessment, so they sit above all of them."""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

import audit
from assessment.evaluations import posting_tasks
from assessment.models import Round
from cadres import idcard, services
from cadres.forms import CadreFilterForm, CadreForm
from cadres.models import Cadre, Gender, Rank
from cadres.policy import role_may_use
from guazhi.excel import build_sheets, in_background, xlsx_response
from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest, pk_urls
from guazhi.listing import (
    columns,
    page_context,
    paginate,
    querystring,
    sorted_queryset,
)
from portal import dossier, exports
from postings import services as posting_services
from postings.models import Posting, cadres_visible_to, count_cadres_visible
from records.host_write import HostWrite, host_write_refusal
from records.models import NoteMonthLock
from records.rules import mark_locked

from .forms import DossierFilterForm

CADRE_SORTS = {
    "name": "name",
    "unit": "unit__path",
    "rank": "rank",
    "birth": "birth_date",
}


def filtered_cadres(request: AuthenticatedHttpRequest):
    """The cadres in scope as the list's filters and sort select them: the
    list and its export read the same rows."""
    scoped = cadres_visible_to(request.user)
    form = CadreFilterForm(request.GET or None, user=request.user)
    shown = idcard.shown_to(request.user)
    sorts = {**CADRE_SORTS, "birth": shown.birth_order(CADRE_SORTS["birth"])}
    qs, sort = sorted_queryset(request, form.filter(scoped), sorts, "name")
    return form, qs, sort


def count_filtered_cadres(request: AuthenticatedHttpRequest, form) -> int:
    """How many rows filtered_cadres holds, counted as count_cadres_visible
    does (a top-level jurisdiction: all less the few outside it)."""
    return count_cadres_visible(request.user, form.filter(Cadre.objects.all()))


def cadre_list(request: AuthenticatedHttpRequest):
    form, qs, sort = filtered_cadres(request)
    # The rows are plain values: no model instances for a read-only table.
    count = count_filtered_cadres(request, form)
    page = paginate(request, qs.values_list(*CADRE_ROW_FIELDS, named=True), count=count)
    if searched := form.id_number_query():
        audit.record(
            request,
            "id_search",
            target=searched,
            details={"filters": audit.query_of(request)},
            rows=page.paginator.count,
        )
    page.object_list = cadre_rows(page.object_list, request.user)
    head = [
        (_("姓名"), "name"),
        (_("身份证号"), ""),
        (_("性别"), ""),
        (_("出生日期"), "birth"),
        (_("所在单位"), "unit"),
        (_("现任职务"), ""),
        (_("职级"), "rank"),
        (_("后备"), ""),
    ]
    return render(
        request,
        "cadres/cadre_list.html",
        {
            "form": form,
            "columns": columns(request, head, sort),
            "export_query": querystring(request, page=None),
            **page_context(request, page),
        },
    )


class CadreRow(NamedTuple):
    """One row of the roster: what the template shows, labels and URL ready."""

    pk: int
    name: str
    url: str
    id_number: str  # masked for the roles that may not see it in full
    gender: str
    birth_date: str  # "YYYY-MM-DD" or the year only (idcard.Shown), "" if unknown
    unit: str
    position: str
    rank: str
    is_reserve: bool


def cadre_rows(values, user) -> list[CadreRow]:
    """CadreRows of CADRE_ROW_FIELDS named tuples. The labels are translated
    once per page (get_FOO_display() translates every choice on each call),
    dates formatted here rather than by a filter in every cell."""
    genders = {value: str(label) for value, label in Gender.choices}
    ranks = {value: str(label) for value, label in Rank.choices}
    shown = idcard.shown_to(user)
    url = pk_urls("cadres:detail")
    return [
        CadreRow(
            pk=row.pk,
            name=row.name,
            url=url(row.pk),
            id_number=shown.id_number(row.id_number),
            gender=genders.get(row.gender, row.gender),
            birth_date=shown.birth_date(row.birth_date),
            unit=row.unit__name,
            position=row.position,
            rank=ranks.get(row.rank, row.rank),
            is_reserve=row.is_reserve,
        )
        for row in values
    ]


@require_http_methods(["GET", "POST"])
def cadre_create(request: AuthenticatedHttpRequest):
    form = CadreForm(request.POST or None, user=request.user)
    if cadre := submit(request, form, services.cadre_create):
        messages.success(request, _("已登记干部 %(name)s。") % {"name": cadre.name})
        return redirect(cadre)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("登记干部"), "cancel_url": reverse("cadres:list")},
    )


def cadre_detail(request: AuthenticatedHttpRequest, pk: int):
    """The dossier (一人一档): summary, postings with what they lack, timeline."""
    file = _scoped_dossier(request, pk)
    form = DossierFilterForm(request.GET or None, postings=file.postings)
    kind, posting_id = form.selection()
    # Entries, with their links, are made for the page's records only.
    timeline = file.timeline(kind=kind, posting_id=posting_id)
    page = paginate(request, timeline, settings.DOSSIER_PAGE_SIZE)
    page.object_list = [file.entry(*item, user=request.user) for item in page]
    actions = _record_actions(request.user, locks=file.locks)
    return render(
        request,
        "cadres/cadre_detail.html",
        {
            "cadre": file.cadre,
            **_identity(file.cadre, request.user),
            "summary": file.summary(),
            "checks": [(check, actions(check.posting)) for check in file.checks()],
            "filter": form,
            "selected_kind": kind,
            "selected_posting": posting_id,
            "entries": page,
            **page_context(request, page),
        },
    )


def dossier_print(request: AuthenticatedHttpRequest, pk: int):
    """The whole dossier on A4 paper, oldest record first, for the paper file."""
    file = _scoped_dossier(request, pk)
    cadre = file.cadre
    audit.record(request, "export", target=_dossier_target(cadre), rows=1)
    return render(
        request,
        "cadres/dossier_print.html",
        {
            "cadre": cadre,
            **_identity(cadre, request.user),
            "summary": file.summary(),
            "checks": file.checks(),
            "entries": file.entries()[::-1],
            "css_name": css_string(f"一人一档 · {cadre.name}"),
            "printed_at": timezone.localtime(),
        },
    )


def _identity(cadre, user) -> dict[str, str]:
    """The ID number and birth date as `user` may see them (idcard.shown_to)."""
    shown = idcard.shown_to(user)
    return {
        "id_number": shown.id_number(cadre.id_number),
        "birth_date": shown.birth_date(cadre.birth_date),
    }


def _dossier_target(cadre) -> str:
    """How the audit trail names an exported or printed dossier."""
    return _("一人一档：%(name)s（#%(pk)s）") % {"name": cadre.name, "pk": cadre.pk}


def cadre_export(request: AuthenticatedHttpRequest):
    """The cadre list as filtered on screen, as .xlsx; a large one is made in
    the background (guazhi.excel.in_background)."""
    form, qs, _sort = filtered_cadres(request)
    rows = count_filtered_cadres(request, form)
    if queued := in_background(request, "cadres", rows):
        return queued
    shown = idcard.shown_to(request.user)
    body = build_sheets([exports.cadre_sheet(qs, shown=shown)])
    audit.record(
        request,
        "export",
        target=_("干部名单"),
        details={"filters": audit.query_of(request)},
        rows=rows,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(body, f"干部名单-{stamp}.xlsx")


def dossier_export(request: AuthenticatedHttpRequest, pk: int):
    file = _scoped_dossier(request, pk)
    cadre = file.cadre
    body = exports.dossier_workbook(file, shown=idcard.shown_to(request.user))
    audit.record(request, "export", target=_dossier_target(cadre), rows=1)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx_response(body, f"一人一档-{cadre.name}-{stamp}.xlsx")


def my_dossier(request: AuthenticatedHttpRequest):
    """The cadre's own dossier, under a menu item of its own."""
    return cadre_detail(request, pk=request.user.cadre_id)


def _scoped_dossier(request: AuthenticatedHttpRequest, pk: int) -> dossier.Dossier:
    """The dossier of a cadre in the user's scope (else 404)."""
    cadre = get_object_or_404(
        cadres_visible_to(request.user).select_related("unit"), pk=pk
    )
    return dossier.load_dossier(cadre, request.user)


def css_string(text: str) -> str:
    """`text` as a CSS string literal, every character escaped (safe in <style>)."""
    return '"' + "".join(f"\\{ord(c):x} " for c in text) + '"'


# What may be added to a posting from the dossier: URL name, label, and the
# posting states in which it makes sense. The URL policy decides the roles.
NOT_PROPOSED = {
    Posting.Status.ACTIVE,
    Posting.Status.COMPLETED,
    Posting.Status.ENDED_EARLY,
}


RECORD_ACTIONS = [
    ("cadres:worklog_create", _lazy("写日记录"), {Posting.Status.ACTIVE}),
    ("cadres:report_create", _lazy("提交汇报材料"), NOT_PROPOSED),
    ("cadres:note_create", _lazy("填报月小结"), NOT_PROPOSED),
    ("cadres:talk_create", _lazy("谈心谈话"), NOT_PROPOSED),
    ("cadres:training_create", _lazy("培训"), NOT_PROPOSED),
    ("cadres:commendation_create", _lazy("表扬"), NOT_PROPOSED),
    ("cadres:warning_create", _lazy("预警"), NOT_PROPOSED),
    ("cadres:appraisal_edit", _lazy("组织鉴定"), NOT_PROPOSED),
    (
        "cadres:support_create",
        _lazy("后勤保障需求"),
        {Posting.Status.PROPOSED, Posting.Status.ACTIVE},
    ),
    (
        "cadres:visit_create",
        _lazy("回访"),
        {Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY},
    ),
]


# What the host-write rule calls each action (the rest are records).
ACTION_WRITES = {
    "cadres:note_create": HostWrite.NOTE,
    "cadres:appraisal_edit": HostWrite.APPRAISAL,
}


def _record_actions(
    user, *, locks: list[NoteMonthLock]
) -> Callable[[Posting], list[tuple[str, str]]]:
    """posting -> (label, URL) of what `user` may add to it, as far as the
    host-write rule allows (`locks`: the month locks read with the dossier);
    the labels translated once, not once per posting."""
    may = [
        (name, str(label), states, ACTION_WRITES.get(name, HostWrite.RECORD))
        for name, label, states in RECORD_ACTIONS
        if role_may_use(user.role, name)
    ]
    symposium = (
        reverse("cadres:symposium_create")
        if role_may_use(user.role, "cadres:symposium_create")
        else None
    )
    symposium_label = _("座谈会")
    # Each action's URL reversed once, not once per posting.
    url_of = {name: pk_urls(name) for name, *_rest in may}

    def allowed(posting: Posting, what: HostWrite) -> bool:
        return not host_write_refusal(posting, user, what=what, locks=locks)

    def actions(posting: Posting) -> list[tuple[str, str]]:
        out = [
            (label, url_of[name](posting.pk))
            for name, label, states, what in may
            if posting.status in states and allowed(posting, what)
        ]
        if (
            symposium
            and posting.status in NOT_PROPOSED
            and allowed(posting, HostWrite.RECORD)
        ):
            out.append((symposium_label, f"{symposium}?posting={posting.pk}"))
        return out

    return actions


@require_http_methods(["GET", "POST"])
def cadre_edit(request: AuthenticatedHttpRequest, pk: int):
    cadre = get_object_or_404(cadres_visible_to(request.user), pk=pk)
    form = CadreForm(request.POST or None, instance=cadre, user=request.user)
    if submit(request, form, partial(services.cadre_update, cadre=cadre)):
        messages.success(request, _("已保存。"))
        return redirect(cadre)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("修改干部信息"),
            "cancel_url": cadre.get_absolute_url(),
        },
    )


CADRE_ROW_FIELDS = (
    "pk",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "unit__name",
    "position",
    "rank",
    "is_reserve",
)


def _relay_chain(posting: Posting, user) -> list[Posting]:
    """The relay (接力) chain through this posting, earliest first, as far as visible.

    `posting` comes with its successor loaded (select_related), so a posting
    outside any chain costs no query.
    """
    if posting.predecessor_id is None and not hasattr(posting, "successor"):
        return []
    visible = Posting.objects.visible_to(user).select_related("cadre")
    chain, seen = [posting], {posting.pk}
    while chain[0].predecessor_id and chain[0].predecessor_id not in seen:
        before = visible.filter(pk=chain[0].predecessor_id).first()
        if before is None:
            break
        chain.insert(0, before)
        seen.add(before.pk)
    after = visible.filter(predecessor=chain[-1]).first()
    while after is not None and after.pk not in seen:
        chain.append(after)
        seen.add(after.pk)
        after = visible.filter(predecessor=after).first()
    return chain if len(chain) > 1 else []


def posting_detail(request: AuthenticatedHttpRequest, pk: int):
    user = request.user
    posting = get_object_or_404(
        Posting.objects.visible_to(user).select_related(
            "cadre__unit",
            "sending_unit",
            "receiving_unit",
            "created_by",
            "batch",
            "successor",
        ),
        pk=pk,
    )
    notes, locks = _notes_and_locks(posting, user)
    may_move = role_may_use(user.role, "postings:transition")
    # Each transition with what it will do, said before it is done.
    today = timezone.localdate()
    actions = [
        (
            action,
            label,
            posting_services.transition_notice(posting, action),
            action in posting_services.REASON_REQUIRED,
            posting_services.transition_default_date(posting, action, today),
        )
        for action, (source, _target, label) in posting_services.TRANSITIONS.items()
        if may_move and posting.status == source
    ]
    return render(
        request,
        "postings/posting_detail.html",
        {
            "posting": posting,
            "notes": notes,
            "changes": list(posting.status_changes.select_related("by")),
            "extensions": list(posting.extensions.select_related("by")),
            "assignments": list(posting.assignments.select_related("unit")),
            "overrides": list(posting.overrides.select_related("by")),
            "chain": _relay_chain(posting, user),
            "actions": actions,
            "today": today,
            "is_live": posting.status in posting_services.LIVE,
            "can_file_note": role_may_use(user.role, "cadres:note_create")
            and not host_write_refusal(posting, user, what=HostWrite.NOTE, locks=locks),
            # 考核评价 panel, for those who evaluate
            "evaluation_tasks": _evaluation_tasks(user, posting),
        },
    )


def _evaluation_tasks(user, posting: Posting) -> list:
    """The 考核评价 panel's rows (posting_tasks), read only when the posting
    is in a round now collecting: that query's annotations, per source of
    the user's role, cost more than all of the page's other queries, and most
    postings are in no such round. The check shows nothing by itself."""
    if not role_may_use(user.role, "assessment:evaluate"):
        return []
    if not posting.assessments.filter(round__status=Round.Status.COLLECTING).exists():
        return []
    return posting_tasks(user, posting)


def _notes_and_locks(posting: Posting, user) -> tuple[list, list]:
    """The posting's monthly notes, each with `lock_reason` and `may_edit`,
    and the month locks that may cover them. The edit link shows on the
    author's unlocked notes only, and to a host leader as far as the
    host-write rule allows (the last months' notes within the lock window
    once the posting has ended)."""
    notes = list(posting.monthly_notes.select_related("author"))
    locks = list(
        NoteMonthLock.objects.filter(month__in={n.month for n in notes}).select_related(
            "unit", "locked_by"
        )
    )
    for note in notes:
        note.posting = posting
    mark_locked(notes, locks)
    may_edit = role_may_use(user.role, "cadres:note_edit")
    for note in notes:
        note.may_edit = (
            may_edit
            and note.author_id == user.pk
            and not note.lock_reason
            and not host_write_refusal(
                posting, user, what=HostWrite.NOTE, month=note.month, locks=locks
            )
        )
    return notes, locks
