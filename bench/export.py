"""The posting roster export of all 50,000 postings, beside bare openpyxl.

The export runs as the export view runs it: the org staff's scoped queryset in
its default order, through postings.exports.posting_roster (which reads it in
chunks of 2,000) to the finished .xlsx bytes. The floor writes
the same rows, already fetched into a list of plain values, with a bare
write-only openpyxl workbook. Peak memory (tracemalloc) is taken in separate
runs of 10,000 and 50,000 rows, since tracing slows the code down.
"""

import io
import statistics
import time
import tracemalloc
from collections.abc import Callable

from openpyxl import Workbook

from postings import exports
from postings.models import Posting

from .report import Figure

REPEAT = 3
ROWS = 50_000
SMALL_ROWS = 10_000
MAX_GROWTH_MB = 20


def _queryset(user):
    return (
        Posting.objects.visible_to(user)
        .select_related("cadre", "sending_unit", "receiving_unit")
        .order_by("-start_date", "-pk")
    )


def _export(user, rows: int) -> bytes:
    return exports.posting_roster(_queryset(user)[:rows])


def _plain_rows(user, rows: int) -> list[tuple]:
    kinds = {k: str(label) for k, label in Posting.Kind.choices}
    statuses = {k: str(label) for k, label in Posting.Status.choices}
    return [
        (name, kinds[kind], sending, receiving, title, start, end, midterm, statuses[s])
        for name, kind, sending, receiving, title, start, end, midterm, s in _queryset(
            user
        )[:rows].values_list(
            "cadre__name",
            "kind",
            "sending_unit__name",
            "receiving_unit__name",
            "title",
            "start_date",
            "planned_end_date",
            "midterm_date",
            "status",
        )
    ]


def _bare(rows: list[tuple]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="挂职名册")
    ws.append([spec.header for spec in exports.COLUMNS])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _seconds(fn: Callable[[], bytes]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _peak_mb(fn: Callable[[], bytes]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()


def _timings(user) -> tuple[float, float, int]:
    """Median seconds of the export and of the floor, and the rows written."""
    plain = _plain_rows(user, ROWS)
    times, floors = [], []
    for _ in range(REPEAT):
        floors.append(_seconds(lambda: _bare(plain)))
        times.append(_seconds(lambda: _export(user, ROWS)))
    return statistics.median(times), statistics.median(floors), len(plain)


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    user = ctx["user"]
    seconds, floor, count = _timings(user)
    report(
        Figure(
            "export.roster_50k.s",
            "s",
            "<=1.2x",
            seconds,
            floor,
            also=count == ROWS,
            notes=[f"{count} rows; median of {REPEAT}"],
        )
    )
    small = _peak_mb(lambda: _export(user, SMALL_ROWS))
    large = _peak_mb(lambda: _export(user, ROWS))
    report(
        Figure(
            "export.roster_50k.peak_mb",
            "MB",
            f"<{small + MAX_GROWTH_MB:.1f}",
            large,
            small,
            notes=[
                f"floor = peak at {SMALL_ROWS} rows; target = floor + "
                f"{MAX_GROWTH_MB} MB (tracemalloc, Python allocations)"
            ],
        )
    )
