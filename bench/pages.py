"""Server time of each page in-process, beside the bare floor page of its model.

The test client goes through the whole middleware stack, logged in as the
province's org staff (bench_org), so every list holds every row. Page and floor
requests alternate, so a slow moment of the machine hits both. After a warm-up,
200 of each (`--requests`); median and p99 (nearest rank) in milliseconds. A
page so slow that its requests would take more than BUDGET_SECONDS stops
there (at least MIN_REQUESTS), and its note says so.

Cold: COLD_REQUESTS more requests, each made right after a write to a table
the page reads (`Page.touch`), what a user meets after someone else saved; the
median against the floor's. Queries are counted once per page size: 10, 50 (the
default) and 100; they must not change with it and stay within the page's
limit (12 on list pages; on the dossier and posting pages one per record kind
plus the fixed ones).
"""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .report import Figure, failed, skipped

WARMUP = 10
BUDGET_SECONDS = 90
MIN_REQUESTS = 20
COLD_REQUESTS = 30
PAGE_SIZES = (10, 50, 100)
LIST_MAX_QUERIES = 12
MEDIAN, P99, COLD = "<=3x", "<=4x", "<=5x"


def _touch_posting(ctx: dict) -> None:
    """A write to the postings table (the lists, the dashboard, the posting
    and the dossier read it): the bench posting saved with its own values."""
    from postings.models import Posting

    Posting.objects.filter(pk=ctx["posting_pk"]).update(title=F("title"))


def _touch_cadre(ctx: dict) -> None:
    from cadres.models import Cadre

    Cadre.objects.filter(pk=ctx["cadre_pk"]).update(phone=F("phone"))


def _touch_note(ctx: dict) -> None:
    from records.models import MonthlyNote

    note = MonthlyNote.objects.filter(posting=ctx["posting_pk"]).order_by("pk")[:1]
    MonthlyNote.objects.filter(pk__in=note).update(version=F("version"))


def _touch_nomination(ctx: dict) -> None:
    from postings.models import Nomination

    first = Nomination.objects.filter(batch=ctx["batch_pk"]).order_by("pk")[:1]
    Nomination.objects.filter(pk__in=first).update(exam_score=F("exam_score"))


def _touch_assessment(ctx: dict) -> None:
    from assessment.models import Assessment

    first = Assessment.objects.filter(round=ctx["round_pk"]).order_by("pk")[:1]
    Assessment.objects.filter(pk__in=first).update(grade_reason=F("grade_reason"))


def _touch_obligation(ctx: dict) -> None:
    from obligations.models import Obligation

    first = Obligation.objects.order_by("pk")[:1]
    Obligation.objects.filter(pk__in=first).update(due_on=F("due_on"))


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[dict], str]
    floor: str  # model key of bench.urls.FLOORS
    touch: Callable[[dict], None]  # a write to a table the page reads
    max_queries: int = LIST_MAX_QUERIES
    needs: str = ""  # a context key that must be set, else the page is skipped
    # Another bench user to log in as (portal.demo_large's BENCH_USERS), else
    # the context's user (bench_org).
    username: str = ""


# The dossier's and the posting page's queries: session, user, the unread
# badge and the object itself, then one per record kind shown. The dossier:
# postings, 12 record kinds (notes, logs, reports, talks, trainings,
# commendations, visits, support needs, warnings, appraisals, symposia,
# assessments), report files, symposium attendees, month locks. The posting
# page: notes, month locks, status changes, extensions, assignments, rule
# overrides, evaluation tasks, the relay chain.
DOSSIER_KINDS = 16
POSTING_KINDS = 8

# The home page's queries: session, user, the unread badge, the user's own
# obligations (rows and counts), the postings' counts, the reminders; a
# cadre's postings and today's logs; org staff's jurisdiction blocks (overdue
# by kind, by kind and unit, postings ending and their count, rounds and their
# count, warnings and their count).
HOME_MAX_QUERIES = 18


PAGES = [
    Page("cadres", lambda ctx: reverse("cadres:list"), "cadres", _touch_cadre),
    Page("postings", lambda ctx: reverse("postings:list"), "postings", _touch_posting),
    Page("notes", lambda ctx: reverse("cadres:note_list"), "notes", _touch_note),
    # The home page of the province's org staff (issue 17 added what they owe
    # and the jurisdiction's blocks; page.home.org is the same page).
    Page(
        "dashboard",
        lambda ctx: reverse("home"),
        "postings",
        _touch_posting,
        max_queries=HOME_MAX_QUERIES,
    ),
    # The dossier timeline (一人一档) is the cadre's page.
    Page(
        "dossier",
        lambda ctx: reverse("cadres:detail", args=[ctx["cadre_pk"]]),
        "cadres",
        _touch_note,
        max_queries=4 + DOSSIER_KINDS,
    ),
    Page(
        "posting_detail",
        lambda ctx: reverse("postings:detail", args=[ctx["posting_pk"]]),
        "postings",
        _touch_posting,
        max_queries=4 + POSTING_KINDS,
    ),
    # The province batch: 500 nominations and 500 open posts.
    Page(
        "batch",
        lambda ctx: reverse("postings:batch_detail", args=[ctx["batch_pk"]]),
        "nominations",
        _touch_nomination,
    ),
    # A county's closed annual round (bench.run.context picks it).
    Page(
        "round_results",
        lambda ctx: reverse("assessment:round_results", args=[ctx["round_pk"]]),
        "assessments",
        _touch_assessment,
        needs="round_pk",
    ),
]
# Each role's home page (issue 17): what the user owes leads it; org staff
# then see their jurisdiction's overdue items, postings ending soon, rounds
# ready to close and new warnings. The province's org staff (bench_org) sees
# every obligation.
HOME_PAGES = [
    ("host", "bench_host"),
    ("cadre", "bench_cadre"),
    ("home", "bench_home"),
    ("org", "bench_org"),
]
PAGES += [
    Page(
        f"home.{role}",
        lambda ctx: reverse("home"),
        "postings",
        _touch_obligation,
        max_queries=HOME_MAX_QUERIES,
        username=username,
    )
    for role, username in HOME_PAGES
]
# Pages of later issues: (name, why there is no figure yet).
LATER_PAGES: list[tuple[str, str]] = []

# The statistics page (issue 21, analytics:structure) against its own
# aggregate queries run bare: the GROUP BY statements one request makes,
# captured once and executed again on the same connection, without the
# view, the labels, the links, the template or the middleware.
STATISTICS_TARGET = "<=1.5x"


def _aggregates_bare(statements: list[str]) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def statistics_figures(client: Client, requests: int) -> list[Figure]:
    name = "page.statistics.median_ms"
    url = reverse("analytics:structure")
    try:
        with CaptureQueriesContext(connection) as captured:
            _get(client, url)
        # Read now: every later request empties the connection's query log.
        queries = len(captured.captured_queries)
        statements = [
            q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]
        ]
        for _ in range(WARMUP):
            _get(client, url)
            _aggregates_bare(statements)
        times, floors = [], []
        deadline = time.monotonic() + BUDGET_SECONDS
        while len(times) < requests:
            times.append(_get(client, url))
            floors.append(_aggregates_bare(statements))
            if len(times) >= MIN_REQUESTS and time.monotonic() > deadline:
                break
    except Exception as exc:  # the figure fails, the bench goes on
        return [failed(name, "ms", STATISTICS_TARGET, repr(exc))]
    return [
        Figure(
            name,
            "ms",
            STATISTICS_TARGET,
            statistics.median(times),
            statistics.median(floors),
            notes=[
                f"{url} against its {len(statements)} GROUP BY queries run bare, "
                f"{len(times)} requests each; "
                f"{queries} queries per request"
            ],
        )
    ]


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


def _cold(page: Page, client: Client, ctx: dict, url: str, floor_url: str):
    """(page times, floor times) of requests each made right after a write."""
    times, floors = [], []
    for _ in range(COLD_REQUESTS):
        page.touch(ctx)
        times.append(_get(client, url))
        page.touch(ctx)
        floors.append(_get(client, floor_url))
    return times, floors


def measure(page: Page, client: Client, ctx: dict, requests: int) -> list[Figure]:
    prefix = f"page.{page.name}"
    url = page.url(ctx)
    floor_url = reverse("bench_floor", args=[page.floor])
    limit = f"<={page.max_queries}"
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
        cold, cold_floors = _cold(page, client, ctx, url, floor_url)
        counts = _queries(client, url)
    except Exception as exc:  # the figure fails, the bench goes on
        return [
            failed(f"{prefix}.median_ms", "ms", MEDIAN, repr(exc)),
            failed(f"{prefix}.p99_ms", "ms", P99, repr(exc)),
            failed(f"{prefix}.cold_ms", "ms", COLD, repr(exc)),
            failed(f"{prefix}.queries", "queries", limit, repr(exc)),
        ]
    same = len(set(counts.values())) == 1
    sizes = ", ".join(f"{n} at page size {size}" for size, n in counts.items())
    return [
        Figure(
            f"{prefix}.median_ms",
            "ms",
            MEDIAN,
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
        Figure(f"{prefix}.p99_ms", "ms", P99, p99(times), p99(floors)),
        Figure(
            f"{prefix}.cold_ms",
            "ms",
            COLD,
            statistics.median(cold),
            statistics.median(cold_floors),
            notes=[f"{COLD_REQUESTS} requests each right after a write"],
        ),
        Figure(
            f"{prefix}.queries",
            "queries",
            limit,
            counts[50],
            also=same,
            notes=[] if same else [f"query count depends on page size: {sizes}"],
        ),
    ]


def later_page_figures(name: str, reason: str) -> list[Figure]:
    prefix = f"page.{name}"
    return [
        skipped(f"{prefix}.median_ms", "ms", MEDIAN, reason),
        skipped(f"{prefix}.p99_ms", "ms", P99, reason),
        skipped(f"{prefix}.cold_ms", "ms", COLD, reason),
        skipped(f"{prefix}.queries", "queries", f"<={LIST_MAX_QUERIES}", reason),
    ]


def _client_for(username: str) -> Client | None:
    from cadres.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    client = Client()
    client.force_login(user)
    return client


def run(
    ctx: dict,
    requests: int,
    report: Callable[[Figure], None],
    wanted: Callable[[str], bool] = lambda prefix: True,
) -> None:
    """Every page's figures; `wanted(prefix)` picks pages ("page.<name>")."""
    clients = {"": Client()}
    clients[""].force_login(ctx["user"])
    for page in PAGES:
        if not wanted(f"page.{page.name}"):
            continue
        client = clients.get(page.username) or _client_for(page.username)
        if client is None:
            figures = later_page_figures(
                page.name, f"no user {page.username} in the dataset"
            )
        elif page.needs and ctx.get(page.needs) is None:
            figures = later_page_figures(page.name, f"no {page.needs} in the dataset")
        else:
            clients[page.username] = client
            figures = measure(page, client, ctx, requests)
        for figure in figures:
            report(figure)
    if wanted("page.statistics"):
        for figure in statistics_figures(clients[""], requests):
            report(figure)
    for name, reason in LATER_PAGES:
        if wanted(f"page.{name}"):
            for figure in later_page_figures(name, reason):
                report(figure)
