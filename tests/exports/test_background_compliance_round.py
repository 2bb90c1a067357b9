"""Background exports, continued: the monthly-note compliance matrix and a
round's results go to the background above EXPORT_BACKGROUND_ROWS as the
roster does, their files holding the rows the page's own file holds; the
round's job asks again whether the round is the requester's to see."""

import pytest
from constance.test import override_config
from django.urls import reverse
from django.utils import timezone

from assessment.models import Round
from audit.models import Entry
from exports import tasks
from exports.models import ExportJob
from tests.assessment.factories import make_round
from tests.exports.every_export import (
    download,
    overdue_obligation,
    sheet_values,
    start_job,
    workbook,
)
from tests.factories import PostingFactory


@pytest.fixture
def county_a_postings(world, tree):
    """Cadre A's posting and two more in county A (one with a missed note),
    cadre B's in county B."""
    extra = [
        PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
        for _ in range(2)
    ]
    overdue_obligation(world.a.posting)
    overdue_obligation(world.b.posting)
    return [world.a.posting, *extra]


def _fills(book) -> list:
    """Each cell's fill colour, sheet by sheet (the matrix's states)."""
    return [
        [cell.fill.fgColor.rgb for cell in row]
        for ws in book.worksheets
        for row in ws.iter_rows()
    ]


# --- The monthly-note compliance matrix ---------------------------------------


def test_a_large_compliance_export_writes_the_pages_matrix_in_the_background(
    login, org_a, county_a_postings, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("obligations:note_compliance_export")
    direct = workbook(client.get(url, {"unit": ""}))
    at_once = sheet_values(direct)
    assert len(at_once["月小结填报"]) == 1 + 3  # county A's three, not B's
    assert any("缺报" in row for row in at_once["月小结填报"])
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, url, django_capture_on_commit_callbacks, unit="")
    assert (job.kind, job.total, queued) == ("compliance", 3, [job.pk])
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    job.refresh_from_db()
    assert job.filename.startswith("月小结填报情况-")
    background = download(client, job)
    assert sheet_values(background) == at_once  # both sheets, the same rows
    missed = [c for row in direct["月小结填报"].iter_rows() for c in row]
    missed = [c for c in missed if c.value == "缺报"]
    assert missed and all(c.fill.fgColor.rgb.endswith("FFC7CE") for c in missed)
    assert _fills(background) == _fills(direct)  # the states in their colours
    recorded = Entry.objects.filter(
        action=Entry.Action.EXPORT, view="obligations:note_compliance_export"
    )
    # once at once, once when queued; the job itself records nothing
    assert [e.details.get("job") for e in recorded.order_by("pk")] == [None, job.pk]


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_the_compliance_jobs_digest_reads_only_what_decides_the_rows(
    login, org_a, county_a_postings, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("obligations:note_compliance_export")
    first = start_job(client, url, django_capture_on_commit_callbacks, unit="")
    again = start_job(client, url, django_capture_on_commit_callbacks, page="3")
    assert again == first and ExportJob.objects.count() == 1
    this_month = f"{timezone.localdate():%Y-%m}"  # one month later than shown
    other = start_job(
        client, url, django_capture_on_commit_callbacks, end=this_month, unit=""
    )
    assert other != first and ExportJob.objects.count() == 2


def test_a_small_compliance_export_comes_directly(
    login, org_a, county_a_postings, queued
):
    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=3):  # three rows: not above
        response = client.get(reverse("obligations:note_compliance_export"))
    assert len(sheet_values(workbook(response))["月小结填报"]) == 1 + 3
    assert not ExportJob.objects.exists() and queued == []


# --- A round's results --------------------------------------------------------


@pytest.fixture
def round_a(org_a, county_a_postings):
    return make_round(org_a, county_a_postings)


def test_a_large_round_export_writes_the_pages_ranking_in_the_background(
    login, org_a, round_a, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("assessment:round_export", args=[round_a.pk])
    at_once = sheet_values(workbook(client.get(url)))
    assert len(at_once["排名"]) == 1 + 3
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        # a "round" in the query is not the round exported: the path's is
        job = start_job(client, url, django_capture_on_commit_callbacks, round="999")
    assert (job.kind, job.total, queued) == ("round", 3, [job.pk])
    assert job.parameters == {"round": [str(round_a.pk)]}
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once  # every sheet, same rows
    recorded = Entry.objects.filter(
        action=Entry.Action.EXPORT, view="assessment:round_export"
    ).order_by("pk")
    assert [e.details.get("job") for e in recorded] == [None, job.pk]
    assert recorded.last().details["path"] == {"round": round_a.pk}


def test_a_round_export_of_a_cohort_counts_and_writes_that_cohort(
    login, org_a, round_a, queued, django_capture_on_commit_callbacks
):
    kind = round_a.assessments.first().posting.kind
    n = round_a.assessments.filter(posting__kind=kind).count()
    client = login(org_a)
    url = reverse("assessment:round_export", args=[round_a.pk])
    at_once = sheet_values(workbook(client.get(url, {"cohort": f"kind:{kind}"})))
    assert len(at_once["排名"]) == 1 + n
    with override_config(EXPORT_BACKGROUND_ROWS=n - 1):
        job = start_job(
            client, url, django_capture_on_commit_callbacks, cohort=f"kind:{kind}"
        )
    assert job.total == n
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    assert sheet_values(download(client, job)) == at_once


def test_the_round_job_refuses_a_round_out_of_scope_when_it_runs(
    login, org_a, round_a, tree, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("assessment:round_export", args=[round_a.pk])
    with override_config(EXPORT_BACKGROUND_ROWS=2):
        job = start_job(client, url, django_capture_on_commit_callbacks)
    # The round handed to the city while the job waits: county A's staff no
    # longer see it (their own scope unchanged), so nothing is written.
    Round.objects.filter(pk=round_a.pk).update(unit=tree.city)
    assert client.get(url).status_code == 404  # as the page says
    assert tasks.run_export(job.pk) == ExportJob.Status.FAILED
    job.refresh_from_db()
    assert "数据范围" in job.error and not job.file


@override_config(EXPORT_BACKGROUND_ROWS=2)
def test_the_round_jobs_digest_is_the_round_and_its_cohort(
    login, org_a, round_a, county_a_postings, queued, django_capture_on_commit_callbacks
):
    client = login(org_a)
    url = reverse("assessment:round_export", args=[round_a.pk])
    first = start_job(client, url, django_capture_on_commit_callbacks, sort="score")
    again = start_job(client, url, django_capture_on_commit_callbacks, cohort="bogus")
    assert again == first  # the export has no sort; an unknown cohort is none
    other_round = make_round(org_a, county_a_postings, name="另一轮")
    other = start_job(
        client,
        reverse("assessment:round_export", args=[other_round.pk]),
        django_capture_on_commit_callbacks,
    )
    assert other != first and ExportJob.objects.count() == 2


def test_a_small_round_export_comes_directly(login, org_a, round_a, queued):
    client = login(org_a)
    with override_config(EXPORT_BACKGROUND_ROWS=3):
        response = client.get(reverse("assessment:round_export", args=[round_a.pk]))
    assert len(sheet_values(workbook(response))["排名"]) == 1 + 3
    assert not ExportJob.objects.exists() and queued == []
