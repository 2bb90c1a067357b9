"""The monthly notes list (月小结): the notes filed, and beside them, for one
month, the notes still owed (未填报).

It lives above the obligations because what is owed is theirs to say: a
posting owes a month's note while its monthly-note obligation is open, so a
note waived by org staff is not missing here, as it is not on the home pages
or the compliance matrix (obligations.kinds, NOTE_KIND).
"""

import datetime as dt
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from cadres.models import Unit
from cadres.policy import role_may_use
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import columns, page_context, paginate, sorted_queryset
from obligations.models import Obligation, Shown
from postings.models import Posting
from records.forms import NoteFilterForm
from records.host_write import HostWrite, host_write_refusal
from records.models import MonthlyNote, NoteMonthLock
from records.views import NOTE_ROW_FIELDS, note_rows

from .compliance import NOTE_KIND

NOTE_SORTS = {
    "month": "month",
    "cadre": "posting__cadre__name",
    "unit": "posting__receiving_unit__name",
}

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


def note_list(request: AuthenticatedHttpRequest):
    """The notes filed, filtered by month, unit and cadre; beside them the
    notes of the month still owed (未填报)."""
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
        missing = paginate(
            request,
            missing_note_values(request.user, form, month),
            param="missing_page",
        )
        missing.object_list = missing_note_rows(
            request.user, missing.object_list, month, today
        )
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


class MissingRow(NamedTuple):
    """A posting whose note for the month is still owed."""

    cadre: str
    unit: str
    title: str
    status: str
    due_on: dt.date
    overdue: bool
    posting_url: str
    file_url: str  # "" unless the user may file the note


MISSING_FIELDS = (
    "posting_id",
    "posting__cadre__name",
    "posting__receiving_unit__name",
    "posting__title",
    "posting__status",
    "posting__planned_end_date",
    "posting__ended_on",
    "posting__sending_unit__path",
    "posting__receiving_unit__path",
    "due_on",
)


def missing_note_values(user, form: NoteFilterForm, month: dt.date):
    """The open monthly-note obligations of `month` in `user`'s scope (and the
    form's unit and cadre), as MISSING_FIELDS tuples: one query, read through
    the obligations' (kind, period) index."""
    return (
        Obligation.objects.visible_to(user)
        .filter(kind=NOTE_KIND, period=month, status=Obligation.Status.OPEN)
        .filter(form.posting_q("posting__"))
        .order_by("posting__receiving_unit__name", "posting__cadre__name", "posting_id")
        .values_list(*MISSING_FIELDS)
    )


def missing_note_rows(user, values, month: dt.date, today: dt.date):
    """MissingRows of one page of `missing_note_values`: the link to file
    the note for those the host-write rule lets file it (one query for the
    month's locks)."""
    may_file = role_may_use(user.role, "cadres:note_create")
    locks = list(
        NoteMonthLock.objects.filter(month=month).select_related("unit", "locked_by")
        if may_file
        else ()
    )
    status_labels = dict(Posting.Status.choices)
    query = "?" + urlencode({"month": f"{month:%Y-%m}"})
    rows = []
    for (
        pk,
        cadre,
        unit,
        title,
        status,
        end,
        ended,
        sending,
        receiving,
        due_on,
    ) in values:
        file_url = ""
        posting = Posting(
            pk=pk,
            status=status,
            planned_end_date=end,
            ended_on=ended,
            sending_unit=Unit(path=sending),
            receiving_unit=Unit(path=receiving),
        )
        if may_file and not host_write_refusal(
            posting, user, what=HostWrite.NOTE, month=month, locks=locks, today=today
        ):
            file_url = reverse("cadres:note_create", args=[pk]) + query
        rows.append(
            MissingRow(
                cadre=cadre,
                unit=unit,
                title=title,
                status=str(status_labels[status]),
                due_on=due_on,
                overdue=Obligation(status="open", due_on=due_on).shown(today)
                == Shown.OVERDUE,
                posting_url=reverse("postings:detail", args=[pk]),
                file_url=file_url,
            )
        )
    return rows
