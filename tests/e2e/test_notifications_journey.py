"""The notification centre in a real browser (issue 18): the daily sweep
reminds the host leader of a missing monthly note; the badge counts it, the
centre lists it, following it marks it read and opens the note's form; org
staff, escalated to, clear theirs with 全部标为已读."""

import datetime as dt

import pytest

from cadres.models import User
from guazhi.dates import add_months
from notifications.models import Notification
from notifications.services import sweep
from obligations.models import Obligation
from tests.e2e.pages import login, logout


@pytest.fixture
def posting(note_owing_posting):
    sweep(dt.date.today())  # beat's daily run
    return note_owing_posting


def test_the_centre_lists_marks_read_and_leads_to_the_form(
    live_server, new_page, posting
):
    base = live_server.url
    month = add_months(dt.date.today().replace(day=1), -2)
    owed = Obligation.objects.get(kind="monthly_note", posting=posting, period=month)
    leader = User.objects.get(username="lw")
    mine = Notification.objects.filter(recipient=leader, status="sent")
    assert mine.filter(obligation=owed, step="after3").exists()
    page = new_page()
    login(page, base, "lw")
    assert page.inner_text("#unread-count") == str(mine.count())

    page.click("[data-testid=notifications-link]")
    item = page.locator(
        f"#notification-list [data-notification='{mine.get(obligation=owed).pk}']"
    )
    assert "林晓雯" in item.inner_text() and "月小结" in item.inner_text()
    assert "已逾期" in item.inner_text()
    item.get_by_role("button", name="标为已读并办理").click()
    page.wait_for_selector("#id_month")
    assert page.input_value("#id_month") == f"{month:%Y-%m}"
    assert mine.get(obligation=owed).read_at is not None
    assert page.inner_text("#unread-count") == str(mine.count() - 1)
    logout(page)

    # Org staff got the escalation (one week overdue) and clear it at once.
    login(page, base, "zzb")
    assert int(page.inner_text("#unread-count")) >= 1
    page.click("[data-testid=notifications-link]")
    assert "督办" in page.inner_text("#notification-list")
    page.click("[data-testid=read-all]")
    page.wait_for_selector("text=条提醒标为已读")
    assert page.inner_text("#unread-count") == "0"
