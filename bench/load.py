"""Throughput under gunicorn: the postings list beside the floor page.

gunicorn runs the app with bench settings and 2 sync workers on 127.0.0.1 at a
free port. The load comes from wrk when it is installed (Debian package `wrk`),
else from a bounded Python client: CONNECTIONS threads, each sending requests
one after another over its own connection for a fixed time. Only responses with
status 200 count. Each measurement stops at its deadline.
"""

import http.client
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from .database import BASE_DIR, BENCH_DIR, Target

WORKERS = 2
CONNECTIONS = 4
WARMUP_SECONDS = 2.0
WRITE_EVERY = 10  # the mixed load: one write per ten requests
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@contextmanager
def gunicorn(target: Target):
    """A gunicorn serving the bench database; yields its port."""
    port = _free_port()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log = open(BENCH_DIR / f"gunicorn-{target.vendor}.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=target.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            try:
                if _status(port, "/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz in time")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def login(port: int, username: str, password: str) -> str:
    """Log in through the login form; returns the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login/")
        response = conn.getresponse()
        page = response.read().decode()
        csrf = _cookies(response)["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        conn.request(
            "POST",
            "/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
        response = conn.getresponse()
        response.read()
        session = _cookies(response).get("sessionid")
        if response.status != 302 or not session:
            raise RuntimeError(f"login as {username} failed ({response.status})")
        return f"sessionid={session}; csrftoken={csrf}"
    finally:
        conn.close()


def _python_load(
    port: int,
    path: str,
    cookie: str,
    seconds: float,
    write_path: str = "",
) -> tuple:
    """(reads answered 200 per second, failures). With `write_path`, every
    WRITE_EVERY-th request of each connection is a POST there instead (a write
    the read page sees); only the reads count towards the rate."""
    deadline = time.monotonic() + seconds
    ok = [0] * CONNECTIONS
    bad = [0] * CONNECTIONS

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            writing = bool(write_path) and sent % WRITE_EVERY == 0
            try:
                if writing:
                    conn.request("POST", write_path, headers={"Cookie": cookie})
                else:
                    conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    ok[i] += 0 if writing else 1
                else:
                    bad[i] += 1
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad[i] += 1
                conn.close()
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return sum(ok) / elapsed, sum(bad)


def _wrk_load(port: int, path: str, cookie: str, seconds: float) -> tuple:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rps, (int(bad[1]) if bad else 0) + (1 if errors else 0)


def client_name() -> str:
    if shutil.which("wrk"):
        return f"wrk, {CONNECTIONS} connections"
    return f"Python client, {CONNECTIONS} connections"


def throughput(
    port: int, path: str, cookie: str, seconds: float, write_path: str = ""
) -> float:
    """Responses with status 200 per second; any other answer is an error.
    With `write_path`, a mixed load (the Python client: wrk sends one request
    only), one write per WRITE_EVERY requests."""
    if write_path or not shutil.which("wrk"):
        load = partial(_python_load, write_path=write_path)
    else:
        load = _wrk_load
    load(port, path, cookie, WARMUP_SECONDS)
    rps, errors = load(port, path, cookie, seconds)
    if errors:
        raise RuntimeError(f"{errors} requests to {path} failed or were not 200")
    return rps
