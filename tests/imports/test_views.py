"""Upload → preview → commit through the pages; who may import."""

import io

import pytest
from constance.test import override_config
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cadres.models import Cadre
from imports import tasks
from imports.models import ImportJob
from tests.imports.files import cadre_row, id_for, xlsx


def upload(client, data: bytes, kind="cadres", name="干部.xlsx"):
    return client.post(
        reverse("imports:index"),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
    )


@pytest.mark.django_db
def test_org_staff_upload_preview_and_commit(login, org_a, tree):
    client = login(org_a)
    response = upload(client, xlsx([cadre_row(id_for(1))]))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "新增 1" in page and 'id="commit"' in page
    assert Cadre.objects.count() == 0
    done = client.post(reverse("imports:commit", args=[job.pk]))
    assert done["Location"] == reverse("imports:status", args=[job.pk])
    assert Cadre.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.result["created"] == 1
    assert bytes(job.data) == b""  # the personal data goes with the commit
    assert "已导入" in client.get(done["Location"]).content.decode()


@pytest.mark.django_db
def test_errors_are_listed_and_the_error_rows_download_marks_the_cells(
    login, org_a, tree
):
    client = login(org_a)
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(2), 职级="大领导")])
    upload(client, data)
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:preview", args=[job.pk])).content.decode()
    assert "第3行" in page and "不是可选的职级" in page
    assert 'id="commit"' not in page
    response = client.get(reverse("imports:errors", args=[job.pk]))
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明"
    assert len(rows) == 2  # the header and the one bad row, the good one left out
    assert rows[1][0] == "张伟" and "职级" in rows[1][-1]
    rank_at = list(rows[0]).index("职级")
    marked = ws.cell(row=2, column=rank_at + 1)
    assert marked.fill.fgColor.rgb.endswith("FFC7CE")
    client.post(reverse("imports:commit", args=[job.pk]))
    assert Cadre.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_unit_is_mapped_on_the_preview_page(login, org_a, tree):
    client = login(org_a)
    upload(client, xlsx([cadre_row(id_for(n), unit="县财政") for n in (1, 2)]))
    job = ImportJob.objects.get()
    url = reverse("imports:preview", args=[job.pk])
    assert 'id="mapping"' in client.get(url).content.decode()
    client.post(url, {"unit_0": "甲县财政局"})
    page = client.get(url).content.decode()
    assert 'id="errors"' not in page and "新增 2" in page


@pytest.mark.django_db
@override_config(IMPORT_ASYNC_ROWS=10)
def test_a_large_file_commits_in_the_task(
    login, org_a, tree, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.commit_import, "delay", queued.append)
    client = login(org_a)
    upload(client, xlsx([cadre_row(id_for(n)) for n in range(12)]))
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:commit", args=[job.pk]))
    assert queued == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and Cadre.objects.count() == 0
    progress = client.get(
        reverse("imports:status", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    tasks.commit_import(job.pk)
    assert Cadre.objects.count() == 12
    finished = client.get(
        reverse("imports:status", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert finished["HX-Refresh"] == "true"
    tasks.commit_import(job.pk)  # delivered twice: written once
    assert Cadre.objects.count() == 12


@pytest.mark.django_db
def test_host_leaders_may_not_import_and_uploads_are_their_uploaders_alone(
    login, org_a, org_b, host_a, tree
):
    assert login(host_a).get(reverse("imports:index")).status_code == 403
    upload(login(org_a), xlsx([cadre_row(id_for(1))]))
    job = ImportJob.objects.get()
    other = login(org_b)
    for name in ("imports:preview", "imports:status", "imports:errors"):
        assert other.get(reverse(name, args=[job.pk])).status_code == 404
    assert other.post(reverse("imports:commit", args=[job.pk])).status_code == 404
    assert Cadre.objects.count() == 0


@pytest.mark.django_db
def test_the_template_has_the_headers_and_a_note_row(login, org_a):
    response = login(org_a).get(reverse("imports:template") + "?kind=postings")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers, notes = list(ws.iter_rows(values_only=True))[:2]
    assert headers[:3] == ("身份证号", "姓名", "挂职类型")
    assert all(n.startswith("说明：") for n in notes)
    assert "下派" in notes[2]


@pytest.mark.django_db
def test_the_preview_page_reads_the_same_number_of_queries_for_5_and_50_rows(
    login, org_a, tree
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(org_a)
    counts = []
    for rows in (5, 50):
        upload(client, xlsx([cadre_row(id_for(n)) for n in range(rows)]))
        url = reverse("imports:preview", args=[ImportJob.objects.first().pk])
        client.get(url)  # warm: the settings
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
