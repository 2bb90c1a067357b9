"""Background exports, continued: the overdue obligations and the audit trail
go to the background as the roster does; a repeated request joins its running
job; a file is withheld once its requester's scope has changed."""

import datetime as dt
import importlib
import os

import pytest
from constance.test import override_config
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from audit import services as audit_services
from audit.models import Entry
from cadres.models import Role
from exports import services, tasks
from exports.models import ExportJob
from tests.exports.every_export import (
    download,
    overdue_obligation,
    sheet_values,
    start_job,
    workbook,
)
from tests.factories import PostingFactory


@pytest.fixture
def overdue(world, tree):
    """Three overdue obligations in county A, one in county B."""
    overdue_obligation(world.a.posting)
    overdue_obligation(world.b.posting)
    for _ in range(2):
        overdue_obligation(
            PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
        )


# --- The overdue obligations and the audit trail in the background ----------


def test_a_large_overdue_export_writes_the_pages_rows_in_the_background(
    login, org_a, overdue, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("obligations:overdue_export")
    at_once = sheet_values(workbook(client.get(url, {"kind": "monthly_note"})))
    assert len(at_once["逾期明细"]) == 1 + 3  # county A's three, not B's
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            client, url, django_capture_on_commit_callbacks, kind="monthly_note"
        )
    assert (job.kind, job.total, queued) == ("overdue", 3, [job.pk])
    assert job.parameters == {"kind": ["monthly_note"]}
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once  # both sheets, same rows
    recorded = Entry.objects.filter(
        action=Entry.Action.EXPORT, view="obligations:overdue_export"
    )
    assert [e.details.get("job") for e in recorded.order_by("pk")] == [None, job.pk]


def test_a_large_audit_export_writes_the_filtered_trail_in_the_background(
    login, admin, queued, django_capture_on_commit_callbacks
):
    for n in range(3):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=f"guess{n}")
    audit_services.record(None, Entry.Action.LOGIN, username="someone")
    client = login(admin)
    url = reverse("admin:audit_entry_export")
    query = {"action__exact": "login_failed", "q": "guess"}
    at_once = sheet_values(workbook(client.get(url, query)))
    assert [r[2] for r in at_once["审计日志"][1:]] == ["guess2", "guess1", "guess0"]
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, url, django_capture_on_commit_callbacks, **query)
    assert (job.kind, job.total) == ("audit", 3)
    recorded = Entry.objects.filter(
        action=Entry.Action.EXPORT, view="admin:audit_entry_export"
    )
    assert recorded.count() == 2  # at once, then when queued
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once
    assert recorded.count() == 2  # the job itself records nothing more


def test_the_audit_job_checks_the_permission_again_when_it_runs(
    login, admin, queued, django_capture_on_commit_callbacks
):
    for n in range(3):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=f"guess{n}")
    client = login(admin)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            client,
            reverse("admin:audit_entry_export"),
            django_capture_on_commit_callbacks,
        )
    # Staff status withdrawn by another admin: the scope fingerprint keeps
    # it too, but the job also asks the admin's own permission check.
    admin.is_staff = False
    admin.save(update_fields=["is_staff"])
    job.scope = services.scope_of(admin)  # as if it had been queued so
    job.save(update_fields=["scope"])
    assert tasks.run_export(job.pk) == ExportJob.Status.FAILED
    job.refresh_from_db()
    assert "权限" in job.error and not job.file


# --- A repeated request joins its running job --------------------------------


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_a_repeated_request_joins_the_running_job_and_a_later_one_starts_anew(
    login, org_a, overdue, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("obligations:overdue_export")
    first = start_job(client, url, django_capture_on_commit_callbacks, unit="")
    again = start_job(client, url, django_capture_on_commit_callbacks, unit="")
    assert again == first and ExportJob.objects.count() == 1
    assert queued == [first.pk]  # one task
    recorded = Entry.objects.filter(action=Entry.Action.EXPORT)
    assert recorded.count() == 1  # recorded once, when queued
    # Other filters are another export.
    other = start_job(client, url, django_capture_on_commit_callbacks, kind="x")
    assert other != first
    tasks.run_export(first.pk)
    later = start_job(client, url, django_capture_on_commit_callbacks, unit="")
    assert later != first and later.status == ExportJob.Status.QUEUED
    assert queued == [first.pk, other.pk, later.pk]


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_two_requests_at_once_make_one_job(
    login, org_a, overdue, queued, monkeypatch, django_capture_on_commit_callbacks
):
    """The second request's look for a running job comes before the first
    commits its job: the constraint refuses the second insert, and the
    second request gets the first's job."""
    client = login(org_a)
    url = reverse("obligations:overdue_export")
    first = start_job(client, url, django_capture_on_commit_callbacks)
    monkeypatch.setattr(services, "_running", _miss_once(services._running))
    again = start_job(client, url, django_capture_on_commit_callbacks)
    assert again == first and ExportJob.objects.count() == 1
    assert queued == [first.pk]


def _miss_once(look):
    calls = []

    def running(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else look(**kwargs)

    return running


# --- A changed scope withholds the file --------------------------------------


@pytest.fixture
def done_job(login, org_a, overdue, queued, django_capture_on_commit_callbacks):
    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            client,
            reverse("obligations:overdue_export"),
            django_capture_on_commit_callbacks,
        )
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    job.refresh_from_db()
    assert job.file
    return client, job


@pytest.mark.parametrize("change", ["unit", "role"])
def test_a_file_is_withdrawn_when_the_requesters_scope_changes(
    done_job, org_a, tree, change, django_capture_on_commit_callbacks
):
    client, job = done_job
    path = job.file.path
    if change == "unit":
        org_a.unit = tree.county_b
    else:
        org_a.role = Role.ADMIN
        org_a.unit = None
    org_a.save()
    # The file goes once the withdrawal is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 404
    assert "数据范围" in response.content.decode()  # says why
    job.refresh_from_db()
    assert job.status == ExportJob.Status.WITHDRAWN and not job.file
    assert not os.path.exists(path)
    page = client.get(reverse("exports:status", args=[job.pk])).content.decode()
    assert 'id="export-withdrawn"' in page and "export-download" not in page
    # The daily expiry leaves it withdrawn (what happened stays on record).
    later = timezone.now() + dt.timedelta(days=2)
    assert services.export_jobs_expire(now=later) == 0


def test_a_file_stays_while_the_scope_is_unchanged(done_job, org_a):
    client, job = done_job
    org_a.first_name = "改名"  # not part of the scope
    org_a.save()
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200


def test_the_list_withdraws_files_of_another_scope(done_job, org_a, tree):
    client, job = done_job
    org_a.unit = tree.county_b
    org_a.save()
    page = client.get(reverse("exports:list")).content.decode()
    assert reverse("exports:download", args=[job.pk]) not in page
    assert "已撤回" in page


@pytest.mark.parametrize("change", ["unit", "inactive"])
def test_a_job_queued_under_another_scope_writes_nothing(
    login, org_a, tree, overdue, queued, django_capture_on_commit_callbacks, change
):
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            login(org_a),
            reverse("obligations:overdue_export"),
            django_capture_on_commit_callbacks,
        )
    if change == "unit":
        org_a.unit = tree.county_b
    else:
        org_a.is_active = False
    org_a.save()
    assert tasks.run_export(job.pk) == ExportJob.Status.WITHDRAWN
    job.refresh_from_db()
    assert not job.file and job.done == 0


def test_the_migration_gives_jobs_from_before_safe_values(org_a, tree, settings):
    """Queued jobs keep running under their requester's scope now; finished
    files, whose scope at writing is unknown, are withdrawn."""
    fill = importlib.import_module("exports.migrations.0002_digest_scope_kinds").fill
    waiting = ExportJob.objects.create(user=org_a, kind="roster", filename="a.xlsx")
    done = ExportJob.objects.create(
        user=org_a, kind="roster", filename="b.xlsx", status="done"
    )
    fill(apps, None)
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.scope == services.scope_of(org_a)
    assert done.scope == ""
    assert (waiting.digest, done.digest) == (
        f"legacy-{waiting.pk}",
        f"legacy-{done.pk}",
    )
    assert services.withdraw_out_of_scope(org_a) == 1
    waiting.refresh_from_db()
    assert waiting.status == ExportJob.Status.QUEUED


def test_an_audit_file_is_withdrawn_once_the_view_permission_is_taken(
    login, tree, queued, django_capture_on_commit_callbacks
):
    """Not the scope's flags but a permission (a group, a grant): the kind's
    own check is asked again before the download."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(role=Role.ADMIN, unit=None, is_staff=True)
    staff.is_superuser = False
    staff.save()
    view = Permission.objects.get(codename="view_entry")
    staff.user_permissions.add(view)
    for n in range(3):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=f"guess{n}")
    client = login(staff)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            client,
            reverse("admin:audit_entry_export"),
            django_capture_on_commit_callbacks,
        )
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    url = reverse("exports:download", args=[job.pk])
    assert client.get(url).status_code == 200
    staff.user_permissions.remove(view)
    response = client.get(url)
    assert response.status_code == 404 and "权限" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.WITHDRAWN and not job.file
