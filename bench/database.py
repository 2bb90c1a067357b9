"""The bench database: built once from `seed_demo --size large`, then kept.

SQLite: var/bench/bench.sqlite3. PostgreSQL (when DATABASE_URL is set): the
database `guazhi_bench` on the same server. A stamp table inside the database
holds a hash of every migration file and of the generator's source; when it
differs from the working tree, the database is dropped and built again. The
stamp also records the day the data was built, since its dates are relative to
that day.

This module runs before Django is set up, so it talks to the databases through
their drivers.
"""

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
SQLITE_FILE = BENCH_DIR / "bench.sqlite3"
PG_NAME = "guazhi_bench"
SETTINGS = "bench.settings"
# The generator and what it imports; migrations are found by glob.
GENERATOR_SOURCES = ["portal/demo_large.py", "portal/demo.py", "cadres/idcard.py"]
# The stamp table (bench_stamp): what was built, when, in how long.
STAMP_READ = "SELECT stamp, built_on, seconds FROM bench_stamp"
STAMP_CREATE = (
    "CREATE TABLE bench_stamp "
    "(stamp varchar(64) NOT NULL, built_on varchar(10) NOT NULL, seconds real)"
)
STAMP_INSERT = {
    "sqlite": "INSERT INTO bench_stamp VALUES (?, ?, ?)",
    "postgresql": "INSERT INTO bench_stamp VALUES (%s, %s, %s)",
}
TIME_ZONE = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE: the generator's today


@dataclass(frozen=True)
class Target:
    vendor: str  # "sqlite" or "postgresql"
    url: str = ""  # the bench database's URL (PostgreSQL)

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return f"SQLite ({SQLITE_FILE.relative_to(BASE_DIR)})"
        return f"PostgreSQL (database {PG_NAME})"

    def env(self) -> dict[str, str]:
        """os.environ with the settings and the database pointed at the bench."""
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS)
        if self.vendor == "sqlite":
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(SQLITE_FILE)
        else:
            env["DATABASE_URL"] = self.url
        return env


@dataclass(frozen=True)
class Built:
    stamp: str
    built_on: dt.date
    seconds: float


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def target_from_env() -> Target:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return Target("postgresql", _with_database(url, PG_NAME))
    return Target("sqlite")


def sqlite_target() -> Target:
    return Target("sqlite")


def stamp() -> str:
    digest = hashlib.sha256()
    files = sorted(BASE_DIR.glob("*/migrations/*.py"))
    files += [BASE_DIR / name for name in GENERATOR_SOURCES]
    for path in files:
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _row_to_built(row) -> Built | None:
    if not row:
        return None
    return Built(row[0], dt.date.fromisoformat(row[1]), float(row[2]))


def read_built(target: Target) -> Built | None:
    query = STAMP_READ
    if target.vendor == "sqlite":
        if not SQLITE_FILE.exists():
            return None
        try:
            with sqlite3.connect(f"file:{SQLITE_FILE}?mode=ro", uri=True) as db:
                return _row_to_built(db.execute(query).fetchone())
        except sqlite3.Error:
            return None
    import psycopg

    try:
        with psycopg.connect(target.url, connect_timeout=5) as db:
            return _row_to_built(db.execute(query).fetchone())
    except psycopg.Error:
        return None


def _recreate(target: Target) -> None:
    if target.vendor == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    admin = _with_database(target.url, "postgres")
    name = sql.Identifier(PG_NAME)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        db.execute(sql.SQL("CREATE DATABASE {}").format(name))


def _write_stamp(target: Target, built: Built) -> None:
    values = (built.stamp, built.built_on.isoformat(), built.seconds)
    if target.vendor == "sqlite":
        with sqlite3.connect(SQLITE_FILE) as db:
            db.execute(STAMP_CREATE)
            db.execute(STAMP_INSERT["sqlite"], values)
        return
    import psycopg

    with psycopg.connect(target.url) as db:
        db.execute(STAMP_CREATE)
        db.execute(STAMP_INSERT["postgresql"], values)


def _manage(target: Target, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=target.env(),
        check=True,
    )


def ensure(target: Target) -> Built:
    """The bench database, built now if it is missing or out of date."""
    current = stamp()
    built = read_built(target)
    if built is not None and built.stamp == current:
        return built
    why = "missing" if built is None else "migrations or generator changed"
    print(f"# building the large dataset into {target.label}: {why}", flush=True)
    _recreate(target)
    started = time.monotonic()
    today = dt.datetime.now(TIME_ZONE).date()
    _manage(target, "migrate", "--noinput", "-v", "0")
    _manage(target, "seed_demo", "--size", "large")
    built = Built(current, today, time.monotonic() - started)
    _write_stamp(target, built)
    _settle(target)
    return built


def _settle(target: Target) -> None:
    """Leave a fresh database as a running one would be.

    PostgreSQL: vacuum and collect statistics now, as autovacuum would soon,
    so that it neither plans blind nor runs in the middle of the measurements.
    SQLite: fold the write-ahead log into the file. Django runs no ANALYZE on
    SQLite, so neither does the bench.
    """
    if target.vendor == "sqlite":
        with sqlite3.connect(SQLITE_FILE) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    import psycopg

    with psycopg.connect(target.url, autocommit=True) as db:
        db.execute("VACUUM (ANALYZE)")
