"""Issue 14's withdrawn proposal, in a real browser: org staff register a
proposal (the title suggests its category), withdraw it with a reason, and
find it, with the reason, in its history and in the list."""

import datetime as dt

import pytest

from cadres import idcard
from cadres.models import Cadre, Rank, Role, User
from cadres.services import unit_create
from postings.models import Posting, StatusChange
from tests.e2e.pages import PASSWORD, login, pick, submit


@pytest.fixture
def county(transactional_db):
    county = unit_create(name="清河县", kind="region")
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    township = unit_create(name="柳湾镇", kind="township", parent=county)
    User.objects.create_user("zzb", password=PASSWORD, role=Role.ORG_STAFF, unit=county)
    birth = dt.date(1987, 6, 2)
    cadre = Cadre.objects.create(
        name="欧阳撤回",
        id_number=idcard.make("320581", birth, 11, "M"),
        gender="M",
        birth_date=birth,
        unit=organ,
        rank=Rank.DEPUTY_SECTION,
    )
    return {"organ": organ, "township": township, "cadre": cadre}


def test_org_staff_withdraw_a_proposal_and_see_it_in_its_history(
    live_server, new_page, county
):
    base = live_server.url
    page = new_page()
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    login(page, base, "zzb")

    # A proposal from the cadre's page; typing the title suggests its category.
    page.goto(f"{base}{county['cadre'].get_absolute_url()}")
    page.get_by_role("link", name="登记挂职").click()
    page.select_option("#id_kind", value="downward")
    pick(page, "#id_receiving_unit", county["township"].name)
    assert page.input_value("#id_category") == ""  # no silent default
    page.locator("#id_title").press_sequentially("乡镇长助理")
    assert page.input_value("#id_category") == "township_leader"
    start = dt.date.today() + dt.timedelta(days=10)
    page.fill("#id_start_date", start.isoformat())
    submit(page)
    page.wait_for_selector("text=挂职已登记")
    posting = Posting.objects.get(cadre=county["cadre"])
    assert posting.status == "proposed"
    assert posting.category == "township_leader"
    assert page.inner_text("#posting-status") == "拟派"

    # Withdrawing asks for a reason, then says what it does and does it.
    form = page.locator("form[data-action=withdraw]")
    form.locator("button").click()
    page.wait_for_selector("text=撤回须填写原因")
    assert page.inner_text("#posting-status") == "拟派"
    form = page.locator("form[data-action=withdraw]")
    form.locator("input[name=reason]").fill("本人因家庭原因申请不再派出")
    form.locator("button").click()
    page.wait_for_selector("text=已办理“撤回”")
    assert "撤回后该拟派保留在记录中" in asked[-1]
    assert page.inner_text("#posting-status") == "已撤回"
    history = page.inner_text("#status-changes")
    assert "拟派 → 已撤回" in history
    assert "本人因家庭原因申请不再派出" in history
    assert not page.locator("form[data-action]").count()  # nothing left to do

    # Kept, not deleted: in the database and in the list under its status.
    posting.refresh_from_db()
    assert posting.status == "withdrawn"
    assert StatusChange.objects.get(posting=posting).reason == (
        "本人因家庭原因申请不再派出"
    )
    page.goto(f"{base}/postings/?status=withdrawn")
    assert "欧阳撤回" in page.inner_text("main")
