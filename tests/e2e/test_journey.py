"""The foundation journey, in a real browser against a live server."""

import datetime as dt

import openpyxl
import pytest

from cadres import idcard
from cadres.models import Role, User
from cadres.services import unit_create
from postings.models import Posting, Reminder
from postings.tasks import sweep_midterm_reminders
from tests.e2e.pages import PASSWORD, login, logout, nav, pick, submit


@pytest.fixture
def org(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    township = unit_create(
        name="柳湾镇", kind="township", parent=county, distance_km=32
    )
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    staff = User.objects.create_user(
        "zzb",
        password=PASSWORD,
        role=Role.ORG_STAFF,
        unit=county,
        last_name="组织部",
        first_name="小王",
    )
    leader = User.objects.create_user(
        "lw",
        password=PASSWORD,
        role=Role.HOST_LEADER,
        unit=township,
        last_name="柳湾镇",
        first_name="书记",
    )
    return {"township": township, "organ": organ, "staff": staff, "leader": leader}


def test_org_staff_and_host_leader_complete_the_foundation_journey(
    live_server, new_page, org, tmp_path
):
    base = live_server.url
    page = new_page()
    today = dt.date.today()

    # Org staff registers a cadre; a wrong check digit is refused first.
    login(page, base, "zzb")
    nav(page, "干部")
    page.get_by_role("link", name="登记干部").click()
    number = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")
    page.fill("#id_name", "林晓雯")
    page.fill("#id_id_number", number[:17] + ("0" if number[17] != "0" else "1"))
    pick(page, "#id_unit", "清河县财政局")
    page.select_option("#id_rank", label="副科")
    submit(page)
    assert page.locator(".invalid-feedback, .alert-danger").first.is_visible()
    assert "校验位不正确" in page.content()
    assert page.input_value("#id_name") == "林晓雯"  # the form remembers input
    assert page.input_value("#id_unit") == "清河县财政局（清河县）"
    page.fill("#id_id_number", number)
    submit(page)
    page.wait_for_selector("text=已登记干部 林晓雯")
    assert page.inner_text("#id-number") == number  # org staff see the full number

    # ... and posts her to the township, active, mid-term in a few days.
    page.get_by_role("link", name="登记挂职").click()
    page.select_option("#id_kind", label="下派")
    pick(page, "#id_sending_unit", org["organ"].name)
    page.fill("#id_receiving_unit", org["township"].name)  # typed whole, no list
    page.fill("#id_title", "乡镇长助理")
    page.fill("#id_start_date", (today - dt.timedelta(days=170)).isoformat())
    page.fill("#id_planned_end_date", (today + dt.timedelta(days=190)).isoformat())
    submit(page)
    page.wait_for_selector("text=挂职已登记")
    posting = Posting.objects.get(cadre__name="林晓雯")
    assert posting.status == "proposed"  # 拟派 first; arriving is its own step
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-action=activate] button").click()
    page.wait_for_selector("text=已办理“到岗”")
    assert page.inner_text("#posting-status") == "在岗"
    posting.refresh_from_db()
    assert posting.status == "active"
    logout(page)

    # Beat's task runs (directly here; the worker test covers the broker).
    sweep_midterm_reminders()
    assert (
        Reminder.objects.filter(recipient=org["leader"], posting=posting).count() == 1
    )

    # The host leader sees the reminder and files this month's note.
    login(page, base, "lw")
    assert page.inner_text("#unread-count") == "1"
    page.click("[data-testid=notifications-link]")
    assert "林晓雯" in page.inner_text("#reminder-list")
    page.click("#reminder-list button")
    page.wait_for_url(f"{base}/postings/{posting.pk}/")
    page.get_by_role("link", name="填报月小结").click()
    page.fill("#id_month", today.strftime("%Y-%m"))
    page.fill("#id_days_present", "40")
    page.fill("#id_work_done", "走访农户，推进人居环境整治。")
    page.fill("#id_conduct", "遵守纪律，作风扎实。")
    submit(page)
    assert "超过该月" in page.content()  # 40 days in one month is refused
    page.fill("#id_days_present", "18")
    submit(page)
    page.wait_for_selector("text=月小结已提交")
    assert "走访农户" in page.inner_text("#note-table")
    assert page.inner_text("#unread-count") == "0"
    logout(page)

    # Org staff filters the roster and downloads it as Excel.
    login(page, base, "zzb")
    page.goto(f"{base}/postings/?status=active")
    with page.expect_download() as download_info:
        page.click("#export-link")
    path = tmp_path / "roster.xlsx"
    download_info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "干部姓名"
    assert [r[0] for r in rows[1:]] == ["林晓雯"]
    assert rows[1][3] == "柳湾镇"
