"""A large export in a real browser: org staff export the posting list as
filtered, the export goes to the background (EXPORT_BACKGROUND_ROWS set low),
the page shows its progress as the job advances, then a download link, and the
file downloaded holds the rows."""

import datetime as dt

import openpyxl
import pytest
from constance import config

from cadres.models import Role, User
from cadres.services import unit_create
from exports import tasks
from exports.models import ExportJob
from postings.models import Posting
from tests.e2e.pages import PASSWORD, login, nav
from tests.factories import CadreFactory, PostingFactory

ROWS = 13


@pytest.fixture
def org(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    township = unit_create(name="清河一镇", kind="township", parent=county)
    User.objects.create_user(
        "zzb", password=PASSWORD, role=Role.ORG_STAFF, unit=county, last_name="组织部"
    )
    today = dt.date.today()
    for n in range(ROWS):
        PostingFactory(
            cadre=CadreFactory(name=f"清河{n:02d}号", unit=organ),
            sending_unit=organ,
            receiving_unit=township,
            start_date=today - dt.timedelta(days=30),
            planned_end_date=today + dt.timedelta(days=300),
            status=Posting.Status.ACTIVE,
        )


def test_a_large_export_shows_its_progress_and_downloads(
    live_server, new_page, org, monkeypatch, tmp_path
):
    config.EXPORT_BACKGROUND_ROWS = 10  # the admin's setting, lowered
    queued = []
    # No worker here: the job waits, and the test moves it on.
    monkeypatch.setattr(tasks.run_export, "delay", queued.append)
    base = live_server.url
    page = new_page()
    login(page, base, "zzb")
    nav(page, "挂职")
    page.click("#export-link")
    page.wait_for_url("**/exports/*/")
    job = ExportJob.objects.get()
    assert queued == [job.pk]
    assert page.locator("#export-status").inner_text() == "排队中"
    bar = page.locator("#export-progress .progress-bar")
    assert bar.inner_text() == "0%"

    # Half written: the page, polling, shows it.
    ExportJob.objects.filter(pk=job.pk).update(status="running", done=6)
    page.locator("#export-progress .progress-bar", has_text="46%").wait_for()
    assert page.locator("#export-status").inner_text() == "生成中"

    tasks.run_export(job.pk)
    download = page.locator("#export-download")
    download.wait_for()
    assert page.locator("#export-status").inner_text() == "已完成"
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.startswith("挂职名册-")
    saved = tmp_path / "export.xlsx"
    info.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    assert sheet.max_row == ROWS + 1
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {f"清河{n:02d}号" for n in range(ROWS)}
