"""The reminder ladder's sweep (issue 18) over the province dataset: 10,000
active postings of 50,000, with every obligation up to the day the dataset
was built (the obligations catch-up, run first inside the same transaction).

Everything runs inside one transaction that is rolled back, so the bench
leaves the database as it found it; each sweep in a savepoint rolled back
after it. `today` is the day the dataset was built.

- reminders.sweep.ms: the daily sweep of the whole ladder (every kind's steps
  before and after the due day, the escalations to org staff and the sending
  units), the day after a run (an ordinary day), median of REPEAT runs;
  floor: the one read every sweep needs, the open obligations with a step in
  the window.
- reminders.catch_up.ms: the sweep after CATCH_UP_DAYS days of downtime:
  the latest missed step per recipient sent, older ones stored as skipped
  (about sixteen times the daily work; target MAX_CATCH_UP_MS).
- reminders.sweep.queries: the catch-up's query count (INSERTs left out: one
  per thousand notifications) must not exceed the ordinary day's: it does not
  grow with the postings or the steps due.
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable

from constance.utils import get_values
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import ladder, services
from notifications.models import SweepRun
from obligations import registry
from obligations import services as obligations
from obligations.models import Obligation

from .report import Figure

REPEAT = 3
MAX_MS = 500
# The sweep after downtime sends days' worth at once (as the obligations'
# heaviest day, bench/obligations.py): a looser bound than the daily one.
MAX_CATCH_UP_MS = 2000
CATCH_UP_DAYS = 10
WRITES = ("INSERT", "UPDATE", "SAVEPOINT", "RELEASE", "ROLLBACK")
# A constant statement (the table is obligations.Obligation's).
ANALYZE_OBLIGATIONS = "ANALYZE obligations_obligation"


def _sweep(
    today: dt.date, last_run: dt.date, *, count: bool = False
) -> tuple[float | None, int, object]:
    """(ms, read queries, result) of one sweep after a run on `last_run`.
    Timed without capturing the queries (on SQLite Django's debug cursor
    quotes every parameter of every INSERT in an extra query, which is the
    capture's cost, not the sweep's); `count` captures them instead, and
    the time is then None."""
    with transaction.atomic():
        SweepRun.objects.filter(day__lt=today).delete()
        # The last run saw every obligation there is (the catch-up's).
        top = Obligation.objects.order_by("-pk").values_list("pk", flat=True)[:1]
        SweepRun.objects.create(day=last_run, last_obligation_id=top[0])
        reads, elapsed = 0, None
        if count:
            with CaptureQueriesContext(connection) as queries:
                result = services.sweep(today)
            captured = queries.captured_queries
            reads = len([q for q in captured if not q["sql"].startswith(WRITES)])
        else:
            started = time.perf_counter()
            result = services.sweep(today)
            elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed, reads, result


def _floor(today: dt.date) -> float:
    ladders = {
        k: v for k, v in ladder.ladders(get_values(), list(registry.KINDS)).items() if v
    }
    since = today - dt.timedelta(days=1)
    started = time.perf_counter()
    top = Obligation.objects.order_by("-pk").values_list("pk", flat=True)[0]
    list(
        Obligation.objects.filter(services._candidates_q(ladders, since, today, top))
        .order_by()
        .values_list("pk", "kind", "due_on")
    )
    return (time.perf_counter() - started) * 1000


def _note(result) -> str:
    steps = ", ".join(f"{k} {v}" for k, v in sorted(result.by_step.items()))
    return (
        f"{result.claimed} claimed ({result.skipped} skipped, "
        f"{result.sent_in_app} app only, {result.queued} emails queued): {steps}"
    )


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    today = ctx["built_on"]
    with transaction.atomic():
        obligations.catch_up(today - dt.timedelta(days=1))
        if connection.vendor == "postgresql":
            # The table had no rows when the dataset was built: without fresh
            # statistics PostgreSQL plans the candidates' read as a scan of
            # every open obligation (1.7 s) instead of the index ranges (4 ms).
            # Where the app runs, autovacuum analyzes the table after the
            # catch-up's hundreds of thousands of rows, long before a sweep.
            with connection.cursor() as cursor:
                cursor.execute(ANALYZE_OBLIGATIONS)
        open_ = Obligation.objects.filter(status="open").count()
        _sweep(today, today - dt.timedelta(days=1))  # warm
        runs = [_sweep(today, today - dt.timedelta(days=1)) for _ in range(REPEAT)]
        floors = [_floor(today) for _ in range(REPEAT)]
        behind = today - dt.timedelta(days=CATCH_UP_DAYS)
        catch_ups = [_sweep(today, behind) for _ in range(REPEAT)]
        _ms, queries, result = _sweep(today, today - dt.timedelta(days=1), count=True)
        _cms, catch_up_queries, caught = _sweep(today, behind, count=True)
        transaction.set_rollback(True)
    report(
        Figure(
            "reminders.sweep.ms",
            "ms",
            f"<={MAX_MS}",
            statistics.median(r[0] for r in runs),
            statistics.median(floors),
            notes=[
                f"{today}, the day after a run; {open_} open obligations; "
                + _note(result)
                + f"; median of {REPEAT}, rolled back"
            ],
        )
    )
    report(
        Figure(
            "reminders.catch_up.ms",
            "ms",
            f"<={MAX_CATCH_UP_MS}",
            statistics.median(r[0] for r in catch_ups),
            notes=[
                f"{today}, after {CATCH_UP_DAYS} days without a run: "
                + _note(caught)
                + f"; median of {REPEAT}, rolled back"
            ],
        )
    )
    report(
        Figure(
            "reminders.sweep.queries",
            "queries",
            f"<={queries}",
            catch_up_queries,
            queries,
            notes=[
                f"{catch_up_queries} queries for {caught.claimed} notifications "
                f"(catch-up) against {queries} for {result.claimed} (ordinary day)"
            ],
        )
    )
