"""Backup and restore: the database and the attachments in one archive.

    manage.py backup var/backup/guazhi-2026-06-01.tar.gz
    manage.py restore var/backup/guazhi-2026-06-01.tar.gz \\
        --database-url postgres://…/guazhi_scratch --media-dir /srv/scratch-media

The archive is a tar.gz, readable by the owner only, holding

    database.pgdump     pg_dump --format=custom (PostgreSQL), or
    database.sqlite3    an online copy by SQLite's backup API (SQLite)
    media/…             MEDIA_ROOT (the attachments are media/attachments/…)
    manifest.json       the vendor, the rows of every table and the size and
                        SHA-256 of every media file, as archived

Consistency: PostgreSQL rows are counted in a REPEATABLE READ transaction
whose snapshot pg_dump is given (--snapshot), so the counts are exactly the
dump's; SQLite's copy is taken in one backup step, a single read transaction
that writers in WAL mode do not wait for, and counted in the copy. The media
follow the database: an attachment's file is written before its row commits,
so every file a row of the snapshot names is there to be archived.

A restore refuses a target database with tables, or a media folder with
files, unless told to replace them; after restoring it counts the rows and
hashes the files again and compares them with the manifest.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import psycopg
from django.conf import settings
from django.db import connection, transaction
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

FORMAT = "guazhi-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
# libpq parameters a DATABASES entry's OPTIONS may carry that pg_dump and
# pg_restore need as well (Django's own options, such as "pool", are not).
LIBPQ_OPTIONS = {
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "passfile",
    "service",
}


class BackupError(Exception):
    """What went wrong, in Chinese, for the operator."""


@dataclass
class Verification:
    """Rows per table and media files, as the manifest says and as found."""

    tables: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    files_expected: int = 0
    files_found: int = 0
    files_matching: int = 0

    @property
    def ok(self) -> bool:
        return all(a == b for a, b in self.tables.values()) and (
            self.files_expected == self.files_found == self.files_matching
        )

    def lines(self) -> list[str]:
        width = max([len(t) for t in self.tables] + [4])
        # Chinese characters take two columns.
        out = [f"{'表':<{width - 1}}  {'备份时行数':>7}  {'恢复后行数':>7}"]
        for table, (expected, found) in sorted(self.tables.items()):
            mark = "" if expected == found else "  ← 不一致"
            shown = "缺失" if found is None else found
            out.append(f"{table:<{width}}  {expected:>12}  {shown:>12}{mark}")
        out.append(
            f"附件等媒体文件：清单 {self.files_expected} 个，恢复 {self.files_found} 个，"
            f"SHA-256 一致 {self.files_matching} 个"
        )
        return out


# --- Helpers ------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Hashes what tarfile reads from a file, so that a file is read once."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_hashed(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    """Add a file to the archive, reading it once; its size and SHA-256."""
    with open(path, "rb") as handle:
        info = tar.gettarinfo(arcname=arcname, fileobj=handle)
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"size": info.size, "sha256": reader.digest.hexdigest()}


def media_files(root: Path) -> list[Path]:
    """Regular files under root (symbolic links are not followed)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    return {
        # Names from the catalog, quoted; nothing typed by anyone.
        name: db.execute(f"SELECT COUNT(*) FROM {_quote_sqlite(name)}").fetchone()[0]  # noqa: S608
        for name in names
    }


_PG_TABLES = """
    SELECT c.relname FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'pg_toast', 'information_schema')
      AND pg_catalog.pg_table_is_visible(c.oid)
    ORDER BY c.relname
"""


def pg_counts(cursor) -> dict[str, int]:
    """Rows of every table on the search path, on a psycopg cursor."""
    cursor.execute(_PG_TABLES)
    counts = {}
    for (name,) in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(name)))
        counts[name] = cursor.fetchone()[0]
    return counts


def _pg_params(settings_dict: dict) -> dict:
    """libpq parameters of a Django DATABASES entry."""
    params = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key in LIBPQ_OPTIONS:
            params[key] = value
    return {k: v for k, v in params.items() if v not in (None, "")}


def _pg_command(program: str, params: dict, *args: str) -> tuple[list[str], dict]:
    """(argv, env) for pg_dump or pg_restore: the password goes into the
    environment, never onto the command line (where `ps` shows it)."""
    params = dict(params)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    binary = shutil.which(program)
    if binary is None:
        raise BackupError(
            f"找不到 {program}：请安装与数据库服务器同一版本的 PostgreSQL 客户端"
            "（Debian：apt-get install postgresql-client）。"
        )
    argv = [binary, *args, "--no-password", "--dbname", make_conninfo(**params)]
    return argv, env


def _run(argv: list[str], env: dict) -> None:
    # pg_dump or pg_restore from PATH, with arguments built here.
    result = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            f"{Path(argv[0]).name} 失败（退出码 {result.returncode}）：\n"
            + result.stderr.strip()
        )


# --- Backup -------------------------------------------------------------------


def _backup_sqlite(target: Path) -> dict[str, int]:
    name = connection.settings_dict["NAME"]
    if not connection.is_in_memory_db() and not Path(name).is_file():
        # Connecting would create an empty database and back that up.
        raise BackupError(f"数据库文件 {name} 不存在：请检查 SQLITE_PATH。")
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): a single read transaction, so the copy is one
        # moment of the database; in WAL mode writers go on meanwhile.
        connection.connection.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return sqlite_counts(copy)
    finally:
        copy.close()


def _backup_postgresql(target: Path) -> dict[str, int]:
    if connection.in_atomic_block:
        # The snapshot must be the first thing its transaction does.
        raise BackupError("不能在一个已打开的事务中备份。")
    connection.ensure_connection()
    params = _pg_params(connection.settings_dict)
    with transaction.atomic():
        raw = connection.connection.cursor()
        raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        raw.execute("SELECT pg_catalog.pg_export_snapshot()")
        snapshot = raw.fetchone()[0]
        counts = pg_counts(raw)
        # pg_dump reads the very snapshot the rows were counted in; the
        # transaction stays open until it is done.
        argv, env = _pg_command(
            "pg_dump",
            params,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={target}",
        )
        _run(argv, env)
    return counts


def backup(archive: Path) -> dict:
    """Write the archive; return its manifest."""
    archive = Path(archive)
    if archive.exists():
        raise BackupError(f"{archive} 已存在，不会覆盖。请换一个文件名。")
    vendor = connection.vendor
    if vendor not in DATABASE_FILE:
        raise BackupError(f"不支持的数据库：{vendor}")
    archive.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".backup-") as tmp:
        database = Path(tmp) / DATABASE_FILE[vendor]
        if vendor == "sqlite":
            tables = _backup_sqlite(database)
        else:
            tables = _backup_postgresql(database)
        if not tables:
            raise BackupError(
                "数据库里没有任何表，不像是本系统的数据库："
                "请检查 DATABASE_URL 或 SQLITE_PATH。"
            )
        # Readable by the owner only: it holds every cadre's personal data.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar,
            ):
                database_file = _add_hashed(tar, database, database.name)
                files = {
                    rel: _add_hashed(tar, path, f"{MEDIA}/{rel}")
                    for path in media_files(media_root)
                    for rel in [path.relative_to(media_root).as_posix()]
                }
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "vendor": vendor,
                    "database": database.name,
                    "database_sha256": database_file["sha256"],
                    "tables": tables,
                    "rows": sum(tables.values()),
                    "files": files,
                    "file_count": len(files),
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                info.mtime = int(dt.datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
            os.replace(partial, archive)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


# --- Restore ------------------------------------------------------------------


@dataclass
class Target:
    vendor: str
    sqlite_path: Path | None = None
    pg_params: dict | None = None

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return str(self.sqlite_path)
        p = self.pg_params
        return f"postgresql://{p.get('host', '')}:{p.get('port', '')}/{p['dbname']}"


def target_from(database_url: str | None) -> Target:
    """The database to restore into: a URL (sqlite:///relative/path,
    sqlite:////absolute/path, postgres://…), or the configured one."""
    if not database_url:
        configured = connection.settings_dict
        if connection.vendor == "sqlite":
            return Target("sqlite", sqlite_path=Path(configured["NAME"]))
        return Target("postgresql", pg_params=_pg_params(configured))
    parts = urlparse(database_url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        path = path[1:] if path.startswith("//") else path.lstrip("/")
        if not path:
            raise BackupError("--database-url：sqlite:/// 后面缺少文件路径。")
        return Target("sqlite", sqlite_path=Path(path))
    if parts.scheme in ("postgres", "postgresql"):
        params = conninfo_to_dict(database_url)
        if not params.get("dbname"):
            raise BackupError("--database-url：缺少数据库名。")
        return Target("postgresql", pg_params=params)
    raise BackupError(f"--database-url：不支持的地址类型 {parts.scheme!r}。")


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(
            "备份文件中没有可读的 manifest.json：不是本系统的备份。"
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("备份文件的格式不认识：不是本系统这一版本的备份。")
    names = [PurePosixPath(rel) for rel in manifest.get("files", {})]
    if manifest.get("database") != DATABASE_FILE.get(manifest.get("vendor")) or any(
        name.is_absolute() or ".." in name.parts for name in names
    ):
        raise BackupError("备份文件的清单不合规：其中的路径不可信。")
    return manifest


def _check_archived_files(folder: Path, manifest: dict) -> None:
    database = folder / manifest["database"]
    if not database.is_file() or sha256_of(database) != manifest["database_sha256"]:
        raise BackupError(f"备份文件已损坏：{manifest['database']} 与清单不符。")
    for rel, meta in manifest["files"].items():
        path = folder / MEDIA / rel
        if not path.is_file() or sha256_of(path) != meta["sha256"]:
            raise BackupError(f"备份文件已损坏：{MEDIA}/{rel} 与清单不符。")


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    db = sqlite3.connect(path)
    try:
        return bool(sqlite_counts(db))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"目标 {path} 不是 SQLite 数据库：{exc}") from exc
    finally:
        db.close()


def _pg_connect(params: dict, **overrides):
    return psycopg.connect(make_conninfo(**{**params, **overrides}), autocommit=True)


def _pg_prepare(params: dict, replace: bool) -> None:
    """Create the target database when missing; refuse one with tables."""
    with _pg_connect(params, dbname="postgres") as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s",
            [params["dbname"]],
        ).fetchone()
        if not exists:
            admin.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"]))
            )
            return
    with _pg_connect(params) as db:
        tables = pg_counts(db.cursor())
    if tables and not replace:
        raise BackupError(
            f"目标数据库 {params['dbname']} 已有 {len(tables)} 张表。"
            "为免覆盖正在使用的数据，请恢复到一个新的（空的）数据库，"
            "或确认后加 --replace。"
        )


def _media_has_files(root: Path) -> bool:
    return bool(media_files(root))


def restore(
    archive: Path, *, database_url: str | None, media_dir: Path | None, replace: bool
) -> tuple[dict, Verification, Target, Path]:
    """Restore the archive into the target database and media folder, then
    compare the rows and files found there with the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}。")
    target = target_from(database_url)
    media_root = Path(media_dir) if media_dir else Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="guazhi-restore-") as tmp:
        folder = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(folder, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"备份文件无法解开：{exc}") from exc
        manifest = _read_manifest(folder)
        _check_archived_files(folder, manifest)
        if manifest["vendor"] != target.vendor:
            raise BackupError(
                f"这是 {manifest['vendor']} 数据库的备份，不能恢复到 {target.vendor}。"
            )
        # Every refusal before anything is written.
        if target.vendor == "sqlite":
            if _sqlite_has_tables(target.sqlite_path) and not replace:
                raise BackupError(
                    f"目标数据库 {target.sqlite_path} 已有数据。请恢复到一个新文件，"
                    "或确认后加 --replace。"
                )
        else:
            try:
                _pg_prepare(target.pg_params, replace)
            except psycopg.Error as exc:
                raise BackupError(f"无法连接或创建目标数据库：{exc}") from exc
        if _media_has_files(media_root) and not replace:
            raise BackupError(
                f"媒体目录 {media_root} 中已有文件。请恢复到一个空目录，"
                "或确认后加 --replace。"
            )
        database = folder / manifest["database"]
        if target.vendor == "sqlite":
            found = _restore_sqlite(database, target.sqlite_path)
        else:
            found = _restore_postgresql(database, target.pg_params, replace)
        _restore_media(folder / MEDIA, media_root)
    return manifest, verify(manifest, found, media_root), target, media_root


def _restore_sqlite(database: Path, path: Path) -> dict[str, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(database), sqlite3.connect(path)
    try:
        source.backup(copy)
        return sqlite_counts(copy)
    finally:
        source.close()
        copy.close()


def _restore_postgresql(database: Path, params: dict, replace: bool) -> dict:
    args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if replace:
        args += ["--clean", "--if-exists"]
    argv, env = _pg_command("pg_restore", params, *args)
    _run([*argv, str(database)], env)
    try:
        with _pg_connect(params) as db:
            return pg_counts(db.cursor())
    except psycopg.Error as exc:
        raise BackupError(f"恢复后无法读取目标数据库：{exc}") from exc


def _restore_media(source: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for path in media_files(source):
        rel = path.relative_to(source)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / rel)


def verify(manifest: dict, found: dict[str, int], media_root: Path) -> Verification:
    result = Verification()
    for table, rows in manifest["tables"].items():
        result.tables[table] = (rows, found.get(table))
    for table in found.keys() - manifest["tables"].keys():
        result.tables[table] = (0, found[table])
    result.files_expected = len(manifest["files"])
    for rel, meta in manifest["files"].items():
        path = media_root / rel
        if path.is_file():
            result.files_found += 1
            if sha256_of(path) == meta["sha256"]:
                result.files_matching += 1
    return result
