"""考核 in a real browser: scheme, round, anonymous ballots, evaluations, results.

Hand-computed result (template defaults: 德15 能20 勤20 绩35 廉10; sources
host 40 / democratic 30 / org 30; ballot points 优秀95 称职80; groups 30/30/40):

林晓雯 (柳湾镇), all three sources:
  host   德95 能92 勤94 绩90 廉96 → (1425+1840+1880+3150+960)/100 = 92.55
  ballots, one per group: 领导班子成员 all 优秀, 中层干部 all 称职,
          一般干部/群众 all 优秀 but 绩 称职
          德能勤廉 (30×95+30×80+40×95)/100 = 90.5, 绩 (30×95+30×80+40×80)/100 = 84.5
          → (65×90.5 + 35×84.5)/100 = 88.4 (3 of 6 codes: turnout 50%, minimum 50%)
  org    all 90 → 90
  score  (40×92.55 + 30×88.4 + 30×90)/100 = 90.54 → 优秀
周建国 (石桥镇): org only, all 80 → 80.00 → 称职 (host and ballots left out)
"""

import datetime as dt
import re

import openpyxl
import pytest

from assessment.models import (
    Assessment,
    Ballot,
    BallotCode,
    BallotSession,
    Evaluation,
    PendingBallot,
    Round,
    Template,
)
from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from postings.models import Posting
from tests.e2e.pages import PASSWORD, login, logout, nav, submit

DIMENSIONS = ["de", "neng", "qin", "ji", "lian"]
DIM_LABELS = {"de": "德", "neng": "能", "qin": "勤", "ji": "绩", "lian": "廉"}
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")


def _cadre(name, organ, birth, seq, gender):
    return Cadre.objects.create(
        name=name,
        id_number=idcard.make("320581", birth, seq, gender),
        gender=gender,
        birth_date=birth,
        unit=organ,
        rank=2,
    )


def _posting(cadre, organ, township, title, staff):
    today = dt.date.today()
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=organ,
        receiving_unit=township,
        title=title,
        start_date=today - dt.timedelta(days=200),
        planned_end_date=today + dt.timedelta(days=165),
        status=Posting.Status.ACTIVE,
        created_by=staff,
    )
    posting.set_midterm_date()
    posting.save()
    return posting


@pytest.fixture
def people(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    liuwan = unit_create(name="柳湾镇", kind="township", parent=county)
    shiqiao = unit_create(name="石桥镇", kind="township", parent=county)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    staff = User.objects.create_user(
        "zzb",
        password=PASSWORD,
        role=Role.ORG_STAFF,
        unit=county,
        last_name="组织部",
        first_name="小王",
    )
    User.objects.create_user(
        "lw",
        password=PASSWORD,
        role=Role.HOST_LEADER,
        unit=liuwan,
        last_name="柳湾镇",
        first_name="书记",
    )
    lin = _cadre("林晓雯", organ, dt.date(1988, 3, 14), 37, "F")
    zhou = _cadre("周建国", organ, dt.date(1985, 7, 2), 51, "M")
    chen = _cadre("陈思远", organ, dt.date(1990, 11, 20), 13, "M")
    return {
        "lin": _posting(lin, organ, liuwan, "乡镇长助理", staff),
        "zhou": _posting(zhou, organ, shiqiao, "党委副书记", staff),
        # In scope but not chosen: the round must leave it out.
        "chen": _posting(chen, organ, liuwan, "村党支部第一书记", staff),
    }


def accept_dialogs(page, seen):
    """Say yes to every confirm(), noting what it asked."""

    def accept(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def cast(page, grades, comment=""):
    """On an open ballot page: one grade per dimension, then submit."""
    for dim in DIMENSIONS:
        fieldset = page.locator(
            "fieldset", has=page.locator("legend", has_text=DIM_LABELS[dim])
        )
        fieldset.get_by_text(grades[dim], exact=True).click()
    if comment:
        page.fill("#id_comment", comment)
    page.get_by_role("button", name="提交测评").click()
    page.wait_for_selector("#ballot-done")
    assert "提交成功" in page.inner_text("#ballot-done")


def turnout_total(page):
    """(cast, issued) in the session page's 合计 row."""
    cells = page.locator("#turnout-total td")
    return cells.nth(2).inner_text().strip(), cells.nth(3).inner_text().strip()


def evaluate(page, scores, comments):
    for dim in DIMENSIONS:
        page.fill(f"#id_score_{dim}", str(scores[dim]))
        page.fill(f"#id_comment_{dim}", comments.get(dim, ""))
    # app.js asks on DOMContentLoaded: a click before it submits unasked.
    page.wait_for_load_state()
    page.locator("#evaluation-form button[name=submit]").click()  # confirm
    page.wait_for_url("**/assessment/tasks/")
    page.wait_for_selector("text=评价已提交")


def test_a_round_from_scheme_to_ranking_with_anonymous_ballots(
    live_server, new_page, people, tmp_path
):
    base = live_server.url
    lin, zhou = people["lin"], people["zhou"]
    today = dt.date.today()
    asked = []  # every confirm() the users answered
    staff = accept_dialogs(new_page(), asked)

    # 1. Org staff make a scheme with the default rules: one submit.
    login(staff, base, "zzb")
    nav(staff, "考核")
    staff.get_by_role("link", name="考核方案").click()
    staff.get_by_role("link", name="新建考核方案").first.click()
    assert staff.input_value("#id_dim_ji") == "35"  # defaults filled in
    assert staff.input_value("#id_src_host") == "40"
    staff.fill("#id_name", "清河县挂职干部考核方案")
    submit(staff)
    staff.wait_for_selector("text=考核方案已创建（第1版）")
    template = Template.objects.get()
    assert template.versions.get().number == 1

    # ... and a round over two postings picked on the page.
    nav(staff, "考核")
    staff.get_by_role("link", name="新建考核轮次").click()
    staff.fill("#id_name", "2025年度挂职干部考核")
    staff.select_option("#id_kind", label="年度考核")
    assert (
        staff.locator("#id_template option:checked")
        .inner_text()
        .startswith("清河县挂职干部考核方案")
    )
    staff.fill("#id_period_start", (today - dt.timedelta(days=180)).isoformat())
    staff.fill("#id_period_end", today.isoformat())
    staff.check(f"#posting-{lin.pk}")
    staff.check(f"#posting-{zhou.pk}")
    assert staff.inner_text("#picker-count") == "2"
    submit(staff)
    staff.wait_for_selector("text=考核轮次已创建，共2人")
    assert staff.inner_text("#round-status") == "筹备中"
    table = staff.locator("#assessment-table")
    assert table.locator("tbody tr").count() == 2
    assert "陈思远" not in table.inner_text()
    round_ = Round.objects.get()
    a_lin = Assessment.objects.get(posting=lin)
    a_zhou = Assessment.objects.get(posting=zhou)

    # app.js asks on DOMContentLoaded: a click before it submits unasked.
    staff.wait_for_load_state()
    staff.get_by_role("button", name="开始评分").click()  # confirm
    staff.wait_for_function(
        "document.getElementById('round-status').textContent.trim() === '评分中'"
    )

    # 2. A ballot session for 林晓雯: two codes per group, 50% turnout needed.
    staff.locator(f"tr[data-assessment='{a_lin.pk}']").get_by_role(
        "link", name="开启测评"
    ).click()
    staff.wait_for_selector("#group-rows")
    assert staff.input_value("#id_g0_name") == "领导班子成员"
    for i in range(3):
        staff.fill(f"#id_g{i}_size", "2")
    staff.fill("#id_min_turnout_pct", "50")
    submit(staff)
    staff.wait_for_selector("text=已开启民主测评")
    assert staff.inner_text("#session-status") == "测评中"
    assert turnout_total(staff) == ("0", "6")
    assert staff.locator("#results-sealed").is_visible()

    with staff.context.expect_page() as opened:
        staff.get_by_role("link", name="打印测评票").click()
    slips = opened.value
    slips.wait_for_selector(".slip-group")
    assert slips.locator("img.slip-qr").count() == 6
    shown = [c.strip() for c in slips.locator(".slip-code").all_inner_texts()]
    assert len(shown) == 6 and all(CODE.match(c) for c in shown)
    assert len(set(shown)) == 6
    assert "被测评人：林晓雯" in slips.inner_text(".slip-group >> nth=0")
    codes = [
        slips.locator(f"section[data-group='{group}'] .slip-code").first.inner_text()
        for group in ("领导班子成员", "中层干部", "一般干部/群众")
    ]
    codes = [c.strip() for c in codes]
    counts = slips.locator(".slip-counts").all_inner_texts()
    assert [c.strip() for c in counts] == ["已投 0 / 共 2"] * 3
    slips.close()

    # 3. Raters, without an account: the QR link, a typed code, another code.
    # Each rater on their own phone: a new browser context, no cookies. The
    # QR link carries the code after "#": the browser never sends it, the
    # page's script posts it. Every request the raters' browsers make is noted.
    requested = []

    def rater_page():
        page = new_page()
        page.on("request", lambda request: requested.append(request.url))
        return page

    entry_url = f"{base}/assessment/b/"
    rater = rater_page()
    rater.goto(f"{entry_url}#{codes[0]}")  # the slip's QR link
    rater.wait_for_selector("#ballot-subject")
    assert rater.inner_text("#ballot-subject").count("林晓雯") == 1
    assert rater.locator("#mainnav").count() == 0  # no navigation, no account
    assert rater.url == entry_url  # the fragment is gone from the address bar
    cast(rater, dict.fromkeys(DIMENSIONS, "优秀"))
    assert rater.url == entry_url

    rater = rater_page()
    rater.goto(entry_url)
    rater.fill("#id_code", codes[1].replace("-", "").lower())
    rater.get_by_role("button", name="开始测评").click()
    rater.wait_for_selector("#ballot-subject")
    assert rater.url == entry_url
    cast(rater, dict.fromkeys(DIMENSIONS, "称职"), comment="建议多深入村组调研。")

    rater = rater_page()
    rater.goto(f"{entry_url}#{codes[2]}")
    cast(rater, {**dict.fromkeys(DIMENSIONS, "优秀"), "ji": "称职"})

    rater = rater_page()
    rater.goto(f"{entry_url}#{codes[0]}")  # a slip scanned twice
    rater.wait_for_selector("#ballot-notice")
    assert "已使用" in rater.inner_text("#ballot-notice")
    assert rater.locator("form[method=post]").count() == 0

    assert any(url.startswith(entry_url) for url in requested)
    for code in codes:
        for url in requested:
            assert code.replace("-", "") not in url.upper().replace("-", ""), url
    # Open: the three ballots wait, pending, until the session closes.
    assert (PendingBallot.objects.count(), Ballot.objects.count()) == (3, 0)

    # 4. The host leader scores 林晓雯 from 待评价.
    leader = accept_dialogs(new_page(), asked)
    login(leader, base, "lw")
    nav(leader, "待评价")
    assert "尚有 1 项" in leader.inner_text("#pending-count")
    leader.locator(f"tr[data-assessment='{a_lin.pk}'] a[data-source=host]").click()
    leader.wait_for_selector("#evaluation-form")
    assert "接收单位评价 · 林晓雯" in leader.inner_text("h1")
    evaluate(
        leader,
        {"de": 95, "neng": 92, "qin": 94, "ji": 90, "lian": 96},
        {"ji": "牵头完成人居环境整治，成效明显。", "de": "政治立场坚定。"},
    )
    assert "尚有 0 项" in leader.inner_text("#pending-count")
    logout(leader)

    # 5. Org staff score both, close the ballots, close the round.
    staff.reload()
    nav(staff, "待评价")
    assert "尚有 2 项" in staff.inner_text("#pending-count")
    for assessment, score in ((a_lin, 90), (a_zhou, 80)):
        staff.locator(
            f"tr[data-assessment='{assessment.pk}'] a[data-source=org]"
        ).click()
        staff.wait_for_selector("#evaluation-form")
        evaluate(staff, dict.fromkeys(DIMENSIONS, score), {"de": "表现良好。"})
    assert "尚有 0 项" in staff.inner_text("#pending-count")

    staff.goto(f"{base}{round_.get_absolute_url()}")
    row = staff.locator(f"tr[data-assessment='{a_lin.pk}']")
    assert "3/6（50%）" in row.inner_text()
    row.get_by_role("link", name="测评中").click()
    assert turnout_total(staff) == ("3", "6")
    assert "已达到" in staff.inner_text("#turnout-total")
    assert staff.locator("#results-sealed").is_visible()  # sealed while open
    # app.js asks on DOMContentLoaded: a click before it submits unasked.
    staff.wait_for_load_state()
    staff.get_by_role("button", name="结束测评").click()  # confirm
    staff.wait_for_selector("text=民主测评已结束")
    assert staff.inner_text("#session-status") == "已结束"
    # Unsealed now: 领导班子成员 graded 德 优秀 once.
    leaders = staff.locator("table[data-results-group='领导班子成员'] tr[data-dim=de]")
    assert leaders.locator("td").nth(1).inner_text() == "1"

    staff.get_by_role("link", name="返回考核轮次").click()
    # Closing lists what is missing first: 周建国 has no host evaluation and
    # no 民主测评; 林晓雯 has everything (3 of 6 ballots, minimum 50%).
    staff.locator("[data-action=close]").get_by_role("link", name="结束考核").click()
    staff.wait_for_selector("#missing-host")
    missing_host = staff.inner_text("#missing-host")
    assert "周建国" in missing_host and "未评价" in missing_host
    assert "林晓雯" not in missing_host
    assert staff.locator("#missing-org").count() == 0
    low_turnout = staff.inner_text("#low-turnout")
    assert "周建国" in low_turnout and "未开启民主测评" in low_turnout
    assert "林晓雯" not in low_turnout
    assert Round.objects.get().status == Round.Status.COLLECTING  # not yet
    staff.fill("#id_reason", "周建国未开启民主测评，接收单位未评价")
    staff.get_by_role("button", name="确认有缺项仍结束考核").click()
    staff.wait_for_function(
        "document.getElementById('round-status').textContent.trim() === '已结束'"
    )
    assert "周建国未开启民主测评" in staff.inner_text("#round-events")
    staff.get_by_role("link", name="考核结果与排名").click()
    staff.wait_for_selector("#results-table")

    rows = staff.locator("#results-table tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert first.locator("td.rank").inner_text() == "1"
    assert second.locator("td.rank").inner_text() == "2"
    assert "林晓雯" in first.inner_text() and "周建国" in second.inner_text()
    assert first.locator("td.score summary").inner_text() == "90.54"
    assert second.locator("td.score summary").inner_text() == "80.00"
    assert "优秀" in first.locator(".badge").inner_text()
    assert "称职" == second.locator(".badge").inner_text().strip()
    assert "50" in first.locator("td.turnout").inner_text()
    chart = staff.locator("#grade-chart")
    assert chart.locator("g[data-grade=excellent]").get_attribute("data-count") == "1"
    assert chart.locator("g[data-grade=competent]").get_attribute("data-count") == "1"
    assert "1人（50.00%）" in chart.locator("g[data-grade=excellent]").inner_html()

    steps = first.locator("td.score .steps")
    assert not steps.is_visible()
    first.locator("td.score summary").click()
    steps.wait_for(state="visible")
    explained = steps.inner_text()
    assert "90.54" in explained

    with staff.expect_download() as download_info:
        staff.click("#export-link")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "results.xlsx"
    download.save_as(saved)
    book = openpyxl.load_workbook(saved, read_only=True)
    assert book.sheetnames == ["排名", "维度得分", "来源得分", "测评参与"]
    ranking = [tuple(r) for r in book["排名"].iter_rows(values_only=True)]
    assert ranking[0][:2] == ("排名", "姓名")
    assert [r[:2] for r in ranking[1:]] == [(1, "林晓雯"), (2, "周建国")]
    assert {"林晓雯", "周建国"} <= {
        r[1] for r in book["来源得分"].iter_rows(min_row=2, values_only=True)
    }
    book.close()

    assert len([m for m in asked if "确认开始评分" in m]) == 1
    assert len([m for m in asked if "提交后不能修改" in m]) == 3
    assert len([m for m in asked if "确认结束本次民主测评" in m]) == 1
    # Closing the round asks on its own page, not in a dialog.
    assert len([m for m in asked if "确认结束考核" in m]) == 0

    # 6. The result is on 林晓雯's dossier.
    nav(staff, "干部")
    staff.get_by_role("link", name="林晓雯").click()
    entry = staff.locator("#timeline-entries .dossier-entry[data-kind=assessment]")
    assert entry.count() == 1
    text = entry.inner_text()
    assert "考核结果" in text
    assert "2025年度挂职干部考核（年度考核）：优秀，90.54分，第1名/共2人" in text
    entry.get_by_role("link", name="查看计算过程").click()
    staff.wait_for_url(f"**{a_lin.get_absolute_url()}")

    # The database agrees, and the ballots say nothing about who cast them.
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED and round_.closed_at
    a_lin.refresh_from_db()
    a_zhou.refresh_from_db()
    assert (str(a_lin.score), a_lin.grade, a_lin.rank) == ("90.54", "excellent", 1)
    assert (str(a_zhou.score), a_zhou.grade, a_zhou.rank) == ("80.00", "competent", 2)
    assert BallotSession.objects.get().status == BallotSession.Status.CLOSED
    assert Ballot.objects.count() == 3
    assert not PendingBallot.objects.exists()
    assert {f.name for f in Ballot._meta.concrete_fields} == {
        "id",
        "group",
        "cast_on",
        "grades",
        "comment",
    }
    assert set(Ballot.objects.values_list("cast_on", flat=True)) == {today}
    assert [c for c in Ballot.objects.values_list("comment", flat=True) if c] == [
        "建议多深入村组调研。"
    ]
    assert BallotCode.objects.filter(used=True).count() == 3
    submitted = Evaluation.objects.filter(status=Evaluation.Status.SUBMITTED)
    assert sorted(
        submitted.values_list("assessment__posting__cadre__name", "source")
    ) == [
        ("周建国", "org"),
        ("林晓雯", "host"),
        ("林晓雯", "org"),
    ]
