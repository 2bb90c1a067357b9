"""`make bench`: build the bench database once, then print every figure.

    .venv/bin/python -m bench.run                  # SQLite
    DATABASE_URL=postgres://... .venv/bin/python -m bench.run   # PostgreSQL
    .venv/bin/python -m bench.run --only page.postings,export   # some figures

Prints a header (`# ...` lines), then one `bench: ...` line per figure (see
bench/report.py), saves the figures to var/bench/last-<vendor>.json and exits
1 when any figure FAILs, 0 otherwise (SKIP is not a failure).
"""

import argparse
import json
import os
import platform
import sys
import time

from . import database
from .report import Figure, skipped

GROUPS = [
    "pages",
    "http",
    "db",
    "export",
    "reminders",
    "placement",
    "import",
    "uploads",
    "obligations",
]
# The first part of a figure's name -> the group that measures it.
GROUP_OF = {"page": "pages", **{g: g for g in GROUPS}}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument(
        "--requests",
        type=int,
        default=int(os.environ.get("BENCH_REQUESTS", "200")),
        help="requests per page for the in-process figures (200)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("BENCH_SECONDS", "10")),
        help="seconds of load per HTTP measurement (10)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated groups (" + ", ".join(GROUPS) + ") or beginnings "
        "of figure names (page.postings, export.roster): run only those",
    )
    return parser.parse_args(argv)


def selection(only: str):
    """(the groups to run, whether a figure-name prefix is wanted) for --only."""
    tokens = [t.strip() for t in only.split(",") if t.strip()]
    if not tokens:
        return set(GROUPS), lambda prefix: True
    prefixes = ["page." if t == "pages" else t for t in tokens]
    unknown = [t for t in prefixes if t.split(".")[0] not in GROUP_OF]
    if unknown:
        raise SystemExit(f"--only: no figure begins with {', '.join(unknown)}")

    def wanted(prefix: str) -> bool:
        return any(prefix.startswith(p) or p.startswith(prefix) for p in prefixes)

    return {GROUP_OF[p.split(".")[0]] for p in prefixes}, wanted


class Printer:
    """Prints and keeps each figure that --only asks for."""

    def __init__(self, wanted=lambda name: True):
        self.figures: list[Figure] = []
        self.wanted = wanted

    def __call__(self, figure: Figure) -> None:
        if not self.wanted(figure.name):
            return
        self.figures.append(figure)
        print(figure.line(), flush=True)


def header(target, built, ctx) -> list[str]:
    from django.db import connection
    from django.utils import timezone

    from cadres.models import Cadre, Unit, User
    from postings.models import Posting, Reminder
    from records.models import MonthlyNote

    if connection.vendor == "sqlite":
        db = f"SQLite {connection.Database.sqlite_version}"
    else:
        version = connection.pg_version
        db = f"PostgreSQL {version // 10000}.{version % 10000}"
        db += f", CONN_MAX_AGE {connection.settings_dict['CONN_MAX_AGE']}"
    rows = {
        "units": Unit.objects.count(),
        "cadres": Cadre.objects.count(),
        "postings": Posting.objects.count(),
        "active": Posting.objects.active().count(),
        "notes": MonthlyNote.objects.count(),
        "reminders": Reminder.objects.count(),
        "users": User.objects.count(),
    }
    import django

    user = ctx["user"]
    return [
        f"# guazhi bench {timezone.localtime():%Y-%m-%d %H:%M} on {target.label}: {db}",
        f"# machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, Django {django.get_version()}",
        "# rows: " + ", ".join(f"{k} {v}" for k, v in rows.items()),
        f"# dataset built {built.built_on} in {built.seconds:.0f} s; logged in as "
        f"{user.username} ({user.get_role_display()}, {user.unit})",
    ]


def context(built) -> dict:
    from assessment.models import Round
    from cadres.models import User
    from portal.demo_large import BENCH_USERNAME, MARKER_UNIT
    from postings.models import Batch, Posting

    # The detail pages show an active posting with its notes, and its cadre.
    posting = (
        Posting.objects.active().order_by("pk").filter(monthly_notes__isnull=False)
    ).first()
    return {
        "user": User.objects.select_related("unit").get(username=BENCH_USERNAME),
        "built_on": built.built_on,
        "posting_pk": posting.pk,
        "cadre_pk": posting.cadre_id,
        "batch_pk": Batch.objects.get(unit__name=MARKER_UNIT).pk,
        # The results page shows a county's closed round (the first county's).
        "round_pk": Round.objects.filter(status=Round.Status.CLOSED, unit__depth=2)
        .order_by("unit__path")
        .values_list("pk", flat=True)
        .first(),
    }


def http_figures(target, ctx, seconds, report) -> float | None:
    """http.postings.rps and, under a mixed load (one write per ten requests),
    http.postings.mixed_rps; returns the plain rps for db.pg_over_sqlite."""
    from portal.demo import PASSWORD

    from . import load

    target_text = ">=0.5x"
    names = ("http.postings.rps", "http.postings.mixed_rps")
    try:
        with load.gunicorn(target) as port:
            cookie = load.login(port, ctx["user"].username, PASSWORD)
            page = load.throughput(port, "/postings/", cookie, seconds)
            floor = load.throughput(port, "/bench/floor/postings/", cookie, seconds)
            mixed = load.throughput(
                port, "/postings/", cookie, seconds, write_path="/bench/write/"
            )
    except Exception as exc:
        for name in names:
            report(
                Figure(name, "rps", target_text, notes=[f"could not measure: {exc!r}"])
            )
        return None
    note = (
        f"gunicorn {load.WORKERS} sync workers, {load.client_name()}, "
        f"{seconds:g} s each"
    )
    report(Figure(names[0], "rps", target_text, page, floor, notes=[note]))
    report(
        Figure(
            names[1],
            "rps",
            target_text,
            mixed,
            floor,
            notes=[
                f"reads of /postings/ per second while every {load.WRITE_EVERY}th "
                "request writes a posting (Python client), against the floor's reads"
            ],
        )
    )
    return page


def db_figures(target, ctx, seconds, pg_rps, report) -> None:
    from portal.demo import PASSWORD

    from . import load

    name, unit, target_text = "db.pg_over_sqlite", "x", ">=0.65"
    if target.vendor != "postgresql":
        report(skipped(name, unit, target_text, "PostgreSQL only: set DATABASE_URL"))
        return
    if pg_rps is None:
        report(Figure(name, unit, target_text, notes=["no PostgreSQL figure"]))
        return
    sqlite = database.sqlite_target()
    try:
        database.ensure(sqlite)  # built here if missing or out of date
        with load.gunicorn(sqlite) as port:
            cookie = load.login(port, ctx["user"].username, PASSWORD)
            sqlite_rps = load.throughput(port, "/postings/", cookie, seconds)
    except Exception as exc:
        report(Figure(name, unit, target_text, notes=[f"could not measure: {exc!r}"]))
        return
    report(
        Figure(
            name,
            unit,
            target_text,
            pg_rps / sqlite_rps,
            notes=[
                f"postings list under gunicorn: PostgreSQL {pg_rps:.1f} rps, "
                f"SQLite {sqlite_rps:.1f} rps, same run"
            ],
        )
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    groups, wanted = selection(args.only)
    target = database.target_from_env()
    built = database.ensure(target)
    os.environ.update(target.env())

    import django

    django.setup()

    from . import export, obligations, pages, placement, reminders, uploads

    started = time.monotonic()
    ctx = context(built)
    lines = header(target, built, ctx)
    for line in lines:
        print(line, flush=True)
    report = Printer(wanted)
    if "pages" in groups:
        pages.run(ctx, args.requests, report, wanted)
    pg_rps = None
    if "http" in groups:
        pg_rps = http_figures(target, ctx, args.seconds, report)
    if "db" in groups:
        db_figures(target, ctx, args.seconds, pg_rps, report)
    if "export" in groups:
        export.run(ctx, report)
    if "reminders" in groups:
        reminders.run(ctx, report)
    if "obligations" in groups:
        obligations.run(ctx, report)
    if "placement" in groups:
        placement.run(ctx, report)
    if "uploads" in groups:
        uploads.run(ctx, report)
    if "import" in groups:
        from . import imports

        imports.run(ctx, report)

    figures = report.figures
    failed = [f.name for f in figures if f.status == "FAIL"]
    print(
        f"# {len(figures)} figures in {time.monotonic() - started:.0f} s: "
        + ", ".join(
            f"{sum(f.status == s for f in figures)} {s}"
            for s in ("PASS", "FAIL", "SKIP")
        ),
        flush=True,
    )
    if not args.only:
        database.BENCH_DIR.mkdir(parents=True, exist_ok=True)
        out = database.BENCH_DIR / f"last-{target.vendor}.json"
        out.write_text(
            json.dumps(
                {"header": lines, "figures": [f.as_dict() for f in figures]},
                ensure_ascii=False,
                indent=1,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
