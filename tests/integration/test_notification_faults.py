"""The reminder ladder under faults (issue 18), with real processes: sweeps
run twice and concurrently from several processes on PostgreSQL, a real
worker on Redis (no eager mode) that is SIGKILLed mid-sweep and restarted,
two beats by mistake, and the mail server down and back (a local SMTP stub).
After the next sweep nothing is missing and nothing doubled: every step is
claimed once and every email that could be sent went out once (each
message names its notifications in a header).

Redis restarted with tasks queued runs on a private Redis of its own (a
`redis-server` on a free port; the CI Redis is shared): the emails are queued
with no worker running, Redis is SIGKILLed and restarted, and the next sweep
re-queues whatever is still pending. Without persistence the queued tasks are
lost and the sweep recovers them; with an append-only file they survive and
come twice (theirs and the sweep's), and `deliver_email` sends each once.
"""

import datetime as dt
import email
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cadres.models import Role
from notifications.models import Notification, SweepRun
from notifications.tasks import sweep_notifications
from obligations.models import Obligation
from tests.factories import CadreFactory, PostingFactory, UnitFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _skip_unless(redis: bool):
    missing = ""
    if connection.vendor != "postgresql":
        missing = "needs DATABASE_URL on PostgreSQL (processes share the database)"
    elif redis and not settings.REDIS_URL:
        missing = "needs REDIS_URL (a Redis broker)"
    if missing:
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail(f"REQUIRE_CELERY_WORKER=1 but the fault test {missing}")
        pytest.skip(missing)


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- A tiny SMTP server ----------------------------------------------------------


class _Smtp(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 stub ESMTP\r\n")
        data, lines = False, []
        while line := self.rfile.readline():
            if data:
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(b"".join(lines).decode())
                    data, lines = False, []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            if command == b"DATA":
                data = True
                self.wfile.write(b"354 go on\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class SmtpStub:
    """Up and down on demand, on one port; keeps every message it took."""

    def __init__(self, port: int):
        self.port, self.messages, self.server = port, [], None

    def up(self):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _Smtp)
        self.server.daemon_threads = True
        self.server.messages = self.messages
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def carried(self) -> Counter:
        """How many messages carried each notification id."""
        ids = Counter()
        for raw in self.messages:
            header = email.message_from_string(raw)["X-Guazhi-Notifications"] or ""
            ids.update(int(pk) for pk in header.split(",") if pk)
        return ids


# --- The world: postings with reminders due today ------------------------------------


def _world(n: int = 6, *, with_email: bool = True) -> dict:
    today = timezone.localdate()
    county = UnitFactory(name="故障县", kind="region")
    organ = UnitFactory(name="故障县财政局", kind="organ", parent=county)
    township = UnitFactory(name="故障镇", kind="township", parent=county)
    mail = {"email": "x@example.cn"} if with_email else {}
    staff = UserFactory(role=Role.ORG_STAFF, unit=county, **mail)
    leader = UserFactory(role=Role.HOST_LEADER, unit=township, **mail)
    obligations = []
    for _ in range(n):
        posting = PostingFactory(
            cadre=CadreFactory(unit=organ),
            receiving_unit=township,
            start_date=today - dt.timedelta(days=200),
            planned_end_date=today + dt.timedelta(days=200),
        )
        # Due in three days (提前3 today) and a week overdue (组织部7 today).
        for due in (today + dt.timedelta(days=3), today - dt.timedelta(days=7)):
            obligations.append(
                Obligation.objects.create(
                    kind="monthly_note",
                    posting=posting,
                    period=due,
                    owed_by=Role.HOST_LEADER,
                    unit=township,
                    due_on=due,
                )
            )
    return {"staff": staff, "leader": leader, "obligations": obligations}


def _expected(world) -> set:
    """(obligation, step, recipient) of every step that must go out today."""
    today = timezone.localdate()
    want = set()
    for o in world["obligations"]:
        if o.due_on > today:
            want.add((o.pk, "before3", world["leader"].pk))
        else:
            want.add((o.pk, "after3", world["leader"].pk))
            want.add((o.pk, "org7", world["staff"].pk))
    return want


def _claims(status=None) -> Counter:
    qs = Notification.objects.exclude(status=Notification.Status.SKIPPED)
    if status:
        qs = qs.filter(status=status)
    return Counter(qs.values_list("obligation_id", "step", "recipient_id"))


# --- Concurrent sweeps from several processes ---------------------------------------

SWEEP_AT = """
import time, django
django.setup()
from notifications.services import sweep
time.sleep(max(0, {start} - time.time()))
print(sweep().claimed)
"""


def test_concurrent_sweeps_from_several_processes_claim_each_step_once():
    _skip_unless(redis=False)
    world = _world(20, with_email=False)  # app only: nothing to queue
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "guazhi.settings",
        "GUAZHI_DEV": "1",
    }
    start = time.time() + 4  # all four processes begin at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP_AT.format(start=start)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    claims = _claims()
    assert set(claims) == _expected(world)
    assert max(claims.values()) == 1
    assert SweepRun.objects.filter(day=timezone.localdate()).count() == 1
    # And once more, later: nothing new.
    again = subprocess.run(
        [sys.executable, "-c", SWEEP_AT.format(start=0)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.stdout.strip() == "0", again.stderr
    assert _claims() == claims


# --- A real worker, beats, SIGKILL, the mail server down and back -------------------


class Processes:
    def __init__(self, env, tmp_path):
        self.env, self.tmp_path, self.procs = env, tmp_path, []

    def start(self, *args, name: str):
        log = self.tmp_path / f"{name}-{len(self.procs)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "guazhi", *args, f"--logfile={log}"],
            cwd=BASE_DIR,
            env=self.env,
        )
        self.procs.append(proc)
        return proc

    def worker(self):
        return self.start(
            "worker",
            "--pool=solo",
            "-Q",
            self.env["CELERY_TASK_DEFAULT_QUEUE"],
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            name="worker",
        )

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def rig(tmp_path):
    _skip_unless(redis=True)
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    stub = SmtpStub(_free_port())
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(stub.port),
        "EMAIL_TIMEOUT": "5",
        "NOTIFICATION_RETRY_SECONDS": "1",
        "GUAZHI_DEV": "1",
    }
    processes = Processes(env, tmp_path)
    yield processes, stub, queue
    processes.stop_all()
    stub.down()


def _wait(condition, seconds: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _settled() -> bool:
    return not Notification.objects.filter(status=Notification.Status.PENDING).exists()


def _assert_each_sent_once(world, stub):
    claims = _claims()
    assert set(claims) >= _expected(world)
    assert max(claims.values()) == 1
    sent = Notification.objects.filter(status=Notification.Status.SENT)
    assert sent.count() == Notification.objects.exclude(status="skipped").count()
    carried = stub.carried()
    assert set(carried) == set(sent.values_list("pk", flat=True))
    assert max(carried.values()) == 1, "an email went out twice"


def test_mail_down_and_back_a_killed_worker_and_two_beats_lose_and_double_nothing(
    rig,
):
    processes, stub, queue = rig
    world = _world(6)

    # The mail server is down: the sweep, sent twice, claims each step once
    # and the emails wait in their retries, not delivered.
    worker = processes.worker()
    sweep_notifications.apply_async(queue=queue)
    sweep_notifications.apply_async(queue=queue)
    _wait(
        lambda: Notification.objects.filter(attempts__gte=1).exists(),
        what="a failed delivery attempt",
    )
    assert not Notification.objects.filter(status="sent").exists()
    assert set(_claims()) == _expected(world)

    # The mail server is back: the retries deliver every email once.
    stub.up()
    _wait(_settled, what="the retries to deliver")
    _assert_each_sent_once(world, stub)

    # New work, and the worker SIGKILLed mid-sweep: its transaction is held
    # at the sweep's last write (this test holds the day's row) and dies.
    more = _world(3)
    with transaction.atomic():
        SweepRun.objects.select_for_update().get(day=timezone.localdate())
        sweep_notifications.apply_async(queue=queue)

        def blocked():
            with connection.cursor() as cursor:
                # Statistics are a snapshot per transaction: take a fresh one.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type"
                    " = 'Lock' AND datname = current_database()"
                )
                return cursor.fetchone()[0] > 0

        _wait(blocked, 60, "the sweep to block on the day's row")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
    time.sleep(1)  # the dead session's transaction rolls back
    assert not Notification.objects.filter(obligation__in=more["obligations"]).exists()

    # Restarted; two beats by mistake, each sending the sweep every second.
    processes.worker()
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name=f"faults-sweep-{queue}",
        task="notifications.tasks.sweep_notifications",
        interval=every_second,
        queue=queue,
    )
    beats = [
        processes.start("beat", "--max-interval=1", "--loglevel=INFO", name="beat")
        for _ in range(2)
    ]
    _wait(
        lambda: set(_claims()) >= _expected(world) | _expected(more),
        what="the next sweep to claim the new steps",
    )
    time.sleep(5)  # several more beats' sweeps
    for beat in beats:
        beat.terminate()
        beat.wait(timeout=20)
    _wait(_settled, what="every email to go out")
    _assert_each_sent_once(world, stub)
    _assert_each_sent_once(more, stub)


# --- Redis restarted with tasks queued (a private Redis) ----------------------------


class PrivateRedis:
    """A redis-server of this test's own, on a free port in a temp dir:
    killed and restarted at will, with or without an append-only file."""

    def __init__(self, tmp_path, *, appendonly: bool):
        self.dir, self.port, self.proc = tmp_path, _free_port(), None
        self.appendonly = appendonly
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def up(self):
        args = [
            shutil.which("redis-server"),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.dir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
        ]  # fmt: skip
        if self.appendonly:
            # Every write on disk before the reply: a SIGKILL loses nothing.
            args += ["--appendfsync", "always"]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait(self._answers, 20, "the private Redis to start")

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except Exception:  # redis.ConnectionError, BusyLoadingError: not yet
            return False

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2)

    def queued(self, queue: str) -> int:
        """Messages waiting in `queue` (and its priority lists)."""
        client = self.client()
        return sum(client.llen(key) for key in client.keys(f"{queue}*"))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)


@pytest.fixture
def private_rig(tmp_path, request):
    _skip_unless(redis=True)  # where the other fault tests run
    if not shutil.which("redis-server"):
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail("REQUIRE_CELERY_WORKER=1 but redis-server is not on PATH")
        pytest.skip("needs redis-server on PATH (a private Redis)")
    redis = PrivateRedis(tmp_path, appendonly=request.param)
    redis.up()
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    stub = SmtpStub(_free_port())
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(stub.port),
        "EMAIL_TIMEOUT": "5",
        "NOTIFICATION_RETRY_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "guazhi.settings",
        "GUAZHI_DEV": "1",
    }
    processes = Processes(env, tmp_path)
    yield processes, stub, queue, redis
    processes.stop_all()
    stub.down()
    redis.kill()


SWEEP_NOW = """
import django
django.setup()
from notifications.services import sweep
print(sweep().queued)
"""


def _sweep_in(env) -> int:
    """The daily sweep in a process of its own on the private Redis: it claims
    what is due and queues the emails there. Returns how many it queued."""
    done = subprocess.run(
        [sys.executable, "-c", SWEEP_NOW],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "private_rig", [False, True], ids=["no-persistence", "appendonly"], indirect=True
)
def test_redis_restarted_with_tasks_queued_loses_and_doubles_nothing(private_rig):
    processes, stub, queue, redis = private_rig
    world = _world(6)
    stub.up()

    # The sweep claims today's steps and queues their emails; no worker runs.
    queued = _sweep_in(processes.env)
    assert queued > 0
    assert redis.queued(queue) == queued
    assert set(_claims(Notification.Status.PENDING)) == _expected(world)

    # Redis dies and comes back: without persistence the tasks are gone.
    redis.kill()
    redis.up()
    assert redis.queued(queue) == (queued if redis.appendonly else 0)
    assert not Notification.objects.filter(status="sent").exists()

    # The next sweep, before the worker is back: it claims nothing new and
    # queues every pending email again (with an append-only file, a second
    # task for each); the worker then sends each once.
    assert _sweep_in(processes.env) == queued
    assert redis.queued(queue) == (2 if redis.appendonly else 1) * queued
    processes.worker()
    _wait(_settled, what="every email to go out")
    _wait(lambda: redis.queued(queue) == 0, 60, "the worker to drain the queue")
    _assert_each_sent_once(world, stub)
    assert len(stub.messages) == queued
    assert set(_claims()) == _expected(world)
