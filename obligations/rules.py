"""The dates obligations fall due on (issue 17; DOMAIN.md rules 7, 8, 14, 15),
and the jurisdiction that manages a posting. Each figure an admin may change
is a setting (django-constance), read once per run of the sweep.
"""

import datetime as dt
from dataclasses import dataclass

from constance.utils import get_values
from django.db.models import Q

from cadres.models import Unit, ancestor_paths
from guazhi.dates import add_months
from postings.models import Posting

from .registry import Window

# Postings that have begun: they owe records and reviews.
STARTED = (Posting.Status.ACTIVE, Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)
ENDED = (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)
# How long before its due day an obligation of a written record (a report,
# the appraisal, a visit) becomes known and shows on the home pages.
RECORD_LEAD_DAYS = 30
# The daily sweep looks back this far, so that a few days it did not run are
# caught up by itself; anything older is the catch-up's.
SWEEP_LOOKBACK_DAYS = 7
# The daily sweep closes, besides what the signals close at once, the open
# obligations due from this many days ago on.
SWEEP_CLOSE_DAYS = 14

SETTINGS = (
    "NOTE_DUE_DAY",
    "WORKLOG_GAP_DAYS",
    "FINAL_ASSESSMENT_DAYS_BEFORE_END",
    "VISIT_MONTHS_AFTER_END",
    "SUPPORT_OPEN_DAYS",
    "ROUND_LEAD_DAYS",
)


def current_settings() -> dict:
    """Every constance setting, in one query (reading `config.NAME` costs a
    query or two each, and stores the default on the first read)."""
    return get_values()


def setting(window: Window, name: str) -> int:
    """A constance setting, read once per run of the sweep."""
    return int(window.cached("settings", current_settings)[name])


def note_due_on(month: dt.date, due_day: int) -> dt.date:
    """The day the monthly note (月小结) of `month` is due: day `due_day`
    (NOTE_DUE_DAY, default 10) of the next month (seed 001: 实行“日记录、
    月小结、年评议”; DOMAIN.md rule 8)."""
    return add_months(month.replace(day=1), 1).replace(day=due_day)


def worklog_gap_due_on(gap_start: dt.date, gap_days: int) -> dt.date:
    """The day a run of days without a work log (日记录) reaches `gap_days`
    days (WORKLOG_GAP_DAYS, default 7): the cadre logs daily (seed 001:
    日记录; DOMAIN.md rule 8), and a gap that long is owed a log."""
    return gap_start + dt.timedelta(days=gap_days - 1)


def final_assessment_due_on(term_end: dt.date, start: dt.date, days: int) -> dt.date:
    """The end-of-term assessment is held `days` days (FINAL_ASSESSMENT_DAYS_
    BEFORE_END, default 30) before the end, not before the start (seed 002:
    在掛職中期和結束前……考核; DOMAIN.md rule 7)."""
    return max(start, term_end - dt.timedelta(days=days))


def annual_review_dates(start: dt.date, term_end: dt.date) -> list[dt.date]:
    """The anniversaries of a posting longer than a year, each owed an annual
    review (seed 001: 年评议; DOMAIN.md rule 7): every full year of the term
    that ends before its end."""
    dates, k = [], 1
    while (anniversary := add_months(start, 12 * k)) < term_end:
        dates.append(anniversary)
        k += 1
    return dates


def visit_due_on(ended_on: dt.date, months: int) -> dt.date:
    """The follow-up visit (回访) of the sending unit is due `months` months
    (VISIT_MONTHS_AFTER_END, default 6) after the posting ended (DOMAIN.md
    rule 14: the sending unit is visited later; no seed states a figure)."""
    return add_months(ended_on, months)


def support_due_on(raised_on: dt.date, days: int) -> dt.date:
    """A support need (后勤保障) is followed until resolved and owed a
    resolution within `days` days (SUPPORT_OPEN_DAYS, default 30) of being
    raised (seed 000: 建立后勤保障机制; DOMAIN.md rule 15)."""
    return raised_on + dt.timedelta(days=days)


# --- The managing jurisdiction ------------------------------------------------

# Posting fields, each read as a lookup, that `managing_jurisdictions` needs.
JURISDICTION_FIELDS = (
    "batch__unit_id",
    "batch__unit__path",
    "sending_unit__path",
    "receiving_unit__path",
)


def managing_jurisdictions(rows) -> dict:
    """key → (unit id, path) of the jurisdiction that manages each posting,
    from rows (key, batch unit id, batch unit path, sending unit path,
    receiving unit path).

    The batch's unit when the posting has a batch and lies in its scope; else
    the nearest administrative region (行政区域) at or above the sending unit:
    the county for county organs, townships and villages, the city for 市直
    organs. Org staff sit at region units, so the county's org staff and every
    level above see what it manages. The round proposals (assessment) hold
    their rounds there, and org staff owe its obligations there.
    """
    rows = list(rows)
    paths = {p for row in rows for p in ancestor_paths(row[3])}
    regions = dict(
        Unit.objects.filter(path__in=paths, kind=Unit.Kind.REGION).values_list(
            "path", "pk"
        )
    )
    found = {}
    for key, batch_unit, batch_path, send, recv in rows:
        if batch_unit and (send.startswith(batch_path) or recv.startswith(batch_path)):
            found[key] = (batch_unit, batch_path)
            continue
        for path in reversed(ancestor_paths(send)):
            if path in regions:
                found[key] = (regions[path], path)
                break
    return found


def managing_jurisdiction(posting: Posting) -> tuple[int, str] | None:
    """(unit id, path) of the jurisdiction that manages one posting."""
    row = Posting.objects.filter(pk=posting.pk).values_list("pk", *JURISDICTION_FIELDS)
    return managing_jurisdictions(row).get(posting.pk)


# --- What one run of the sweep reads -----------------------------------------

_POSTING_FIELDS = (
    "pk",
    "cadre_id",
    "status",
    "start_date",
    "planned_end_date",
    "midterm_date",
    "ended_on",
    "sending_unit_id",
    "receiving_unit_id",
)


@dataclass(slots=True)
class PostingDates:
    """What the date rules read of a posting (records.rules takes it in a
    Posting's place): a fraction of a model instance's cost to build, for the
    ten thousand a run reads."""

    pk: int
    cadre_id: int
    status: str
    start_date: dt.date
    planned_end_date: dt.date
    midterm_date: dt.date
    ended_on: dt.date | None
    sending_unit_id: int
    receiving_unit_id: int


def started_postings(window: Window) -> list[PostingDates]:
    """The postings that have begun and may owe something in the window (all
    of them for the catch-up; for a daily run the active ones and those that
    ended recently enough to owe a visit). Loaded once per run, from the
    posting table alone: the managing jurisdiction, which needs three joins,
    is read by `jurisdictions` for the few postings a kind needs it for."""

    def load() -> list[PostingDates]:
        qs = Posting.objects.filter(window.posting_q(), status__in=STARTED)
        if window.since is not None:
            months = setting(window, "VISIT_MONTHS_AFTER_END") + 1
            qs = qs.filter(
                Q(status=Posting.Status.ACTIVE)
                | Q(ended_on__gte=add_months(window.since, -months))
            )
        return [
            PostingDates(*row) for row in qs.order_by().values_list(*_POSTING_FIELDS)
        ]

    return window.cached("started_postings", load)


def jurisdictions(posting_ids) -> dict[int, tuple[int, str]]:
    """Posting id → (unit id, path) of its managing jurisdiction, for the
    given postings: one query for their rows, one for the regions above."""
    ids = list(posting_ids)
    if not ids:
        return {}
    found = {}
    for start in range(0, len(ids), 2000):
        rows = Posting.objects.filter(pk__in=ids[start : start + 2000]).values_list(
            "pk", *JURISDICTION_FIELDS
        )
        found.update(managing_jurisdictions(rows.order_by()))
    return found
