"""Compliance (履职合规): the monthly-note matrix (cadres × months, each cell
filed on time, late, missing, not yet due, waived or not owed, with the rates
per host unit) and the jurisdiction's share of obligations met on time by kind
and month. Both read the stored obligations (their due dates and the day they
were done), so a cell says what the obligations list says; each is a fixed
number of queries whatever the data holds."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl.styles import Alignment, PatternFill

from cadres.models import Unit
from guazhi.dates import add_months
from guazhi.excel import ColumnSpec, Sheet, Styled
from obligations.models import Obligation, Shown, shown_q, shown_state
from postings.models import NOT_BEGUN, Posting

# The obligation kind the matrix shows (obligations.registry's key).
NOTE_KIND = "monthly_note"
MONTHS_SHOWN = 12
# The export's title (its file name's stem, its record's target).
NOTE_COMPLIANCE_TITLE = "月小结填报情况"


class Cell:
    """A matrix cell's states: the five shown states and "not owed"."""

    NOT_OWED = ""
    PENDING = "pending"  # owed, not yet due


CELL_LABELS = {
    Shown.ON_TIME: _lazy("按时"),
    Shown.LATE: _lazy("逾期补报"),
    Shown.OVERDUE: _lazy("缺报"),
    Cell.PENDING: _lazy("待报"),
    Shown.WAIVED: _lazy("免除"),
    Cell.NOT_OWED: "—",
}
# The page's CSS classes and the workbook's fills, one colour per state.
CELL_COLOURS = {
    Shown.ON_TIME: "C6EFCE",
    Shown.LATE: "FFEB9C",
    Shown.OVERDUE: "FFC7CE",
    Cell.PENDING: "DDEBF7",
    Shown.WAIVED: "EDEDED",
}


def window(end: dt.date | None, today: dt.date) -> list[dt.date]:
    """The months shown: MONTHS_SHOWN months up to `end` (by default the month
    before today's, the last whose note can be owed), first days, oldest first."""
    last = (end or add_months(today.replace(day=1), -1)).replace(day=1)
    return [add_months(last, -i) for i in range(MONTHS_SHOWN - 1, -1, -1)]


def note_postings(user, months: list[dt.date], *, unit=None, batch=None):
    """The postings in scope that overlap the months shown."""
    first, after = months[0], add_months(months[-1], 1)
    qs = (
        Posting.objects.visible_to(user)
        .exclude(status__in=NOT_BEGUN)
        .filter(start_date__lt=after)
        .filter(
            Q(ended_on__gte=first)
            | Q(ended_on__isnull=True, planned_end_date__gte=first)
        )
    )
    if unit is not None:
        qs = qs.filter(receiving_unit__in=Unit.objects.subtree(unit).values("pk"))
    if batch is not None:
        qs = qs.filter(batch=batch)
    return qs


def _note_obligations(user, months: list[dt.date]):
    return Obligation.objects.visible_to(user).filter(
        kind=NOTE_KIND, period__gte=months[0], period__lte=months[-1]
    )


def cell_state(status: str, due_on: dt.date, done_on, today: dt.date) -> str:
    """The shown state (obligations.models.shown_state), open and not yet
    due read as "pending" in the matrix."""
    state = shown_state(status, due_on, done_on, today)
    if state == Shown.CANCELLED:
        return Cell.NOT_OWED
    return Cell.PENDING if state == Shown.OPEN else state


@dataclass
class MatrixRow:
    cadre: str
    unit: str
    title: str
    url: str
    cells: list[str]

    def labelled(self) -> list[tuple[str, str]]:
        return [(state, CELL_LABELS[state]) for state in self.cells]


def matrix_rows(user, postings, months: list[dt.date], today: dt.date):
    """One row per posting (cadre, host unit, post), a state per month: one
    query for the postings, one for their notes' obligations."""
    postings = list(postings.select_related("cadre", "receiving_unit"))
    states = {}
    found = _note_obligations(user, months).filter(posting__in=[p.pk for p in postings])
    for posting_id, period, status, due_on, done_on in found.values_list(
        "posting_id", "period", "status", "due_on", "done_on"
    ):
        states[posting_id, period] = cell_state(status, due_on, done_on, today)
    return [
        MatrixRow(
            cadre=p.cadre.name,
            unit=p.receiving_unit.name,
            title=p.title,
            url=p.get_absolute_url(),
            cells=[states.get((p.pk, m), Cell.NOT_OWED) for m in months],
        )
        for p in postings
    ]


@dataclass
class UnitRate:
    unit: str
    due: int
    on_time: int
    late: int
    missing: int
    waived: int

    @property
    def rate(self) -> int | None:
        """Percent filed on time of the notes that fell due (waived ones aside)."""
        owed = self.on_time + self.late + self.missing
        return round(100 * self.on_time / owed) if owed else None


def unit_rates(user, postings, months: list[dt.date], today: dt.date):
    """Per host unit, over every posting filtered (not one page): one GROUP BY."""
    status = Obligation.Status
    due = _note_obligations(user, months).filter(
        Q(due_on__lt=today) | ~Q(status=status.OPEN),
        posting__in=postings.values("pk"),
    )
    grouped = (
        due.order_by()
        .values("posting__receiving_unit__name", "posting__receiving_unit__path")
        .annotate(
            n=Count("*"),
            on_time=Count("pk", filter=shown_q(Shown.ON_TIME, today)),
            late=Count("pk", filter=shown_q(Shown.LATE, today)),
            missing=Count("pk", filter=shown_q(Shown.OVERDUE, today)),
            waived=Count("pk", filter=shown_q(Shown.WAIVED, today)),
        )
        .order_by("posting__receiving_unit__path")
    )
    return [
        UnitRate(
            unit=row["posting__receiving_unit__name"],
            due=row["n"],
            on_time=row["on_time"],
            late=row["late"],
            missing=row["missing"],
            waived=row["waived"],
        )
        for row in grouped
    ]


def matrix_sheets(
    user, postings, months: Sequence[dt.date], today: dt.date
) -> list[Sheet]:
    """The matrix of `postings` as the export writes it: a row per posting,
    each month's state in the page's colours; a second sheet with the rates
    per unit. The export and its background job (exports.kinds) write these."""
    rows = matrix_rows(user, postings, months, today)
    rates = unit_rates(user, postings, months, today)
    fills = {s: PatternFill("solid", fgColor=c) for s, c in CELL_COLOURS.items()}
    centred = Alignment(horizontal="center")
    columns = [
        ColumnSpec(_("姓名"), 12),
        ColumnSpec(_("接收单位"), 20),
        ColumnSpec(_("挂任职务"), 16),
        *(ColumnSpec(f"{m:%Y-%m}", 10) for m in months),
    ]
    matrix = (
        [
            row.cadre,
            row.unit,
            row.title,
            *(
                Styled(str(CELL_LABELS[state]), fills.get(state), centred)
                for state in row.cells
            ),
        ]
        for row in rows
    )
    rate_columns = [
        ColumnSpec(_("接收单位"), 20),
        ColumnSpec(_("应报"), 8),
        ColumnSpec(_("按时"), 8),
        ColumnSpec(_("逾期补报"), 10),
        ColumnSpec(_("缺报"), 8),
        ColumnSpec(_("免除"), 8),
        ColumnSpec(_("按时率(%)"), 10),
    ]
    per_unit = (
        [r.unit, r.due, r.on_time, r.late, r.missing, r.waived, r.rate] for r in rates
    )
    return [
        Sheet(_("月小结填报"), columns, matrix),
        Sheet(_("各单位按时率"), rate_columns, per_unit),
    ]


# --- The jurisdiction's share met on time, by kind and month -----------------


@dataclass
class ShareCell:
    on_time: int
    late: int
    overdue: int
    links: dict  # state -> the obligations list filtered to them

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None


def share_table(
    user, months: list[dt.date], today: dt.date, list_url: str, *, region=None
):
    """{kind key: {month: ShareCell}} over the obligations in scope (of the
    postings in `region`, if given) that fell due in each month (by due date),
    waived ones aside: one GROUP BY. Each cell links to the list's filter."""
    first, after = months[0], add_months(months[-1], 1)
    due = Obligation.objects.visible_to(user).filter(
        Q(due_on__lt=today) | ~Q(status=Obligation.Status.OPEN),
        due_on__gte=first,
        due_on__lt=after,
    )
    if region is not None:
        due = due.filter(Posting.in_subtree_q(region, prefix="posting__"))
    grouped = (
        due.order_by()
        .annotate(month=TruncMonth("due_on"))
        .values("kind", "month")
        .annotate(
            on_time=Count("pk", filter=shown_q(Shown.ON_TIME, today)),
            late=Count("pk", filter=shown_q(Shown.LATE, today)),
            overdue=Count("pk", filter=shown_q(Shown.OVERDUE, today)),
        )
    )
    table: dict[str, dict[dt.date, ShareCell]] = defaultdict(dict)
    for row in grouped:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        base = {"kind": row["kind"], "due_month": f"{month:%Y-%m}"}
        if region is not None:
            base["region"] = region.pk
        table[row["kind"]][month] = ShareCell(
            on_time=row["on_time"],
            late=row["late"],
            overdue=row["overdue"],
            links={
                state: f"{list_url}?" + urlencode({**base, "status": state})
                for state in (Shown.ON_TIME, Shown.LATE, Shown.OVERDUE)
            },
        )
    return table
