"""`make run`: migrate, load demo data, then serve web + Celery worker + beat.

Everything runs on SQLite and the embedded filesystem broker unless
DATABASE_URL / REDIS_URL are set. Ctrl-C stops all three processes.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
ADDR = os.environ.get("GUAZHI_ADDR", "127.0.0.1:8000")


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guazhi.settings")
    for folder in (
        "var/broker/queue",
        "var/broker/processed",
        "var/broker/control",
        "var/media",
    ):
        (BASE_DIR / folder).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    celery = [PY, "-m", "celery", "-A", "guazhi"]
    commands = {
        "web": [PY, "manage.py", "runserver", ADDR, "--noreload"],
        "worker": [*celery, "worker", "--pool=solo", "--loglevel=INFO"],
        "beat": [*celery, "beat", "--loglevel=INFO"],
    }
    procs = {
        name: subprocess.Popen(cmd, cwd=BASE_DIR) for name, cmd in commands.items()
    }
    print(f"\n挂职干部管理系统已启动：http://{ADDR}/  （按 Ctrl-C 停止）\n", flush=True)
    exit_code = 0
    try:
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(
                        f"{name} 进程已退出（代码 {proc.returncode}），正在停止其余进程。"
                    )
                    exit_code = proc.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
