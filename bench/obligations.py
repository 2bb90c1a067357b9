"""The obligations sweep over the province dataset (issue 17): 10,000 active
postings of 50,000.

Everything runs inside one transaction that is rolled back, so the bench
leaves the database as it found it: first the catch-up (every past month and
ended posting, in batches) as of the day the dataset was built, then the
daily sweep on the next day (an ordinary day) and on the heaviest day, the
first of the next month, when every active posting's note of the month
before becomes owed (after the sweep of the day before has run, as beat
would have), each in a savepoint rolled back after it.

- obligations.catch_up.s: the catch-up's seconds, one run (no target beyond
  finishing in batches; measured separately, as the issue asks).
- obligations.sweep.ms: the ordinary day's sweep, median of REPEAT runs;
  floor: the one read every sweep needs, the postings that may owe something
  (obligations.rules.started_postings).
- obligations.sweep_heavy.ms: the heaviest day's sweep, median of REPEAT runs.
- obligations.sweep.queries: the heaviest day's query count (INSERTs and
  UPDATEs left out: one per 500 rows written) must not exceed the ordinary
  day's by more than one read per kind (the stored keys of a kind are read
  only when it has something to create): it does not grow with the postings.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from guazhi.dates import add_months
from obligations import rules, services
from obligations.registry import KINDS, Window
from postings.models import Posting

from .report import Figure

REPEAT = 3
MAX_MS = 500
MAX_HEAVY_MS = 2000
WRITES = ("INSERT", "UPDATE", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _sweep(today: dt.date) -> tuple[float, int, services.SweepResult]:
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = services.sweep(today)
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    reads = [q for q in queries.captured_queries if not q["sql"].startswith(WRITES)]
    return elapsed, len(reads), result


def _floor(today: dt.date) -> float:
    window = Window(today=today, since=today - dt.timedelta(days=7))
    started = time.perf_counter()
    rules.started_postings(window)
    return (time.perf_counter() - started) * 1000


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    built = ctx["built_on"]
    # An ordinary day: the day after the catch-up, on the day the data was
    # built (later days find every cadre's work logs stopped at that day).
    ordinary = built
    heavy = add_months(built.replace(day=1), 1)
    with transaction.atomic():
        started = time.perf_counter()
        caught = services.catch_up(ordinary - dt.timedelta(days=1))
        seconds = time.perf_counter() - started
        report(
            Figure(
                "obligations.catch_up.s",
                "s",
                "<=600",
                seconds,
                notes=[
                    f"{caught.created} obligations created and {caught.closed} "
                    f"closed for {Posting.objects.exclude(status__in=['proposed', 'withdrawn']).count()} "
                    f"postings begun, as of {ordinary - dt.timedelta(days=1)}; "
                    "batches of 2000 postings"
                ],
            )
        )
        _sweep(ordinary)  # warm
        runs = [_sweep(ordinary) for _ in range(REPEAT)]
        floors = [_floor(ordinary) for _ in range(REPEAT)]
        services.sweep(heavy - dt.timedelta(days=1))  # the day before, kept
        heavy_runs = [_sweep(heavy) for _ in range(REPEAT)]
        transaction.set_rollback(True)
    _ms, queries, result = runs[0]
    _hms, heavy_queries, heavy_result = heavy_runs[0]
    report(
        Figure(
            "obligations.sweep.ms",
            "ms",
            f"<={MAX_MS}",
            statistics.median(r[0] for r in runs),
            statistics.median(floors),
            notes=[
                f"{ordinary}: {result.created} created, {result.closed} closed; "
                f"median of {REPEAT}, rolled back"
            ],
        )
    )
    report(
        Figure(
            "obligations.sweep_heavy.ms",
            "ms",
            f"<={MAX_HEAVY_MS}",
            statistics.median(r[0] for r in heavy_runs),
            notes=[
                f"{heavy}: {heavy_result.created} created "
                f"({heavy_result.created_by_kind.get('monthly_note', 0)} monthly "
                f"notes), {heavy_result.closed} closed; median of {REPEAT}, rolled back"
            ],
        )
    )
    report(
        Figure(
            "obligations.sweep.queries",
            "queries",
            # One read of the stored keys per kind with something to create.
            f"<={queries + len(KINDS)}",
            heavy_queries,
            queries,
            notes=[
                f"{heavy_queries} queries on {heavy} ({heavy_result.created} "
                f"created) against {queries} on {ordinary} ({result.created} created)"
            ],
        )
    )
