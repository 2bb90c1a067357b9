"""Exports above EXPORT_BACKGROUND_ROWS: a job, a task that writes the file
page by page, a progress fragment, a download for the requester alone, and
the file removed after a day."""

import datetime as dt
import os

import pytest
from constance.test import override_config
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import Entry
from exports import services, tasks
from exports.models import ExportJob
from tests.exports.every_export import start_job, workbook
from tests.factories import CadreFactory, PostingFactory, UserFactory


@pytest.fixture
def roster(world, tree):
    """Twelve more postings in county A (thirteen rows for org staff A)."""
    for n in range(12):
        PostingFactory(
            cadre=CadreFactory(name=f"甲{n:02d}号", unit=tree.organ_a),
            sending_unit=tree.organ_a,
            receiving_unit=tree.township_a1,
        )


@override_config(EXPORT_BACKGROUND_ROWS=10)
def test_a_large_roster_is_written_in_the_background_and_downloaded(
    login, org_a, roster, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    job = start_job(
        client,
        reverse("postings:export"),
        django_capture_on_commit_callbacks,
        sort="cadre",
    )
    assert queued == [job.pk]  # queued once the job was committed
    assert job.status == ExportJob.Status.QUEUED and job.total == 13
    assert job.parameters == {"sort": ["cadre"]}
    status_url = reverse("exports:status", args=[job.pk])
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'role="progressbar"' in fragment
    assert "export-download" not in fragment

    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    job.refresh_from_db()
    assert (job.done, job.total, job.finished_at is not None) == (13, 13, True)
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and 'id="export-download"' in fragment

    response = client.get(reverse("exports:download", args=[job.pk]))
    assert (
        "filename*=UTF-8''%E6%8C%82%E8%81%8C%E5%90%8D%E5%86%8C"
        in (response["Content-Disposition"])
    )
    book = workbook(response)
    names = [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)]
    # the same rows in the same order as the page's sort
    assert names == sorted(names) and len(names) == 13
    entry = Entry.objects.get(action=Entry.Action.EXPORT, view="postings:export")
    assert entry.rows == 13 and entry.details["job"] == job.pk
    assert entry.details["filters"] == {"sort": "cadre"}


@override_config(EXPORT_BACKGROUND_ROWS=10)
def test_a_job_is_its_requesters_alone(
    login, org_a, tree, roster, queued, django_capture_on_commit_callbacks
):
    job = start_job(
        login(org_a), reverse("postings:export"), django_capture_on_commit_callbacks
    )
    tasks.run_export(job.pk)
    colleague = UserFactory(role=org_a.role, unit=tree.county_a)
    for user in (colleague, UserFactory(role="admin", unit=None)):
        client = login(user)
        for name in ("exports:status", "exports:download"):
            response = client.get(reverse(name, args=[job.pk]))
            assert response.status_code in (403, 404), (user, name)
        listed = client.get(reverse("exports:list")).content.decode()
        assert reverse("exports:status", args=[job.pk]) not in listed


@override_config(EXPORT_BACKGROUND_ROWS=10)
def test_a_small_export_is_still_made_at_once(login, org_a, world, queued):
    response = login(org_a).get(reverse("postings:export"))
    assert response.status_code == 200 and not ExportJob.objects.exists()
    assert queued == []


@override_config(EXPORT_BACKGROUND_ROWS=10)
def test_a_large_cadre_list_goes_to_the_background_with_its_filters(
    login, org_a, roster, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    job = start_job(
        client, reverse("cadres:export"), django_capture_on_commit_callbacks, q="甲"
    )
    assert job.kind == "cadres" and job.parameters == {"q": ["甲"]}
    tasks.run_export(job.pk)
    book = workbook(client.get(reverse("exports:download", args=[job.pk])))
    names = [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 13 and all("甲" in name for name in names)
    assert client.get(reverse("exports:list")).status_code == 200


def test_a_failed_job_says_so(login, org_a, world, monkeypatch):
    job = ExportJob.objects.create(
        user=org_a,
        kind="roster",
        total=1,
        filename="x.xlsx",
        scope=services.scope_of(org_a),
    )

    def broken(request):
        raise RuntimeError("磁盘已满")

    monkeypatch.setitem(
        services.kinds.KINDS,
        "roster",
        services.kinds.Kind("roster", "挂职名册", broken),
    )
    assert tasks.run_export(job.pk) == ExportJob.Status.FAILED
    page = login(org_a).get(reverse("exports:status", args=[job.pk]))
    assert "磁盘已满" in page.content.decode()


@override_config(EXPORT_BACKGROUND_ROWS=10)
def test_files_are_removed_after_a_day(
    login, org_a, roster, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    job = start_job(
        client, reverse("postings:export"), django_capture_on_commit_callbacks
    )
    tasks.run_export(job.pk)
    job.refresh_from_db()
    path = job.file.path
    assert tasks.expire_exports() == 0  # not yet a day old
    later = timezone.now() + dt.timedelta(days=1, minutes=1)
    # The file goes once the job's new status is committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.export_jobs_expire(now=later) == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert not os.path.exists(path)
    url = reverse("exports:download", args=[job.pk])
    assert client.get(url).status_code == 404
    assert services.export_jobs_expire(now=later) == 0  # the job stays, once


def test_the_expiry_runs_daily_in_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["exports-expire"]
    assert entry["task"] == "exports.tasks.expire_exports"
    assert entry["schedule"] == 24 * 3600.0
    assert tasks.expire_exports.name == entry["task"]
    assert tasks.run_export.acks_late and tasks.expire_exports.acks_late


def test_the_list_of_exports_costs_the_same_queries_for_5_and_20_jobs(login, org_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(org_a)
    client.get(reverse("exports:list"))  # the session's first request: warm
    counts = []
    for n in (5, 20):
        ExportJob.objects.filter(user=org_a).delete()
        for i in range(n):  # queued, each under other filters
            ExportJob.objects.create(
                user=org_a, kind="roster", filename="x.xlsx", digest=str(i)
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("exports:list"))
        assert page.content.decode().count('href="/exports/') >= n
        counts.append(len(queries))
    assert counts[0] == counts[1]
