"""The background export through a real Celery worker on Redis: the page
queues the job on commit, a separate worker process writes the file into the
shared PostgreSQL database and media folder, the requester downloads it.
Skipped without REDIS_URL and PostgreSQL (failed under REQUIRE_CELERY_WORKER=1),
as tests/integration/test_celery_worker.py."""

import time

import pytest
from constance import config
from constance.utils import get_values_for_keys
from django.urls import reverse

from exports import tasks
from exports.models import ExportJob
from tests.exports.every_export import workbook
from tests.factories import CadreFactory, PostingFactory
from tests.integration.test_celery_worker import celery_worker_process  # noqa: F401


@pytest.fixture
def shared_media(settings, monkeypatch):
    """The worker writes where this process reads (set before it starts)."""
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_background_export(
    shared_media,
    celery_worker_process,  # noqa: F811
    login,
    org_a,
    world,
    tree,
    monkeypatch,
):
    queue, proc, log = celery_worker_process
    for n in range(12):
        PostingFactory(
            cadre=CadreFactory(name=f"甲{n:02d}号", unit=tree.organ_a),
            sending_unit=tree.organ_a,
            receiving_unit=tree.township_a1,
        )
    # Queued by the view on commit as always, to this test's worker queue.
    monkeypatch.setattr(
        tasks.run_export,
        "delay",
        lambda pk: tasks.run_export.apply_async((pk,), queue=queue),
    )
    client = login(org_a)
    # Set through the backend, not override_config: under an event loop left
    # running in this thread (the browser tests') reading `config.NAME` gives
    # an awaitable proxy that override_config cannot store back.
    before = get_values_for_keys(["EXPORT_BACKGROUND_ROWS"])["EXPORT_BACKGROUND_ROWS"]
    config.EXPORT_BACKGROUND_ROWS = 10
    try:
        response = client.get(reverse("postings:export"))
    finally:
        config.EXPORT_BACKGROUND_ROWS = before
    assert response.status_code == 302
    job = ExportJob.objects.get()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        job.refresh_from_db()
        if not job.running:
            break
        time.sleep(0.5)
    log_text = log.read_text() if log.exists() else ""
    assert job.status == ExportJob.Status.DONE, job.error + "\n" + log_text
    assert (job.done, job.total) == (13, 13)
    book = workbook(client.get(reverse("exports:download", args=[job.pk])))
    assert book.active.max_row == 14  # the header and thirteen postings
