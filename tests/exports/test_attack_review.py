"""A stranger's attack on the background exports (df321b3, 9550b15): another
user's job, rows beyond the scope through the background path, the dedupe,
malformed parameters, half-written states, and the background files against
the synchronous ones. Each pins what held or what was fixed after it."""

import os

import pytest
from constance.test import override_config
from django.urls import reverse

from audit import services as audit_services
from audit.models import Entry
from cadres.models import Role, Unit
from cadres.services import unit_move
from exports import services, tasks
from exports.models import ExportJob
from tests.exports.every_export import (
    download,
    overdue_obligation,
    sheet_values,
    start_job,
    workbook,
)
from tests.factories import PostingFactory, UserFactory

OVERDUE = "obligations:overdue_export"
AUDIT = "admin:audit_entry_export"


@pytest.fixture
def overdue(world, tree):
    """Three overdue obligations in county A, two in county B."""
    overdue_obligation(world.a.posting)
    overdue_obligation(world.b.posting)
    overdue_obligation(
        PostingFactory(sending_unit=tree.organ_b, receiving_unit=tree.township_b1)
    )
    for _ in range(2):
        overdue_obligation(
            PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
        )


@pytest.fixture
def org_a2(tree):
    """A second org staff member of county A: same role, same unit."""
    return UserFactory(username="org_a2", role=Role.ORG_STAFF, unit=tree.county_a)


@pytest.fixture
def done_job(login, org_a, overdue, queued, django_capture_on_commit_callbacks):
    """org_a's finished overdue export, with a filter that names it."""
    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(
            client,
            reverse(OVERDUE),
            django_capture_on_commit_callbacks,
            kind="monthly_note",
        )
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    job.refresh_from_db()
    assert job.file
    return client, job


# --- Another user's job: not got, seen, polled, downloaded or learnt of -------


@pytest.mark.parametrize("who", ["org_b", "org_a2", "admin", "org_city"])
def test_another_users_job_is_a_404_everywhere_and_its_file_survives(
    request, login, done_job, who
):
    owner_client, job = done_job
    other = request.getfixturevalue(who)
    client = login(other)
    urls = [
        reverse("exports:status", args=[job.pk]),
        reverse("exports:download", args=[job.pk]),
    ]
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, (who, url)
            body = response.content.decode()
            assert job.filename not in body and "monthly_note" not in body
    listing = client.get(reverse("exports:list")).content.decode()
    assert f"/exports/{job.pk}/" not in listing and "monthly_note" not in listing
    # Their GETs changed nothing of the owner's job.
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.file
    assert owner_client.get(urls[1]).status_code == 200


def test_another_users_changed_scope_withdraws_only_their_own_files(
    login, done_job, org_b, tree
):
    """A GET needs no CSRF token: whoever's scope changed, only their own
    files are withdrawn, never the owner's."""
    owner_client, job = done_job
    org_b.unit = tree.city
    org_b.save()
    client = login(org_b)
    client.get(reverse("exports:list"))
    client.get(reverse("exports:download", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.file


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_the_same_request_of_a_colleague_in_the_same_unit_is_their_own_job(
    login, org_a, org_a2, overdue, queued, django_capture_on_commit_callbacks
):
    """The dedupe never joins another user's job, even with the same role,
    unit and filters (and so the same scope fingerprint's inputs)."""
    url = reverse(OVERDUE)
    mine = start_job(login(org_a), url, django_capture_on_commit_callbacks, kind="x")
    theirs = start_job(login(org_a2), url, django_capture_on_commit_callbacks, kind="x")
    assert mine != theirs and theirs.user == org_a2
    assert queued == [mine.pk, theirs.pk]
    status = login(org_a2).get(reverse("exports:status", args=[mine.pk]))
    assert status.status_code == 404


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_a_request_under_a_changed_scope_does_not_join_the_old_scopes_job(
    login, org_a, tree, overdue, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    first = start_job(client, reverse(OVERDUE), django_capture_on_commit_callbacks)
    org_a.unit = tree.city
    org_a.save()
    again = start_job(client, reverse(OVERDUE), django_capture_on_commit_callbacks)
    assert again != first
    # The old one, when it runs, writes nothing under the new scope.
    assert tasks.run_export(first.pk) == ExportJob.Status.WITHDRAWN


@pytest.mark.parametrize("who", ["host_a", "home_a", "cadre_user"])
def test_roles_without_the_export_queue_nothing(
    request, login, world, overdue, queued, who
):
    client = login(request.getfixturevalue(who))
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        response = client.get(reverse(OVERDUE))
    assert response.status_code in (403, 404)
    assert not ExportJob.objects.exists() and queued == []


# --- Rows beyond the scope through crafted parameters -------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"unit": "county_b"},
        {"region": "county_b"},
        {"region": "city"},
        {"unit": "township_b1", "region": "county_b"},
        {"unit": "abc", "batch": "x", "due_from": "nonsense"},
        {"unit": "9" * 30},
        {"owed_by": "admin", "kind": "<script>"},
    ],
)
def test_crafted_filters_give_the_background_file_no_row_beyond_the_scope(
    login, org_a, tree, overdue, queued, django_capture_on_commit_callbacks, query
):
    query = {
        name: str(getattr(tree, value).pk) if hasattr(tree, value) else value
        for name, value in query.items()
    }
    client = login(org_a)
    url = reverse(OVERDUE)
    at_once = sheet_values(workbook(client.get(url, query)))
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        job = start_job(client, url, django_capture_on_commit_callbacks, **query)
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    book = sheet_values(download(client, job))
    assert book == at_once
    units = {row[3] for row in book["逾期明细"][1:]}
    assert units <= {tree.township_a1.name}
    assert "乙" not in repr(book)


def test_the_job_list_escapes_the_filters_it_shows(
    login, org_a, overdue, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        start_job(
            client,
            reverse(OVERDUE),
            django_capture_on_commit_callbacks,
            kind='<img src=x onerror="alert(1)">',
        )
    page = client.get(reverse("exports:list")).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


# --- Malformed parameters ------------------------------------------------------


@pytest.mark.parametrize("background", [-1, 100000])
def test_a_month_at_the_calendars_end_is_no_500_on_the_overdue_export(
    login, org_a, overdue, queued, background
):
    client = login(org_a)
    client.raise_request_exception = False
    with override_config(EXPORT_BACKGROUND_ROWS=background):
        response = client.get(reverse(OVERDUE), {"due_month": "9999-12"})
    assert response.status_code != 500
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"at__year": "9999"},
        {"at__year": "9999", "at__month": "12"},
        {"at__year": "9999", "at__month": "12", "at__day": "31"},
    ],
)
def test_the_audit_export_says_a_date_beyond_the_calendar_is_invalid(
    login, admin, query
):
    client = login(admin)
    client.raise_request_exception = False
    response = client.get(reverse(AUDIT), query)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:audit_entry_changelist")


@pytest.mark.parametrize(
    "query",
    [
        {"user__id__exact": "abc"},
        {"at__gte": "not-a-date"},
        {"at__year": "2026", "at__month": "13"},
    ],
)
@pytest.mark.parametrize("background", [-1, 100000])
def test_the_audit_export_refuses_bad_filters_with_a_message_and_no_job(
    login, admin, queued, query, background
):
    client = login(admin)
    with override_config(EXPORT_BACKGROUND_ROWS=background):
        response = client.get(reverse(AUDIT), query)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:audit_entry_changelist")
    assert not ExportJob.objects.exists() and queued == []


@pytest.mark.parametrize(
    "query", [{"user__password__startswith": "x"}, {"_to_field": "password"}]
)
def test_the_audit_export_refuses_lookups_the_admin_forbids(login, admin, query):
    client = login(admin)
    client.raise_request_exception = False
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        response = client.get(reverse(AUDIT), query)
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_too_many_parameters_are_refused_before_any_job(login, org_a, overdue, queued):
    client = login(org_a)
    client.raise_request_exception = False
    query = "&".join(f"p{n}=1" for n in range(1500))
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        response = client.get(f"{reverse(OVERDUE)}?{query}")
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


# --- The dedupe ------------------------------------------------------------------


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_the_same_filters_spelt_differently_join_the_running_job(
    login, org_a, overdue, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse(OVERDUE)
    first = start_job(client, url, django_capture_on_commit_callbacks)
    for junk in ({"unit": ""}, {"x": "1"}, {"x": "2"}):
        again = start_job(client, url, django_capture_on_commit_callbacks, **junk)
        assert again == first, junk
    assert queued == [first.pk]


# --- Half states ---------------------------------------------------------------


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_a_job_whose_export_cannot_be_recorded_is_not_left_queued(
    login, org_a, overdue, queued, monkeypatch, django_capture_on_commit_callbacks
):
    import exports.views

    def fail(*args, **kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(exports.views.audit, "record", fail)
    client = login(org_a)
    client.raise_request_exception = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse(OVERDUE))
    assert response.status_code == 500
    assert not ExportJob.objects.exists()
    assert queued == []


# --- Background files against the synchronous ones ----------------------------


def test_the_background_audit_file_ends_before_its_own_export_record(
    login, admin, queued, django_capture_on_commit_callbacks
):
    for n in range(3):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=f"guess{n}")
    client = login(admin)
    url = reverse(AUDIT)
    before = Entry.objects.count()
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, url, django_capture_on_commit_callbacks)
    record = Entry.objects.get(action=Entry.Action.EXPORT, details__job=job.pk)
    assert record.rows == before
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    rows = sheet_values(download(client, job))["审计日志"][1:]
    assert len(rows) == before == record.rows


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"kind": "monthly_note"},
        {"unit": "township_a1"},
        {"region": "county_a", "owed_by": "host_leader"},
        {"mine": "on"},
        {"status": "overdue"},
    ],
)
def test_the_background_overdue_file_has_the_synchronous_rows(
    login, org_a, tree, overdue, queued, django_capture_on_commit_callbacks, query
):
    query = {
        name: str(getattr(tree, value).pk) if hasattr(tree, value) else value
        for name, value in query.items()
    }
    client = login(org_a)
    url = reverse(OVERDUE)
    at_once = sheet_values(workbook(client.get(url, query)))
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        job = start_job(client, url, django_capture_on_commit_callbacks, **query)
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once


# --- Role, unit, flags or permission changed between queue, run and download --


@pytest.mark.parametrize(
    "change", ["role_host", "unit_city", "deactivated", "cadre_role", "unit_moved"]
)
def test_a_change_between_queue_and_download_serves_no_file(
    done_job, org_a, tree, change
):
    client, job = done_job
    if change == "role_host":
        org_a.role = Role.HOST_LEADER
        org_a.unit = tree.township_a1
        org_a.save()
    elif change == "unit_city":
        org_a.unit = tree.city
        org_a.save()
    elif change == "deactivated":
        org_a.is_active = False
        org_a.save()
    elif change == "cadre_role":
        org_a.role = Role.CADRE
        org_a.unit = None
        org_a.cadre = PostingFactory().cadre
        org_a.save()
    else:  # county A moved under county B: its subtree's paths change
        unit_move(unit=Unit.objects.get(pk=tree.county_a.pk), parent=tree.county_b)
        org_a.refresh_from_db()
        assert services.scope_of(org_a) != job.scope
    client.raise_request_exception = False
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code != 200
    assert not response.get("Content-Disposition")


def test_admin_demoted_from_staff_between_queue_and_run_gets_no_audit_file(
    login, admin, queued, django_capture_on_commit_callbacks
):
    for n in range(3):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=f"guess{n}")
    client = login(admin)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, reverse(AUDIT), django_capture_on_commit_callbacks)
    admin.is_staff = False
    admin.save(update_fields=["is_staff"])
    assert tasks.run_export(job.pk) in (
        ExportJob.Status.WITHDRAWN,
        ExportJob.Status.FAILED,
    )
    job.refresh_from_db()
    assert not job.file


def test_a_withdrawal_that_cannot_be_saved_keeps_the_job_and_its_file_together(
    done_job, org_a, tree, monkeypatch
):
    from django.db import DatabaseError

    client, job = done_job
    org_a.unit = tree.city
    org_a.save()
    real = ExportJob.save

    def save(self, *args, **kwargs):
        if self.status == ExportJob.Status.WITHDRAWN:
            raise DatabaseError("could not write")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExportJob, "save", save)
    client.raise_request_exception = False
    assert client.get(reverse("exports:list")).status_code == 500
    monkeypatch.undo()
    org_a.unit = tree.county_a  # the change undone
    org_a.save()
    job.refresh_from_db()
    if job.status == ExportJob.Status.DONE:  # the row still offers the file
        assert os.path.exists(job.file.path)
        response = client.get(reverse("exports:download", args=[job.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"region": "county_b"},
        {"sending_unit": "organ_b"},
        {"region": "city", "sending_unit": "county_b"},
        {"ending_within": "99999999", "batch": "abc", "sort": "nonsense"},
    ],
)
@pytest.mark.parametrize("export", ["postings:export", "cadres:export"])
def test_crafted_filters_give_the_background_roster_and_cadre_list_nothing_of_b(
    login, org_a, world, tree, queued, django_capture_on_commit_callbacks, export, query
):
    from tests.conftest import CADRE_B_NAME

    query = {
        name: str(getattr(tree, value).pk) if hasattr(tree, value) else value
        for name, value in query.items()
    }
    client = login(org_a)
    url = reverse(export)
    at_once = sheet_values(workbook(client.get(url, query)))
    with override_config(EXPORT_BACKGROUND_ROWS=-1):
        job = start_job(client, url, django_capture_on_commit_callbacks, **query)
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    book = sheet_values(download(client, job))
    assert book == at_once
    assert CADRE_B_NAME not in repr(book)


@pytest.mark.parametrize(
    "query",
    [
        {"action__exact": "login_failed", "o": "3"},
        {"action__exact": "login_failed", "o": "-3.1", "p": "2", "all": ""},
        {"q": "guess", "o": "99"},
    ],
)
def test_the_background_audit_file_has_the_synchronous_rows_in_their_order(
    login, admin, queued, django_capture_on_commit_callbacks, query
):
    for name in ("guess2", "guess0", "guess1"):
        audit_services.record(None, Entry.Action.LOGIN_FAILED, username=name)
    client = login(admin)
    url = reverse(AUDIT)
    at_once = sheet_values(workbook(client.get(url, query)))
    assert len(at_once["审计日志"]) == 1 + 3
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, url, django_capture_on_commit_callbacks, **query)
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once


# --- Fixed after the review: the pages, the dedupe's races, half-written files --


def test_the_audit_list_refuses_a_date_beyond_the_calendar_with_a_message(login, admin):
    """The admin's list itself: ?at__year=9999 was a 500 there too."""
    client = login(admin)
    client.raise_request_exception = False
    url = reverse("admin:audit_entry_changelist")
    for query in (
        {"at__year": "9999"},
        {"at__year": "9999", "at__month": "12"},
        {"at__year": "9999", "at__month": "12", "at__day": "31"},
    ):
        response = client.get(url, query)
        assert response.status_code == 302, query
        assert response["Location"] == f"{url}?e=1"
    page = client.get(f"{url}?e=1")
    assert page.status_code == 200
    assert "筛选条件无效" in page.content.decode()


def test_a_month_at_the_calendars_end_is_an_error_on_the_overdue_list(
    login, org_a, overdue
):
    """The list shows why and lists without the month; the export refuses it
    with a message and goes back to the list, which says the same."""
    client = login(org_a)
    client.raise_request_exception = False
    url = reverse("obligations:list")
    page = client.get(url, {"due_month": "9999-12"})
    assert page.status_code == 200
    assert "月份须在2000-01至2099-12之间" in page.content.decode()
    response = client.get(reverse(OVERDUE), {"due_month": "9999-12"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?due_month=9999-12"
    assert "应完成月份无效，未导出" in client.get(response["Location"]).content.decode()


@override_config(EXPORT_BACKGROUND_ROWS=-1)
def test_the_roster_dedupe_ignores_the_page_but_not_the_sort(
    login, org_a, world, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("postings:export")
    first = start_job(client, url, django_capture_on_commit_callbacks)
    for junk in ({"page": "3"}, {"q": "  "}, {"sort": ""}, {"f": ""}):
        assert (
            start_job(client, url, django_capture_on_commit_callbacks, **junk) == first
        )
    other = start_job(client, url, django_capture_on_commit_callbacks, sort="cadre")
    assert other != first
    assert queued == [first.pk, other.pk]


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_a_job_running_for_hours_does_not_hold_back_the_same_request(
    login, org_a, overdue, queued, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    client = login(org_a)
    url = reverse(OVERDUE)
    stuck = start_job(client, url, django_capture_on_commit_callbacks)
    ExportJob.objects.filter(pk=stuck.pk).update(
        status=ExportJob.Status.RUNNING,
        created_at=timezone.now() - dt.timedelta(hours=2),
    )
    again = start_job(client, url, django_capture_on_commit_callbacks)
    assert again != stuck and queued == [stuck.pk, again.pk]
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.FAILED and stuck.error
    # One running for minutes still holds it back.
    assert start_job(client, url, django_capture_on_commit_callbacks) == again


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_a_competing_job_that_finished_meanwhile_is_the_one_returned(
    login, org_a, overdue, queued, monkeypatch, django_capture_on_commit_callbacks
):
    """The insert failed on the competitor's job, which then finished before
    the lookup that looks for a running one."""
    client = login(org_a)
    first = start_job(client, reverse(OVERDUE), django_capture_on_commit_callbacks)
    monkeypatch.setattr(services, "_running", lambda **kwargs: None)
    job, new = services.export_job_queue(
        user=org_a, kind="overdue", parameters={}, total=5
    )
    assert (job, new) == (first, False)


def test_a_finished_file_whose_job_cannot_be_saved_is_removed(
    login, org_a, overdue, queued, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import DatabaseError

    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, reverse(OVERDUE), django_capture_on_commit_callbacks)
    real = ExportJob.save

    def save(self, *args, **kwargs):
        if self.status == ExportJob.Status.DONE:
            raise DatabaseError("could not write")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExportJob, "save", save)
    with pytest.raises(DatabaseError):
        tasks.run_export(job.pk)
    job.refresh_from_db()
    assert not job.file
    assert not job.file.storage.exists(f"exports/{job.pk}.xlsx")
