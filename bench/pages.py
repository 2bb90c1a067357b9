"""Server time of each page in-process, beside the bare floor page of its model.

The test client goes through the whole middleware stack, logged in as the
province's org staff (bench_org), so every list holds every row. Page and floor
requests alternate, so a slow moment of the machine hits both. After a warm-up,
200 of each (`--requests`); median and p99 (nearest rank) in milliseconds. A
page so slow that its requests would take more than BUDGET_SECONDS stops
there (at least MIN_REQUESTS), and its note says so. Queries are counted once
per page size: 10, 50 (the default) and 100.
"""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .report import Figure, failed, skipped

WARMUP = 10
BUDGET_SECONDS = 90
MIN_REQUESTS = 20
PAGE_SIZES = (10, 50, 100)
MAX_QUERIES = 8


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[dict], str]
    floor: str  # model key of bench.urls.FLOORS
    needs: str = ""  # a context key that must be set, else the page is skipped


PAGES = [
    Page("cadres", lambda ctx: reverse("cadres:list"), "cadres"),
    Page("postings", lambda ctx: reverse("postings:list"), "postings"),
    Page("notes", lambda ctx: reverse("cadres:note_list"), "notes"),
    Page("dashboard", lambda ctx: reverse("home"), "postings"),
    # The dossier timeline (一人一档) is the cadre's page.
    Page(
        "dossier",
        lambda ctx: reverse("cadres:detail", args=[ctx["cadre_pk"]]),
        "cadres",
    ),
    Page(
        "posting_detail",
        lambda ctx: reverse("postings:detail", args=[ctx["posting_pk"]]),
        "postings",
    ),
    # The province batch: 500 nominations and 500 open posts.
    Page(
        "batch",
        lambda ctx: reverse("postings:batch_detail", args=[ctx["batch_pk"]]),
        "nominations",
    ),
    # A county's closed annual round (bench.run.context picks it).
    Page(
        "round_results",
        lambda ctx: reverse("assessment:round_results", args=[ctx["round_pk"]]),
        "assessments",
        needs="round_pk",
    ),
]
# Pages of later issues: (name, why there is no figure yet).
LATER_PAGES: list[tuple[str, str]] = []


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def _get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def _queries(client: Client, url: str) -> dict[int, int]:
    counts = {}
    for size in PAGE_SIZES:
        with override_settings(PAGE_SIZE=size), CaptureQueriesContext(connection) as q:
            client.get(url)
        counts[size] = len(q.captured_queries)
    return counts


def measure(page: Page, client: Client, ctx: dict, requests: int) -> list[Figure]:
    prefix = f"page.{page.name}"
    url = page.url(ctx)
    floor_url = reverse("bench_floor", args=[page.floor])
    try:
        for _ in range(WARMUP):
            _get(client, url)
            _get(client, floor_url)
        times, floors = [], []
        deadline = time.monotonic() + BUDGET_SECONDS
        while len(times) < requests:
            times.append(_get(client, url))
            floors.append(_get(client, floor_url))
            if len(times) >= MIN_REQUESTS and time.monotonic() > deadline:
                break
        counts = _queries(client, url)
    except Exception as exc:  # the figure fails, the bench goes on
        return [
            failed(f"{prefix}.median_ms", "ms", "<=1.5x", repr(exc)),
            failed(f"{prefix}.p99_ms", "ms", "<=2x", repr(exc)),
            failed(f"{prefix}.queries", "queries", f"<={MAX_QUERIES}", repr(exc)),
        ]
    same = len(set(counts.values())) == 1
    sizes = ", ".join(f"{n} at page size {size}" for size, n in counts.items())
    return [
        Figure(
            f"{prefix}.median_ms",
            "ms",
            "<=1.5x",
            statistics.median(times),
            statistics.median(floors),
            notes=[
                f"{url} against {floor_url}, {len(times)} requests each"
                + (
                    f" (stopped at the {BUDGET_SECONDS} s budget)"
                    if len(times) < requests
                    else ""
                )
            ],
        ),
        Figure(f"{prefix}.p99_ms", "ms", "<=2x", p99(times), p99(floors)),
        Figure(
            f"{prefix}.queries",
            "queries",
            f"<={MAX_QUERIES}",
            counts[50],
            also=same,
            notes=[] if same else [f"query count depends on page size: {sizes}"],
        ),
    ]


def later_page_figures(name: str, reason: str) -> list[Figure]:
    prefix = f"page.{name}"
    return [
        skipped(f"{prefix}.median_ms", "ms", "<=1.5x", reason),
        skipped(f"{prefix}.p99_ms", "ms", "<=2x", reason),
        skipped(f"{prefix}.queries", "queries", f"<={MAX_QUERIES}", reason),
    ]


def run(
    ctx: dict,
    requests: int,
    report: Callable[[Figure], None],
    wanted: Callable[[str], bool] = lambda prefix: True,
) -> None:
    """Every page's figures; `wanted(prefix)` picks pages ("page.<name>")."""
    client = Client()
    client.force_login(ctx["user"])
    for page in PAGES:
        if not wanted(f"page.{page.name}"):
            continue
        if page.needs and ctx.get(page.needs) is None:
            figures = later_page_figures(page.name, f"no {page.needs} in the dataset")
        else:
            figures = measure(page, client, ctx, requests)
        for figure in figures:
            report(figure)
    for name, reason in LATER_PAGES:
        if wanted(f"page.{name}"):
            for figure in later_page_figures(name, reason):
                report(figure)
