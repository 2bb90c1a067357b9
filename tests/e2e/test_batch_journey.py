"""Issue 4's journey: a batch from nomination to placement, then the lifecycle."""

import datetime as dt

import pytest

from cadres import idcard
from cadres.models import Cadre, Rank, Role, User
from cadres.services import unit_create
from postings.models import Batch, Extension, Nomination, Posting
from tests.e2e.pages import PASSWORD, login, nav, pick, submit


def _cadre(name, unit, rank, gender, speciality, seq):
    birth = dt.date(1985, 5, 1 + seq)
    return Cadre.objects.create(
        name=name,
        id_number=idcard.make("320581", birth, seq, gender),
        gender=gender,
        birth_date=birth,
        unit=unit,
        rank=rank,
        speciality=speciality,
        is_reserve=True,
    )


@pytest.fixture
def county(transactional_db):
    county = unit_create(name="清河县", kind="region")
    farm = unit_create(name="清河县农业农村局", kind="organ", parent=county)
    dev = unit_create(name="清河县发改局", kind="organ", parent=county)
    near = unit_create(name="柳湾镇", kind="township", parent=county, distance_km=12)
    far = unit_create(name="石门镇", kind="township", parent=county, distance_km=70)
    User.objects.create_user("zzb", password=PASSWORD, role=Role.ORG_STAFF, unit=county)
    staff = User.objects.get(username="zzb")
    recalled = _cadre("赵立新", dev, Rank.SECTION, "M", "规划", 3)
    today = dt.date.today()
    running = Posting(
        cadre=recalled,
        kind="downward",
        sending_unit=dev,
        receiving_unit=far,
        title="党委副书记",
        start_date=today - dt.timedelta(days=100),
        planned_end_date=today + dt.timedelta(days=265),
        status="active",
        created_by=staff,
    )
    running.set_midterm_date()
    running.save()
    return {
        "farm": farm,
        "dev": dev,
        "near": near,
        "far": far,
        "woman": _cadre("林晓雯", farm, Rank.DEPUTY_SECTION, "F", "农业", 1),
        "man": _cadre("周建国", dev, Rank.SECTION, "M", "经济", 2),
        "running": running,
    }


def test_org_staff_runs_a_batch_from_nomination_to_placement_and_lifecycle(
    live_server, new_page, county
):
    base = live_server.url
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, base, "zzb")

    # A batch.
    nav(page, "批次选派")
    page.get_by_role("link", name="新建批次").click()
    page.fill("#id_name", "2026年第二批下派")
    page.fill("#id_year", "2026")
    page.check("input[name=kinds][value=downward]")
    page.fill("#id_planned_count", "2")
    page.fill("#id_exam_weight", "60")
    submit(page)
    page.wait_for_selector("text=批次已创建")

    # Two nominations, scored and selected.
    for cadre, source in ((county["woman"], "organisation"), (county["man"], "self")):
        pick(page, "#id_cadre", cadre.name)
        page.select_option("#id_source", value=source)
        page.locator("#nomination-form button").click()
        page.wait_for_selector("text=已加入人选")
    for name, exam, interview in (("林晓雯", "88", "90"), ("周建国", "92", "80")):
        row = page.locator(f"#nomination-table tr[data-cadre='{name}']")
        row.locator("input[name=exam_score]").fill(exam)
        row.locator("input[name=interview_score]").fill(interview)
        row.get_by_role("button", name="录入").click()
        page.wait_for_selector(f"text=已录入{name}的成绩")
    # 0.6*88+0.4*90 = 88.80 and 0.6*92+0.4*80 = 87.20: she ranks first.
    assert (
        page.locator("#nomination-table tbody tr").first.get_attribute("data-cadre")
        == "林晓雯"
    )
    for name in ("林晓雯", "周建国"):
        row = page.locator(f"#nomination-table tr[data-cadre='{name}']")
        # Pending: the dropdown shows no decision until one is chosen.
        assert row.locator("select[name=decision]").input_value() == ""
        row.locator("select[name=decision]").select_option("selected")
        row.locator("input[name=reason]").fill("综合成绩优秀，专业对口")
        row.get_by_role("button", name="确定").click()
        page.wait_for_selector(f"text=已记录{name}的结果")

    # Two open posts that suit one of them each.
    for unit, title, category, rank, speciality in (
        (county["near"], "镇长助理", "township_leader", Rank.DEPUTY_SECTION, "农业"),
        (county["far"], "镇长助理", "township_leader", Rank.SECTION, "经济"),
    ):
        page.get_by_role("link", name="添加岗位").click()
        pick(page, "#id_receiving_unit", unit.name)
        page.fill("#id_title", title)
        page.select_option("#id_kind", value="downward")
        page.select_option("#id_category", value=category)
        page.select_option("#id_rank", value=str(int(rank)))
        page.fill("#id_speciality", speciality)
        page.locator("#post-form button").click()
        page.wait_for_selector("text=已添加岗位")

    # The assistant proposes; accepting creates proposed postings.
    page.get_by_role("link", name="配岗建议").click()
    table = page.locator("#placement-table")
    woman_row = table.locator("tr[data-cadre='林晓雯']")
    assert "柳湾镇" in woman_row.locator("select option:checked").inner_text()
    assert "专业对口" in woman_row.inner_text()
    assert (
        "石门镇"
        in table.locator("tr[data-cadre='周建国'] select option:checked").inner_text()
    )
    page.get_by_role("button", name="采纳所选，生成拟派挂职").click()
    page.wait_for_selector("text=已生成2项拟派挂职")
    # Back on the batch page, the placed candidates offer their postings
    # instead of a proposal by hand, and their decisions are fixed.
    table = page.locator("#nomination-table")
    assert table.get_by_role("link", name="手动生成拟派").count() == 0
    assert table.get_by_role("link", name="已生成挂职").count() == 2
    assert table.locator("select[name=decision]").count() == 0
    placed = Posting.objects.get(cadre=county["woman"], batch__isnull=False)
    assert placed.status == "proposed"
    assert placed.receiving_unit == county["near"]

    # Activate her posting, then extend it.
    page.goto(f"{base}{placed.get_absolute_url()}")
    page.locator("form[data-action=activate] button").click()
    page.wait_for_selector("text=已办理“到岗”")
    assert page.inner_text("#posting-status") == "在岗"
    page.get_by_role("link", name="延期").click()
    new_end = placed.planned_end_date + dt.timedelta(days=180)
    page.fill("#id_new_end_date", new_end.isoformat())
    page.fill("#id_reason", "乡村振兴项目尚未完成")
    page.fill("#id_approver", "县委组织部部务会")
    submit(page)
    page.wait_for_selector("text=已延期")
    assert new_end.isoformat() in page.inner_text("#extensions")
    assert Extension.objects.filter(posting=placed).count() == 1

    # End another posting early: a reason is required.
    running = county["running"]
    page.goto(f"{base}{running.get_absolute_url()}")
    form = page.locator("form[data-action=end_early]")
    form.locator("button").click()
    page.wait_for_selector("text=提前结束须填写原因")
    assert page.inner_text("#posting-status") == "在岗"
    page.locator("form[data-action=end_early] input[name=reason]").fill(
        "因工作需要召回原单位"
    )
    page.locator("form[data-action=end_early] button").click()
    page.wait_for_selector("text=已办理“提前结束”")
    assert page.inner_text("#posting-status") == "提前结束"
    assert "因工作需要召回原单位" in page.inner_text("#status-changes")


def test_confirming_a_rejected_row_keeps_it_rejected_and_in_place(
    live_server, new_page, county
):
    """The dropdown shows the recorded decision, so 确定 on a 未选中 row (a
    reason typed, the dropdown untouched) keeps it 未选中; the table keeps its
    order and the page comes back at the row."""
    staff = User.objects.get(username="zzb")
    batch = Batch.objects.create(
        name="2026年第三批下派",
        year=2026,
        unit=county["farm"].parent,
        kinds=["downward"],
        created_by=staff,
    )
    names = [f"候选{seq:02d}" for seq in range(4, 24)]
    for seq, name in enumerate(names, start=4):
        Nomination.objects.create(
            batch=batch,
            cadre=_cadre(name, county["farm"], Rank.SECTION, "M", "农业", seq),
            source=Nomination.Source.SELF,
            decision=Nomination.Decision.PENDING,
        )
    target = names[16]  # well below the fold
    nomination = Nomination.objects.get(batch=batch, cadre__name=target)
    nomination.decision = Nomination.Decision.REJECTED
    nomination.decision_reason = "年龄不符合要求"
    nomination.save()

    base = live_server.url
    page = new_page()
    login(page, base, "zzb")
    page.goto(f"{base}{batch.get_absolute_url()}")
    rows = page.locator("#nomination-table tbody tr")
    order = [rows.nth(i).get_attribute("data-cadre") for i in range(rows.count())]
    assert order == names
    row = page.locator(f"#nomination-table tr[data-cadre='{target}']")
    row.locator("input[name=reason]").fill("复核后维持")
    row.get_by_role("button", name="确定").click()
    page.wait_for_selector(f"text=已记录{target}的结果")

    nomination.refresh_from_db()
    assert nomination.decision == Nomination.Decision.REJECTED
    assert nomination.decision_reason == "复核后维持"
    assert row.locator(".badge.text-bg-secondary").inner_text() == "未选中"
    assert row.locator("select[name=decision]").input_value() == "rejected"
    assert [
        rows.nth(i).get_attribute("data-cadre") for i in range(rows.count())
    ] == order
    # Back at the row, not at the top of the page.
    assert page.url.endswith(f"#nomination-{nomination.pk}")
    # (Waited for: the browser scrolls to the fragment as the page settles.)
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        arg=row.element_handle(),
        timeout=5_000,
    )
