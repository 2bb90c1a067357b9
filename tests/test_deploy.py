"""Deployment: docker-compose services, production settings, DATABASE_URL."""

import ast
import importlib.metadata
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from guazhi.settings import database_from_url

BASE_DIR = Path(settings.BASE_DIR)


def test_docker_compose_has_database_redis_web_worker_and_beat():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert "postgres" in services["db"]["image"]
    assert "redis" in services["redis"]["image"]
    assert "celery" in str(services["worker"]["command"])
    assert "worker" in str(services["worker"]["command"])
    assert "beat" in str(services["beat"]["command"])


def _production_env(**extra) -> dict:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUAZHI_", "SECURE_"))
    }
    env.update(
        GUAZHI_PRODUCTION="1",
        DJANGO_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        DJANGO_ALLOWED_HOSTS="guazhi.example.gov.cn",
        DJANGO_SETTINGS_MODULE="guazhi.settings",
    )
    env.update(extra)
    return env


def _manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_in_production_mode():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_a_missing_secret_key():
    result = _manage("check", env=_production_env(DJANGO_SECRET_KEY=""))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_database_url_becomes_a_postgresql_config_with_persistent_connections():
    config = database_from_url(
        "postgres://guazhi:s%40cret@db.example:6543/guazhi_prod?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "guazhi_prod"
    assert config["USER"] == "guazhi"
    assert config["PASSWORD"] == "s@cret"
    assert config["HOST"] == "db.example"
    assert config["PORT"] == "6543"
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_database_url_accepts_the_postgresql_scheme_without_a_password():
    config = database_from_url("postgresql://postgres@127.0.0.1/guazhi")
    assert (config["USER"], config["PASSWORD"], config["PORT"]) == ("postgres", "", "")


def test_database_url_refuses_other_databases():
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://root@localhost/guazhi")


# --- make run ---------------------------------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None once gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has stopped


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _start_in_background(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    """Start as `make run &` does from a script: SIGINT ignored (job control off)."""
    return subprocess.Popen(
        args,
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )


def _stops_with_its_children(proc: subprocess.Popen, log: Path, signum, count: int):
    children: set[int] = set()
    try:
        started = _wait_for(
            lambda: "已启动" in log.read_text() or proc.poll() is not None, 120
        )
        assert started and proc.poll() is None, log.read_text()
        children = _children(proc.pid)
        assert len(children) == count, log.read_text()
        proc.send_signal(signum)
        proc.wait(timeout=30)
        assert _wait_for(lambda: not any(_alive(pid) for pid in children), 10), (
            f"still running after {signal.Signals(signum).name}: "
            f"{[pid for pid in children if _alive(pid)]}\n{log.read_text()}"
        )
    finally:
        for pid in [proc.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_make_run_stops_web_worker_and_beat_on_sigterm(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")  # never seed a shared database
    }
    port = _free_port()
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"), GUAZHI_ADDR=f"127.0.0.1:{port}"
    )
    log = tmp_path / "run.log"
    proc = _start_in_background([sys.executable, "-m", "guazhi.run"], log, env)
    _stops_with_its_children(proc, log, signal.SIGTERM, 3)
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}/" in log.read_text()


STAND_IN = """
import sys
from guazhi import run
sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
sys.exit(run.serve({"web": sleep, "worker": sleep, "beat": sleep}, banner="已启动"))
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_stops_all_its_processes_on_sigint_and_sigterm_in_the_background(
    tmp_path, signum
):
    log = tmp_path / "run.log"
    proc = _start_in_background([sys.executable, "-c", STAND_IN], log, dict(os.environ))
    _stops_with_its_children(proc, log, signum, 3)
    assert proc.returncode == 0


# --- Dependencies -----------------------------------------------------------


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _imported_top_level_modules(package: Path) -> set[str]:
    names = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_every_third_party_module_the_app_imports_is_a_declared_dependency():
    packages = {path.parent for path in BASE_DIR.glob("*/__init__.py")}
    local = {path.name for path in packages} | {"manage"}
    imported = set()
    for package in packages:
        if package.name not in ("tests", "bench"):
            imported |= _imported_top_level_modules(package)
    third_party = imported - local - set(sys.stdlib_module_names)
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    declared = {
        _normalized(re.match(r"[A-Za-z0-9._-]+", spec).group())
        for spec in project["dependencies"]
    }
    providers = importlib.metadata.packages_distributions()
    undeclared = {
        module: providers.get(module, ["(not installed)"])
        for module in sorted(third_party)
        if not declared & {_normalized(d) for d in providers.get(module, [])}
    }
    assert "django" in third_party and "openpyxl" in third_party
    assert undeclared == {}
