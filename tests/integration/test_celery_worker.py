"""A real Celery worker process consumes the reminder task from Redis.

No eager mode: the task goes through the broker to a separate process that
writes to the same PostgreSQL test database.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cadres.models import Role
from postings.models import Reminder
from postings.tasks import sweep_midterm_reminders
from tests.factories import PostingFactory, UnitFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)


def _prerequisites() -> str:
    if not settings.REDIS_URL:
        return "needs REDIS_URL (a Redis broker)"
    if connection.vendor != "postgresql":
        return "needs DATABASE_URL on PostgreSQL (the worker shares the test database)"
    return ""


@pytest.fixture
def celery_worker_process(tmp_path):
    missing = _prerequisites()
    if missing:
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail(f"REQUIRE_CELERY_WORKER=1 but the worker test {missing}")
        pytest.skip(missing)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "guazhi",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--logfile={log}",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    yield queue, proc, log
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_consumes_the_reminder_task_from_redis(celery_worker_process):
    queue, proc, log = celery_worker_process
    county = UnitFactory(name="测试县", kind="region")
    township = UnitFactory(name="测试镇", kind="township", parent=county)
    organ = UnitFactory(name="测试县财政局", kind="organ", parent=county)
    staff = UserFactory(role=Role.ORG_STAFF, unit=county)
    leader = UserFactory(role=Role.HOST_LEADER, unit=township)
    today = dt.date.today()
    posting = PostingFactory(
        sending_unit=organ,
        receiving_unit=township,
        status="active",
        start_date=today - dt.timedelta(days=170),
        planned_end_date=today + dt.timedelta(days=190),
    )
    assert today <= posting.midterm_date <= today + dt.timedelta(days=14)

    assert not settings.CELERY_TASK_ALWAYS_EAGER
    sweep_midterm_reminders.apply_async(queue=queue)
    sweep_midterm_reminders.apply_async(queue=queue)  # a second run adds nothing

    def log_text() -> str:
        return log.read_text() if log.exists() else ""

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if log_text().count("succeeded in") >= 2:
            break
        time.sleep(0.5)
    assert log_text().count("succeeded in") == 2, "worker log:\n" + log_text()
    recipients = set(
        Reminder.objects.filter(posting=posting).values_list("recipient_id", flat=True)
    )
    assert recipients == {staff.pk, leader.pk}
    assert Reminder.objects.filter(posting=posting).count() == 2
