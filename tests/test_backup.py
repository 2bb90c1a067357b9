"""Backup and restore (issue 16): `manage.py backup` and `manage.py restore`
round trips, on the database the suite runs on (SQLite in `make test`,
PostgreSQL in the second suite of .ci/run), and a SQLite backup taken while
another thread writes."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql
from psycopg.conninfo import make_conninfo

from cadres.models import Cadre
from ops import backup as ops_backup
from records.models import Attachment
from records.services import attachment_add
from tests.cadres.files import PDF_BYTES, PNG_BYTES
from tests.factories import ReportFactory

BASE_DIR = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        if CI:
            pytest.fail(f"CI=true but {', '.join(missing)} missing")
        pytest.skip(
            f"{', '.join(missing)} not installed (apt-get install postgresql-client)"
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


@pytest.fixture
def scratch_database_url():
    """An empty database of the suite's vendor to restore into, removed after."""
    if connection.vendor == "sqlite":
        yield None  # the test names a file of its own
        return
    _need("pg_dump", "pg_restore")
    params = ops_backup._pg_params(connection.settings_dict)
    name = f"{params['dbname']}_restore_{uuid.uuid4().hex[:8]}"
    auth = quote(params.get("user", ""), safe="")
    if params.get("password"):
        auth += ":" + quote(str(params["password"]), safe="")
    host = params.get("host", "")
    port = f":{params['port']}" if params.get("port") else ""
    yield f"postgres://{auth}@{host}{port}/{name}"
    admin = {**params, "dbname": "postgres"}
    admin.pop("options", None)
    with psycopg.connect(make_conninfo(**admin), autocommit=True) as db:
        db.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def _target_url(scratch_database_url, tmp_path) -> str:
    return scratch_database_url or f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def _restored_counts(url: str) -> dict[str, int]:
    target = ops_backup.target_from(url)
    if target.vendor == "sqlite":
        db = sqlite3.connect(target.sqlite_path)
        try:
            return ops_backup.sqlite_counts(db)
        finally:
            db.close()
    with psycopg.connect(make_conninfo(**target.pg_params)) as db:
        return ops_backup.pg_counts(db.cursor())


def _restored_attachment(url: str) -> tuple[str, int]:
    """(stored_name, size) of the one attachment in the restored database."""
    query = "SELECT stored_name, size FROM cadres_attachment"
    target = ops_backup.target_from(url)
    if target.vendor == "sqlite":
        db = sqlite3.connect(target.sqlite_path)
        try:
            return db.execute(query).fetchone()
        finally:
            db.close()
    with psycopg.connect(make_conninfo(**target.pg_params)) as db:
        return db.execute(query).fetchone()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_with_an_attachment(
    world, cadre_user, settings, tmp_path, scratch_database_url
):
    if connection.vendor == "postgresql":
        _need("pg_dump", "pg_restore")
    report = ReportFactory(posting=world.a.posting)
    attachment = attachment_add(
        report=report, upload=SimpleUploadedFile("汇报.pdf", PDF_BYTES), by=cadre_user
    )
    archive = tmp_path / "backups" / "guazhi.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "已备份到" in out.getvalue()
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data: owner only

    manifest = _manifest(archive)
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["cadres_attachment"] == 1
    assert manifest["tables"]["cadres_cadre"] == Cadre.objects.count() == 2
    rel = f"attachments/{attachment.stored_name}"
    assert manifest["files"] == {
        rel: {"size": len(PDF_BYTES), "sha256": _sha256(PDF_BYTES)}
    }

    url = _target_url(scratch_database_url, tmp_path)
    media = tmp_path / "restored-media"
    out = io.StringIO()
    call_command(
        "restore", str(archive), database_url=url, media_dir=str(media), stdout=out
    )
    printed = out.getvalue()
    assert "核对无误" in printed
    assert "cadres_attachment" in printed
    assert "清单 1 个，恢复 1 个，SHA-256 一致 1 个" in printed

    # Checked here again, independently of the command's own comparison.
    assert _restored_counts(url) == manifest["tables"]
    assert _restored_attachment(url) == (attachment.stored_name, len(PDF_BYTES))
    assert (media / rel).read_bytes() == PDF_BYTES
    # The running database and media folder are untouched.
    assert Attachment.objects.count() == 1
    assert [p.name for p in (Path(settings.MEDIA_ROOT) / "attachments").iterdir()] == [
        attachment.stored_name
    ]


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_target_with_data_unless_told_to_replace_it(
    world, cadre_user, tmp_path, scratch_database_url
):
    if connection.vendor == "postgresql":
        _need("pg_dump", "pg_restore")
    archive = tmp_path / "guazhi.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    url = _target_url(scratch_database_url, tmp_path)
    media = tmp_path / "restored-media"
    restore = {"database_url": url, "media_dir": str(media), "stdout": io.StringIO()}
    call_command("restore", str(archive), **restore)
    first = _restored_counts(url)
    with pytest.raises(CommandError, match="已有"):
        call_command("restore", str(archive), **restore)
    call_command("restore", str(archive), replace=True, **restore)
    assert _restored_counts(url) == first == _manifest(archive)["tables"]


def _archive_with(archive: Path, out: Path, change) -> None:
    """A copy of `archive` with each member's bytes passed through change(name, data)."""
    with tarfile.open(archive, "r:gz") as old, tarfile.open(out, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_before_anything_is_written(tmp_path, settings):
    (Path(settings.MEDIA_ROOT) / "attachments").mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "attachments" / "a1").write_bytes(PNG_BYTES)
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    archive = tmp_path / "good.tar.gz"
    _backup_in_subprocess(source, Path(settings.MEDIA_ROOT), archive)
    bad = tmp_path / "bad.tar.gz"
    _archive_with(
        archive, bad, lambda name, data: b"changed" if name.endswith("a1") else data
    )
    target = tmp_path / "restored.sqlite3"
    media = tmp_path / "restored-media"
    with pytest.raises(CommandError, match="备份文件已损坏"):
        call_command(
            "restore",
            str(bad),
            database_url=f"sqlite:///{target}",
            media_dir=str(media),
            stdout=io.StringIO(),
        )
    assert not target.exists()
    assert not media.exists()


# --- SQLite online backup -------------------------------------------------------


def _backup_in_subprocess(database: Path, media: Path, archive: Path):
    """`manage.py backup` as an operator runs it, against a SQLite file."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        GUAZHI_DEV="1",
        SQLITE_PATH=str(database),
        MEDIA_ROOT=str(media),
        DJANGO_SETTINGS_MODULE="guazhi.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "backup", str(archive)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_sqlite_backup_taken_while_another_thread_writes_is_consistent(
    tmp_path,
):
    """The writer adds one row to each of two tables per transaction: a copy
    of one moment has as many rows in both, some but not all of the writes."""
    database = tmp_path / "live.sqlite3"
    media = tmp_path / "media"
    (media / "attachments").mkdir(parents=True)
    (media / "attachments" / "f1").write_bytes(PDF_BYTES)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA journal_mode=WAL")
        for table in ("pair_a", "pair_b"):
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, blob BLOB)")
            db.executemany(
                f"INSERT INTO {table} (blob) VALUES (?)",  # noqa: S608
                [(os.urandom(512),) for _ in range(5000)],
            )
    stop = threading.Event()
    written = []

    def writer():
        db = sqlite3.connect(database, timeout=20, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO pair_a (blob) VALUES (?)", (os.urandom(512),))
            db.execute("INSERT INTO pair_b (blob) VALUES (?)", (os.urandom(512),))
            db.execute("COMMIT")
            written.append(1)
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = tmp_path / "live.tar.gz"
        _backup_in_subprocess(database, media, archive)
        during = len(written)
    finally:
        stop.set()
        thread.join()
    assert during > 0
    manifest = _manifest(archive)
    a, b = manifest["tables"]["pair_a"], manifest["tables"]["pair_b"]
    assert a == b, "a torn copy: the two tables of one transaction differ"
    assert 5000 < a < 5000 + len(written), "the copy was not taken while writing"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM pair_a").fetchone()[0] > a

    target = tmp_path / "restored.sqlite3"
    out = io.StringIO()
    call_command(
        "restore",
        str(archive),
        database_url=f"sqlite:///{target}",
        media_dir=str(tmp_path / "restored-media"),
        stdout=out,
    )
    assert "核对无误" in out.getvalue()
    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM pair_b").fetchone()[0] == b
    assert (
        tmp_path / "restored-media" / "attachments" / "f1"
    ).read_bytes() == PDF_BYTES


@pytest.mark.parametrize(
    ("url", "vendor", "where"),
    [
        ("sqlite:////srv/guazhi/db.sqlite3", "sqlite", "/srv/guazhi/db.sqlite3"),
        ("sqlite:///var/restore.sqlite3", "sqlite", "var/restore.sqlite3"),
        ("postgres://u:p%40ss@db.example:5433/scratch", "postgresql", "scratch"),
    ],
)
def test_the_restore_target_is_read_from_the_url(url, vendor, where):
    target = ops_backup.target_from(url)
    assert target.vendor == vendor
    if vendor == "sqlite":
        assert str(target.sqlite_path) == where
    else:
        assert target.pg_params["dbname"] == where
        assert target.pg_params["password"] == "p@ss"
        assert target.pg_params["port"] == "5433"
