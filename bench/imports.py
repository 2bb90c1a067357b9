"""The cadre import of a 5,000-row roster, and the refusal of hostile files.

- import.cadres_5k.validate_s: imports.services.preview_file on a workbook of
  5,000 new cadres (units of the province named as a clerk would, a tenth as
  “上级单位/单位名称”), as the province org staff (every unit in scope): reading,
  parsing, looking units and cadres up, the preview. Floor: openpyxl reading
  the same workbook read-only, every cell of every row (what any import costs).
- import.cadres_5k.commit_s: imports.services.commit_file of the same file,
  rolled back afterwards so that the bench database stays as built. Floor:
  what any import of the file costs: openpyxl reading it read-only, then
  bulk_create of the same 5,000 cadres from plain values (also rolled back).
- import.hostile.<case>.ms: the import refusing each file of the hostile corpus
  (tests/hostile_uploads.py), median of REPEAT runs; the issue asks for a clear
  message within a second.
"""

import datetime as dt
import io
import statistics
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count
from openpyxl import Workbook, load_workbook

from cadres import idcard
from cadres.models import Cadre, Unit
from imports import services
from imports.spec import SPECS
from tests.hostile_uploads import CORPUS

from .report import Figure

ROWS = 5_000
REPEAT = 3
HOSTILE_MAX_MS = 1000


class _Rollback(Exception):
    pass


def _units() -> list[str]:
    """Cells naming 50 units: unique names as they are, others with their parent."""
    units = list(
        Unit.objects.exclude(kind="region")
        .select_related("parent")
        .order_by("path")[::37][:50]
    )
    counts = dict(
        Unit.objects.filter(name__in=[u.name for u in units])
        .values_list("name")
        .annotate(n=Count("pk"))
    )
    return [
        u.name if counts[u.name] == 1 else f"{u.parent.name}/{u.name}" for u in units
    ]


def _workbook() -> bytes:
    units = _units()
    taken = set(
        Cadre.objects.filter(id_number__startswith="110101").values_list(
            "id_number", flat=True
        )
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("干部")
    ws.append(SPECS["cadres"].headers)
    made = 0
    day = 0
    while made < ROWS:
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=day)
        for seq in range(500):
            if made == ROWS:
                break
            number = idcard.make("110101", birth, seq, "M" if seq % 2 else "F")
            if number in taken:
                continue
            ws.append(
                [
                    f"导入干部{made}",
                    "",
                    number,
                    birth,
                    "汉族",
                    "中共党员",
                    "本科",
                    "经济管理",
                    units[made % len(units)],
                    "科长",
                    "正科级",
                    "2019.06",
                    "否",
                    "13800000000",
                    "2019年6月",
                    "是",
                ]
            )
            made += 1
        day += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _read_all(data: bytes) -> int:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    cells = sum(len(row) for row in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return cells


def _rolled_back(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        with transaction.atomic():
            fn()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _bare_insert(data: bytes, result) -> None:
    _read_all(data)
    Cadre.objects.bulk_create(
        [Cadre(**row.data) for row in result.rows], batch_size=services.BULK
    )


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    user = ctx["user"]
    data = _workbook()

    def validate():
        return services.preview_file("cadres", io.BytesIO(data), "干部.xlsx", user=user)

    result = validate()  # warm: the settings, the units' first read
    ok = not result.errors and len(result.rows) == ROWS
    notes = [f"{len(result.rows)} rows, {len(result.errors)} errors"]
    if result.errors:
        notes.append(services.line(result.errors[0]))
    times, floors = [], []
    for _ in range(REPEAT):  # alternating, so that machine noise hits both
        floors.append(_seconds(lambda: _read_all(data)))
        times.append(_seconds(validate))
    report(
        Figure(
            "import.cadres_5k.validate_s",
            "s",
            "<=2x",
            statistics.median(times),
            statistics.median(floors),
            also=ok,
            notes=[*notes, f"median of {REPEAT}; floor: openpyxl read-only, all cells"],
        )
    )
    commits, floors = [], []
    for _ in range(REPEAT):
        floors.append(_rolled_back(lambda: _bare_insert(data, result)))
        commits.append(
            _rolled_back(
                lambda: services.commit_file(
                    "cadres", io.BytesIO(data), "干部.xlsx", by=user
                )
            )
        )
    commit, floor = statistics.median(commits), statistics.median(floors)
    report(
        Figure(
            "import.cadres_5k.commit_s",
            "s",
            "<=3x",
            commit,
            floor,
            also=ok and not Cadre.objects.filter(name="导入干部0").exists(),
            notes=[
                f"median of {REPEAT}; validate + write in one transaction, rolled "
                "back; floor: what any import of the file costs, openpyxl reading "
                "it read-only and bulk_create of the same rows (rolled back)"
            ],
        )
    )
    for case, hostile in CORPUS.items():
        if not hostile.name.endswith((".xlsx", ".docx")):
            continue
        built = hostile.build()
        runs = []
        refused = True
        for _ in range(REPEAT):
            started = time.perf_counter()
            outcome = services.preview_file(
                "cadres", io.BytesIO(built), "干部.xlsx", user=user
            )
            runs.append((time.perf_counter() - started) * 1000)
            refused = refused and bool(outcome.errors) and not outcome.rows
        report(
            Figure(
                f"import.hostile.{case}.ms",
                "ms",
                f"<={HOSTILE_MAX_MS}",
                statistics.median(runs),
                also=refused,
                notes=[outcome.errors[0].message if outcome.errors else "accepted!"],
            )
        )
