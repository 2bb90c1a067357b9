"""Obligations in a real browser (issue 17): the host leader's home page shows
a missing monthly note, the leader files it from there, the item disappears,
and the compliance page shows the month filed on time or late."""

import datetime as dt

import pytest

from guazhi.dates import add_months
from obligations.models import Obligation
from records.models import MonthlyNote
from tests.e2e.pages import login, submit


@pytest.fixture
def posting(note_owing_posting):
    return note_owing_posting


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
