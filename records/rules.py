"""The rules the records follow (seeds 002 and 004, DOMAIN.md rules 7-9):
which months owe a note and which reports fall due when, which months are
locked, and the warning level a period's points reach. The dossier, the
services, the host-write rule and the assessment read them from here."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guazhi.dates import add_months, month_days
from postings.models import NOT_BEGUN, Posting

from .models import (
    MonthlyNote,
    NoteMonthLock,
    Report,
    Warning,
)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=month_days(month))


def term_end(posting: Posting) -> dt.date:
    return posting.ended_on or posting.planned_end_date


def has_ended(posting: Posting) -> bool:
    return posting.status in (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)


def expected_note_months(posting: Posting, today: dt.date) -> list[dt.date]:
    """Months of the term that have ended: each is owed a monthly note."""
    if posting.status in NOT_BEGUN:
        return []
    months, month = [], posting.start_date.replace(day=1)
    last, current = term_end(posting).replace(day=1), today.replace(day=1)
    while month <= last and month < current:
        months.append(month)
        month = (
            month.replace(month=month.month + 1)
            if month.month < 12
            else month.replace(year=month.year + 1, month=1)
        )
    return months


def report_due_dates(posting: Posting) -> dict[str, list[dt.date]]:
    """When each kind of report falls due (seed 004, DOMAIN.md rule 8).

    A written report every six months, one research report a month before the
    end, the end-of-term summary at the end, and a self-review (述职) at the
    mid-term and the end-of-term assessments.
    """
    end = term_end(posting)
    semiannual, k = [], 1
    while (due := add_months(posting.start_date, 6 * k)) < end:
        semiannual.append(due)
        k += 1
    research = max(posting.start_date, end - dt.timedelta(days=30))
    reviews = sorted({d for d in (posting.midterm_date, end) if d <= end})
    return {
        Report.Kind.SEMIANNUAL: semiannual,
        Report.Kind.RESEARCH: [research],
        Report.Kind.FINAL_SUMMARY: [end],
        Report.Kind.SELF_REVIEW: reviews,
    }


def open_report_slots(posting: Posting, filed: dict[str, int]) -> dict[str, dt.date]:
    """The next unfilled due date per report kind, given how many are filed."""
    return {
        kind: dates[filed.get(kind, 0)]
        for kind, dates in report_due_dates(posting).items()
        if filed.get(kind, 0) < len(dates)
    }


@dataclass(frozen=True)
class Slot:
    kind: str
    due: dt.date
    report: Report | None

    @property
    def label(self) -> str:
        return str(Report.Kind(self.kind).label)


def report_schedule(posting: Posting, reports: list[Report]) -> list[Slot]:
    """Due slots in date order; the n-th report of a kind fills its n-th slot."""
    by_kind = defaultdict(list)
    for report in sorted(reports, key=lambda r: (r.due_date, r.pk)):
        by_kind[report.kind].append(report)
    slots = []
    for kind, dates in report_due_dates(posting).items():
        filed = by_kind[kind]
        slots += [
            Slot(kind, due, filed[i] if i < len(filed) else None)
            for i, due in enumerate(dates)
        ]
    return sorted(slots, key=lambda s: s.due)


def first_open_month(today: dt.date) -> dt.date:
    """The earliest month whose notes the automatic lock leaves open `today`:
    a month locks by itself `MONTHLY_NOTE_LOCK_DAYS` days after its end."""
    return (today - dt.timedelta(days=settings.MONTHLY_NOTE_LOCK_DAYS)).replace(day=1)


def month_lock_reason(
    posting: Posting, month: dt.date, locks: list[NoteMonthLock], today: dt.date
) -> str:
    """Why notes of `month` on `posting` may no longer be written, or "" while
    they may: a lock of org staff over the posting, or the automatic one."""
    month = month.replace(day=1)
    for lock in locks:
        if lock.month == month and lock.covers(posting):
            return _("%(month)s的月小结已由%(who)s于%(at)s锁定，不能再修改。") % {
                "month": f"{month:%Y年%m月}",
                "who": lock.locked_by,
                "at": timezone.localtime(lock.locked_at).strftime("%Y-%m-%d"),
            }
    if month < first_open_month(today):
        return _("%(month)s的月小结在月末%(days)s天后已自动锁定，不能再修改。") % {
            "month": f"{month:%Y年%m月}",
            "days": settings.MONTHLY_NOTE_LOCK_DAYS,
        }
    return ""


def note_lock_reason(
    note: MonthlyNote, locks: list[NoteMonthLock], today: dt.date
) -> str:
    """Why a monthly note may no longer be edited, or "" while it may."""
    return month_lock_reason(note.posting, note.month, locks, today)


def mark_locked(notes, locks=None) -> None:
    """Set `lock_reason` on each note ("" while editable), one query for all
    (none when the caller has read the locks that may cover them)."""
    notes = list(notes)
    if locks is None:
        locks = NoteMonthLock.objects.filter(
            month__in={n.month for n in notes}
        ).select_related("unit", "locked_by")
    locks, today = list(locks), timezone.localdate()
    for note in notes:
        note.lock_reason = note_lock_reason(note, locks, today)


# 蓝黄红三级预警 (seed 001, 《领导干部日常行为量化监督管理蓝黄红三级预警实施办法》;
# DOMAIN.md rule 9), from the mildest: the order of Warning.Level's members.
WARNING_LEVELS_MILDEST_FIRST: tuple[str, ...] = tuple(Warning.Level.values)
# Yellow and red: the org staff are told at once, and a round may cap a grade.
SERIOUS_WARNING_LEVELS: tuple[str, ...] = WARNING_LEVELS_MILDEST_FIRST[
    WARNING_LEVELS_MILDEST_FIRST.index(Warning.Level.YELLOW) :
]


def warning_severity(level: str) -> int:
    """How severe a warning level is: 0 for none, up to red (seed 001's
    蓝黄红三级预警); compare levels with this, never by their names."""
    return WARNING_LEVELS_MILDEST_FIRST.index(level)


def warning_level(points: int) -> str:
    """The level that a period's points reach (thresholds in settings)."""
    level = Warning.Level.NONE
    for candidate in WARNING_LEVELS_MILDEST_FIRST[1:]:
        if points >= settings.WARNING_THRESHOLDS[candidate]:
            level = Warning.Level(candidate)
    return level


def period_points(warnings, *, on: dt.date) -> int:
    """Points of the warnings in force within the period that ends on `on`."""
    since = on - dt.timedelta(days=settings.WARNING_PERIOD_DAYS)
    return sum(
        w.points
        for w in warnings
        if w.status == Warning.Status.ACTIVE and since < w.occurred_on <= on
    )
