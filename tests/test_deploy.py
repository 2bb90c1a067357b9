"""Deployment: docker-compose services, production settings, DATABASE_URL."""

import ast
import http.client
import http.server
import importlib.metadata
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

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


# What the test settings set for the whole test run (tests/settings.py).
DEV_ENV = ("GUAZHI_DEV", "DJANGO_SETTINGS_MODULE")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_make_run_stops_web_worker_and_beat_on_sigterm(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        # Never seed a shared database; `make run` opts into development itself.
        if key not in (*("DATABASE_URL", "REDIS_URL"), *DEV_ENV)
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


# --- Safe by default (issue 15) ---------------------------------------------


def _bare_env(tmp_path, **extra) -> dict:
    """The environment of a server started with none of the app's variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUAZHI_", "SECURE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="guazhi.settings",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),  # never the developer's file
    )
    env.update(extra)
    return env


def _key() -> str:
    return secrets.token_urlsafe(64)


SHOW_SETTINGS = """
from django.conf import settings
for name in ("DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"):
    print("setting", name, getattr(settings, name))
"""


def _settings_of(env) -> dict[str, str]:
    result = _manage("shell", "-c", SHOW_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 2) for line in result.stdout.splitlines()]
    return {line[1]: line[2] for line in lines if line[0] == "setting"}


def test_nothing_set_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", env=_bare_env(tmp_path))
    assert result.returncode != 0
    assert "请设置 DJANGO_SECRET_KEY" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "GUAZHI_DEV=1" in result.stderr  # how to develop instead


def test_nothing_set_but_a_key_refuses_to_start_without_host_names(tmp_path):
    result = _manage("check", env=_bare_env(tmp_path, DJANGO_SECRET_KEY=_key()))
    assert result.returncode != 0
    assert "请设置 DJANGO_ALLOWED_HOSTS" in result.stderr


def test_the_default_is_production_and_passes_check_deploy(tmp_path):
    env = _bare_env(
        tmp_path, DJANGO_SECRET_KEY=_key(), DJANGO_ALLOWED_HOSTS="guazhi.example.gov.cn"
    )
    assert _settings_of(env) == {
        "DEBUG": "False",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_PROXY_SSL_HEADER": "None",  # no proxy configured: nothing trusted
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_behind_the_proxy_as_docker_compose_runs_it(tmp_path):
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    env = _production_env(SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    env.update(compose["services"]["web"]["environment"])
    assert _settings_of(env)["SECURE_PROXY_SSL_HEADER"] == str(
        ("HTTP_X_FORWARDED_PROTO", "https")
    )
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_is_opted_into_with_guazhi_dev(tmp_path):
    settings_ = _settings_of(_bare_env(tmp_path, GUAZHI_DEV="1"))
    assert settings_["DEBUG"] == "True"
    assert settings_["SECURE_SSL_REDIRECT"] == "False"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"DJANGO_DEBUG": "1"}, "生产模式不能打开 DJANGO_DEBUG"),
        ({"GUAZHI_PRODUCTION": "0"}, "GUAZHI_PRODUCTION=0 不再表示开发模式"),
        ({"GUAZHI_PRODUCTION": "1", "GUAZHI_DEV": "1"}, "不能同时设置"),
    ],
)
def test_contradictory_or_unsafe_modes_are_refused(tmp_path, extra, message):
    env = _bare_env(
        tmp_path, DJANGO_SECRET_KEY=_key(), DJANGO_ALLOWED_HOSTS="localhost", **extra
    )
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr


FORWARDED_HTTPS = """
from django.test import Client
response = Client().get(
    "/", HTTP_HOST="guazhi.example.gov.cn", HTTP_X_FORWARDED_PROTO="https"
)
print("response", response.status_code, response.get("Location", "-"),
      response.get("Strict-Transport-Security", "-"))
"""


@pytest.mark.parametrize(
    ("behind_proxy", "expected"),
    [
        # A client claiming HTTPS over plain HTTP is not believed: redirected.
        ("0", "response 301 https://guazhi.example.gov.cn/ -"),
        # The proxy's word is believed (on to the login page), and HTTPS
        # responses carry HSTS.
        (
            "1",
            "response 302 /login/?next=/ max-age=31536000; includeSubDomains; preload",
        ),
    ],
)
def test_x_forwarded_proto_is_believed_only_behind_the_proxy(
    tmp_path, behind_proxy, expected
):
    env = _production_env(
        GUAZHI_BEHIND_PROXY=behind_proxy, SQLITE_PATH=str(tmp_path / "db.sqlite3")
    )
    result = _manage("shell", "-c", FORWARDED_HTTPS, env=env)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout.splitlines()


# --- The reverse proxy (deploy/nginx.conf) ----------------------------------

NGINX_CONF = BASE_DIR / "deploy" / "nginx.conf"


def _nginx_directives() -> str:
    """deploy/nginx.conf without its comments."""
    return "\n".join(
        line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines()
    )


def test_docker_compose_puts_nginx_in_front_and_publishes_nothing_else():
    services = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]
    proxy, web = services["proxy"], services["web"]
    assert proxy["image"].startswith("nginx:")  # the official image
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert any(v.endswith(":/etc/nginx/certs:ro") for v in proxy["volumes"])
    assert "443:443" in proxy["ports"]
    # Only the proxy publishes a port: gunicorn is reached through it alone.
    assert [name for name, s in services.items() if "ports" in s] == ["proxy"]
    assert web["environment"]["GUAZHI_BEHIND_PROXY"] == "1"
    assert set(proxy["networks"]) & set(web["networks"])
    for name in ("db", "redis", "worker", "beat"):
        assert not set(proxy["networks"]) & set(services[name]["networks"]), name


def test_the_proxy_limits_the_body_to_the_upload_limit_and_sets_the_headers():
    conf = _nginx_directives()
    size = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert size, "client_max_body_size <N>m; missing"
    limit = int(size.group(1)) * 1024 * 1024
    # Room for the largest attachment and its form, not much more.
    attachment = settings.ATTACHMENT_MAX_BYTES
    assert attachment < limit <= attachment + 2 * 1024 * 1024
    assert limit == settings.GUAZHI_MAX_REQUEST_BYTES  # the app's own limit
    # Set (never appended to) from what nginx itself saw.
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", conf)
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", conf)
    assert "$proxy_add_x_forwarded_for" not in conf
    assert re.search(r"ssl_protocols\s+TLSv1\.2 TLSv1\.3;", conf)
    assert "http://web:8000" in conf
    # HSTS in one place: the app sends it (SECURE_HSTS_SECONDS), nginx does not.
    assert "Strict-Transport-Security" not in conf


def _nginx_or_skip() -> dict:
    """os.environ with nginx on PATH; skipped without nginx, except in CI."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    missing = [
        tool for tool in ("nginx", "openssl") if not shutil.which(tool, path=path)
    ]
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but {' and '.join(missing)} missing")
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install nginx)")
    return dict(os.environ, PATH=path)


def _check_nginx(config: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BASE_DIR / "deploy" / "check-nginx"), str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nginx_accepts_the_proxy_configuration(tmp_path):
    env = _nginx_or_skip()
    result = _check_nginx(NGINX_CONF, env)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # The checker checks: a misspelt directive is refused.
    broken = tmp_path / "nginx.conf"
    broken.write_text(NGINX_CONF.read_text().replace("ssl_protocols", "ssl_protocol"))
    result = _check_nginx(broken, env)
    assert result.returncode != 0
    assert "ssl_protocol" in result.stderr


class _Echo(http.server.BaseHTTPRequestHandler):
    """Stands in for gunicorn: answers with the headers and body size it got."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = len(self.rfile.read(length)) if length else 0
        body = json.dumps(
            {"headers": dict(self.headers.items()), "received": received}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def _wait_for_port(port: int, proc: subprocess.Popen) -> None:
    def listening():
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    assert _wait_for(lambda: listening() or proc.poll() is not None, 15)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""


@pytest.fixture
def proxy(tmp_path):
    """deploy/nginx.conf running on local ports in front of _Echo."""
    env = _nginx_or_skip()
    folder = Path(tempfile.mkdtemp(prefix="guazhi-nginx-"))
    folder.chmod(0o755)  # nginx's workers run as another user
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    http_port, https_port = _free_port(), _free_port()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=guazhi.test", "-keyout", folder / "guazhi.key"]
        + ["-out", folder / "guazhi.crt"],
        env=env,
        check=True,
        capture_output=True,
    )
    temp_paths = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / kind).mkdir(mode=0o777)
        (folder / kind).chmod(0o777)
    conf = (
        NGINX_CONF.read_text()
        .replace("/etc/nginx/certs/", f"{folder}/")
        .replace("pid /tmp/nginx.pid;", f"pid {folder}/nginx.pid;")
        .replace("worker_processes auto;", "worker_processes 1;")
        .replace("listen 80 ", f"listen 127.0.0.1:{http_port} ")
        .replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
        .replace("http://web:8000", f"http://127.0.0.1:{backend.server_port}")
        .replace("http {\n", "http {\n" + temp_paths, 1)
    )
    (folder / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(
        ["nginx", "-e", "stderr", "-c", str(folder / "nginx.conf")]
        + ["-g", "daemon off;"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(https_port, proc)
        yield SimpleNamespace(http_port=http_port, https_port=https_port)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        backend.shutdown()
        backend.server_close()
        shutil.rmtree(folder, ignore_errors=True)


def _https(proxy) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the throwaway self-signed certificate
    return http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, context=context, timeout=30
    )


def test_the_proxy_replaces_forwarded_headers_a_client_sends(proxy):
    conn = _https(proxy)
    conn.request(
        "GET",
        "/cadres/",
        headers={
            "Host": "guazhi.test",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "evil.example",
            "X-Real-IP": "203.0.113.9",
        },
    )
    response = conn.getresponse()
    assert response.status == 200
    seen = json.loads(response.read())["headers"]
    assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
    conn.close()
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Real-IP"] == "127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "https"
    assert seen["Host"] == "guazhi.test"
    assert "X-Forwarded-Host" not in seen


def test_the_proxy_redirects_plain_http_to_https(proxy):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=30)
    conn.request("GET", "/cadres/?page=2", headers={"Host": "guazhi.test"})
    response = conn.getresponse()
    conn.close()
    assert response.status == 301
    assert response.getheader("Location") == "https://guazhi.test/cadres/?page=2"


def test_the_proxy_passes_the_largest_attachment_and_refuses_more(proxy):
    largest = settings.ATTACHMENT_MAX_BYTES + 64 * 1024  # a file and its form
    conn = _https(proxy)
    conn.request("POST", "/upload/", body=b"x" * largest, headers={"Host": "t"})
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["received"] == largest
    conn.close()
    # Far more: refused from the declared length, before the body is read.
    conn = _https(proxy)
    conn.putrequest("POST", "/upload/")
    conn.putheader("Content-Length", str(settings.ATTACHMENT_MAX_BYTES * 2))
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 413
    assert "上传的内容超过 20 MB" in body
