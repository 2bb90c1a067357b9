"""The mid-term reminder sweep over the 10,000 active postings (of 50,000).

Every sweep runs inside a transaction that is rolled back, so the bench leaves
the database as it found it. `today` is the day the dataset was built, so the
sweep finds the same postings however old the bench database is.

- time: the whole sweep, median of REPEAT runs; floor: one indexed anti-join
  query selecting the active postings due in the window that have no reminder
  yet, the least a sweep must ask the database.
- queries: the sweep's query count with the window widened to WIDE_DAYS (about
  six times as many postings due) must not exceed the count at the default
  window.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from postings.models import Posting, Reminder
from postings.services import reminders_sweep_midterm

from .report import Figure

REPEAT = 5
MAX_MS = 500
WIDE_DAYS = 90


def _sweep(today: dt.date) -> tuple[float, int, int]:
    """(milliseconds, queries, reminders offered) of one rolled-back sweep.
    The queries leave out the INSERTs, one per thousand reminders created
    (bulk_create's batches): what must not grow with the postings due is the
    rest."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        offered = reminders_sweep_midterm(today=today)
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    reads = [q for q in queries.captured_queries if not q["sql"].startswith("INSERT")]
    return elapsed, len(reads), offered


def _anti_join(today: dt.date) -> tuple[float, int]:
    horizon = today + dt.timedelta(days=settings.REMINDER_MIDTERM_DAYS_AHEAD)
    reminded = Reminder.objects.filter(
        posting=OuterRef("pk"),
        kind=Reminder.Kind.MIDTERM,
        due_date=OuterRef("midterm_date"),
    )
    started = time.perf_counter()
    due = list(
        Posting.objects.active()
        .filter(midterm_date__gte=today, midterm_date__lte=horizon)
        .exclude(Exists(reminded))
        .values_list("pk", "midterm_date")
    )
    return (time.perf_counter() - started) * 1000, len(due)


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    today = ctx["built_on"]
    _sweep(today)  # warm
    runs = [_sweep(today) for _ in range(REPEAT)]
    floors = [_anti_join(today)[0] for _ in range(REPEAT)]
    _ms, queries, offered = runs[0]
    window = settings.REMINDER_MIDTERM_DAYS_AHEAD
    due = Posting.objects.active().filter(
        midterm_date__gte=today,
        midterm_date__lte=today + dt.timedelta(days=window),
    )
    report(
        Figure(
            "reminders.sweep.ms",
            "ms",
            f"<={MAX_MS}",
            statistics.median(r[0] for r in runs),
            statistics.median(floors),
            notes=[
                f"{due.count()} of {Posting.objects.active().count()} active postings "
                f"due within {window} days of {today}; {offered} reminders offered; "
                f"median of {REPEAT}, rolled back"
            ],
        )
    )
    with override_settings(REMINDER_MIDTERM_DAYS_AHEAD=WIDE_DAYS):
        _wide_ms, wide_queries, wide_offered = _sweep(today)
    report(
        Figure(
            "reminders.sweep.queries",
            "queries",
            f"<={queries}",
            wide_queries,
            queries,
            notes=[
                f"{wide_queries} queries for {wide_offered} reminders offered "
                f"({WIDE_DAYS}-day window) against {queries} for {offered} "
                f"({window}-day window)"
            ],
        )
    )
