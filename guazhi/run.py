"""`make run`: migrate, load demo data, then serve web + Celery worker + beat.

Everything runs on SQLite and the embedded filesystem broker unless
DATABASE_URL / REDIS_URL are set. GUAZHI_ADDR is the address the web server
listens on: host:port, or a port alone for 127.0.0.1 (default 127.0.0.1:8000).

Ctrl-C (SIGINT) or SIGTERM stops all three processes. Both are handled
explicitly: Python's default SIGTERM would end this process alone and leave the
others running, and a shell starts a background job (`make run &` in a script)
with SIGINT ignored.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
ADDR = os.environ.get("GUAZHI_ADDR", "127.0.0.1:8000")
STOP_TIMEOUT = 10  # seconds the processes have to stop before they are killed


class Stop(Exception):
    """SIGTERM or SIGINT arrived."""


def _raise_stop(signum, frame):
    raise Stop(signum)


def _handle_stop_signals() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_stop)


def url_for(addr: str) -> str:
    """The URL runserver serves for `addr` ("port", "host:port", "[::1]:port")."""
    return f"http://127.0.0.1:{addr}/" if addr.isdigit() else f"http://{addr}/"


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, check=True)


def _stop_all(procs: Iterable[subprocess.Popen]) -> None:
    # A second Ctrl-C must not cut the clean-up short; the deadline bounds it.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(commands: dict[str, list[str]], *, banner: str = "") -> int:
    """Run `commands` until one exits or SIGTERM/SIGINT arrives, then stop them
    all. Returns the exit code of a process that ended by itself (1 if it
    ended with 0), or 0 on a signal."""
    _handle_stop_signals()
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, cmd in commands.items():
            procs[name] = subprocess.Popen(cmd, cwd=BASE_DIR)
        if banner:
            print(banner, flush=True)
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(
                        f"{name} 进程已退出（代码 {proc.returncode}），正在停止其余进程。",
                        flush=True,
                    )
                    return proc.returncode or 1
            time.sleep(0.5)
    except Stop:
        print("正在停止网站、worker 和 beat……", flush=True)
        return 0
    finally:
        _stop_all(procs.values())


def main() -> int:
    _handle_stop_signals()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guazhi.settings")
    # Development on this machine, opted into here: without it the settings run
    # safe (production) and want a secret key and host names.
    os.environ["GUAZHI_DEV"] = "1"
    for folder in (
        "var/broker/queue",
        "var/broker/processed",
        "var/broker/control",
        "var/media",
    ):
        (BASE_DIR / folder).mkdir(parents=True, exist_ok=True)
    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo")
    except Stop:
        return 0  # subprocess.run has killed the command it was running
    celery = [PY, "-m", "celery", "-A", "guazhi"]
    commands = {
        "web": [PY, "manage.py", "runserver", ADDR, "--noreload"],
        "worker": [*celery, "worker", "--pool=solo", "--loglevel=INFO"],
        "beat": [*celery, "beat", "--loglevel=INFO"],
    }
    banner = (
        f"\n挂职干部管理系统已启动：{url_for(ADDR)}  （按 Ctrl-C 停止；"
        f"换端口：GUAZHI_ADDR=127.0.0.1:8080 make run）\n"
    )
    return serve(commands, banner=banner)


if __name__ == "__main__":
    sys.exit(main())
