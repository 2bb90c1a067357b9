"""Obligations in a real browser (issue 17): the host leader's home page shows
a missing monthly note, the leader files it from there, the item disappears,
and the compliance page shows the month filed on time or late."""

import datetime as dt

import pytest

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from guazhi.dates import add_months
from obligations.models import Obligation
from obligations.services import catch_up
from postings.models import Posting
from records.models import MonthlyNote
from tests.e2e.pages import PASSWORD, login, submit


@pytest.fixture
def posting(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    township = unit_create(name="柳湾镇", kind="township", parent=county)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    cadre = Cadre.objects.create(
        name="林晓雯",
        id_number=idcard.make("320581", dt.date(1988, 3, 14), 37, "F"),
        gender="F",
        birth_date=dt.date(1988, 3, 14),
        unit=organ,
        rank=2,
    )
    for username, role, unit in (
        ("zzb", Role.ORG_STAFF, county),
        ("lw", Role.HOST_LEADER, township),
    ):
        User.objects.create_user(
            username, password=PASSWORD, role=role, unit=unit, last_name=username
        )
    today = dt.date.today()
    # Begun in the month before last: that month's note is overdue (due on
    # day 10 of last month).
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=organ,
        receiving_unit=township,
        title="乡镇长助理",
        start_date=add_months(today.replace(day=1), -2),
        planned_end_date=today + dt.timedelta(days=300),
        status=Posting.Status.ACTIVE,
        created_by=User.objects.get(username="zzb"),
    )
    posting.set_midterm_date()
    posting.save()
    catch_up(today)  # the posting began before: the first run catches up
    return posting


def test_the_host_leader_files_a_missing_note_from_the_home_page(
    live_server, new_page, posting
):
    base = live_server.url
    month = add_months(dt.date.today().replace(day=1), -2)
    owed = Obligation.objects.get(
        kind="monthly_note", posting=posting, period=month, status="open"
    )
    assert owed.overdue()
    page = new_page()
    login(page, base, "lw")

    # The home page leads with the missing note, overdue, one click from its form.
    item = page.locator(f"#owed [data-obligation='{owed.pk}']")
    assert item.is_visible()
    assert "月小结" in item.inner_text() and "逾期" in item.inner_text()
    item.get_by_role("link", name="去办理").click()
    assert page.input_value("#id_month") == f"{month:%Y-%m}"
    page.fill("#id_days_present", "20")
    page.fill("#id_work_done", "牵头完成人居环境整治验收。")
    page.fill("#id_conduct", "遵守纪律，作风扎实。")
    submit(page)
    page.wait_for_selector("text=月小结已提交")
    assert MonthlyNote.objects.filter(posting=posting, month=month).exists()

    # Back home: the item is gone.
    page.goto(f"{base}/")
    assert page.locator(f"#owed [data-obligation='{owed.pk}']").count() == 0
    owed.refresh_from_db()
    assert owed.status == Obligation.Status.DONE

    # The compliance page shows the month filed, late (it was overdue).
    page.get_by_role("link", name="月小结填报情况").click()
    row = page.locator("#note-matrix tr", has_text="林晓雯")
    cell = row.locator("td[data-state]").nth(-2)  # the month before last
    assert cell.get_attribute("data-state") == ("on_time" if owed.on_time else "late")
    assert cell.inner_text() == ("按时" if owed.on_time else "逾期补报")
