"""Results from the database: gathering, sealing, storing, the results page,
cohorts, the export, one assessment explained, the dossier entry, queries."""

import datetime as dt
import re
import uuid
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import results
from assessment.models import (
    Assessment,
    Ballot,
    BallotCode,
    BallotSession,
    Evaluation,
    RaterGroup,
    Round,
)
from cadres.models import Rank
from postings.models import Posting
from tests.assessment.factories import make_round
from tests.factories import CadreFactory, PostingFactory, WarningFactory

DIMS = ["de", "neng", "qin", "ji", "lian"]
TODAY = timezone.localdate
# The host evaluation of test_scoring: 86.80.
HOST_SCORES = {"de": 90, "neng": 85, "qin": 80, "ji": 88, "lian": 95}


def evaluate(assessment, source, author, scores, *, comments=None, submitted=True):
    return Evaluation.objects.create(
        assessment=assessment,
        source=source,
        author=author,
        scores=scores,
        comments=comments or {},
        status="submitted" if submitted else "draft",
        submitted_at=timezone.now() if submitted else None,
    )


def ballots(assessment, by, groups, *, closed=True, min_turnout=60):
    """A ballot session; groups: (name, weight, codes issued, [ballot grades])."""
    session = BallotSession.objects.create(
        assessment=assessment,
        status="closed" if closed else "open",
        closed_at=timezone.now() if closed else None,
        min_turnout_pct=min_turnout,
        opened_by=by,
    )
    for position, (name, weight, issued, grades) in enumerate(groups):
        group = RaterGroup.objects.create(
            session=session, name=name, weight=weight, size=issued, position=position
        )
        BallotCode.objects.bulk_create(
            BallotCode(group=group, code=uuid.uuid4().hex[:12], used=i < len(grades))
            for i in range(issued)
        )
        Ballot.objects.bulk_create(
            Ballot(group=group, cast_on=TODAY(), grades=dict.fromkeys(DIMS, g))
            for g in grades
        )
    return session


# 6 of 6 codes used; democratic = 84.50 per dimension (see test_scoring).
FULL_GROUPS = [
    ("领导班子成员", 30, 2, ["excellent", "excellent"]),
    ("中层干部", 30, 2, ["competent", "competent"]),
    ("一般干部/群众", 40, 2, ["excellent", "basic"]),
]


def county_a_posting(tree, *, kind=Posting.Kind.DOWNWARD, post_rank=None, name=None):
    cadre = CadreFactory(unit=tree.organ_a, **({"name": name} if name else {}))
    return PostingFactory(
        cadre=cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        kind=kind,
        post_rank=post_rank,
        start_date=TODAY() - dt.timedelta(days=200),
    )


@pytest.fixture
def scene(world, tree, org_a, host_a):
    """A collecting round of county A with three assessments:
    full: host 86.80, org 80, ballots counted (84.50) → 84.07;
    low: org 80, a closed session at 10% turnout (sealed), a draft host
         evaluation (not counted), a yellow and a blue warning → 80.00, 称职;
    open: org 95, a session still open, a red warning → 95.00 capped 基本称职."""
    full = world.a.posting
    low = county_a_posting(tree, kind=Posting.Kind.UPWARD, name="低参与")
    still_open = county_a_posting(tree, name="测评中")
    round_ = make_round(org_a, [full, low, still_open])
    a = {x.posting_id: x for x in round_.assessments.all()}
    a_full, a_low, a_open = a[full.pk], a[low.pk], a[still_open.pk]
    evaluate(a_full, "host", host_a, HOST_SCORES, comments={"ji": "招商成效明显"})
    evaluate(a_full, "org", org_a, dict.fromkeys(DIMS, 80))
    ballots(a_full, org_a, FULL_GROUPS)
    evaluate(a_low, "org", org_a, dict.fromkeys(DIMS, 80))
    evaluate(a_low, "host", host_a, dict.fromkeys(DIMS, 100), submitted=False)
    ballots(a_low, org_a, [("全体", 100, 10, ["excellent"])])
    evaluate(a_open, "org", org_a, dict.fromkeys(DIMS, 95))
    ballots(
        a_open, org_a, [("全体", 100, 2, ["incompetent", "incompetent"])], closed=False
    )
    in_period = round_.period_start + dt.timedelta(days=5)
    WarningFactory(posting=low, occurred_on=in_period, level="yellow")
    WarningFactory(posting=low, occurred_on=in_period, level="blue")
    WarningFactory(posting=still_open, occurred_on=in_period, level="red")
    # Not counted: before the period, or revoked.
    WarningFactory(
        posting=low, occurred_on=round_.period_start - dt.timedelta(days=1), level="red"
    )
    WarningFactory(
        posting=low,
        occurred_on=in_period,
        level="red",
        status="revoked",
        revoke_reason="误报",
        revoked_by=org_a,
        revoked_at=timezone.now(),
    )
    return round_, a_full, a_low, a_open


def _by_pk(rows):
    return {row.assessment.pk: row.result for row in rows}


def test_compute_round_from_database_rows(scene):
    round_, a_full, a_low, a_open = scene
    r = _by_pk(results.compute_round(round_))
    assert r[a_full.pk].score == Decimal("84.07")
    assert r[a_low.pk].score == Decimal("80.00")
    assert r[a_open.pk].score == Decimal("95.00")
    # Grades: thresholds, then the highest warning of the period caps.
    assert (r[a_full.pk].grade, r[a_low.pk].grade) == ("competent", "competent")
    assert r[a_open.pk].raw_grade == "excellent" and r[a_open.pk].grade == "basic"
    assert r[a_open.pk].grade_reason == "红色预警封顶为基本称职"
    assert r[a_low.pk].explanation["warnings"] == {
        "count": 2,
        "level": "yellow",
        "label": "黄色预警",
    }
    # Ranks by score: 95, 84.07, 80.
    assert [r[x.pk].rank for x in (a_open, a_full, a_low)] == [1, 2, 3]


def test_sealed_sessions_are_not_counted_and_say_why(scene):
    round_, a_full, a_low, a_open = scene
    r = _by_pk(results.compute_round(round_))

    def democratic(key):
        return next(
            s for s in r[key].explanation["sources"] if s["source"] == "democratic"
        )

    low = democratic(a_low.pk)
    assert low["present"] is False
    assert low["reason"] == "参与率10.00%未达到最低要求60%，结果密封，不计入"
    assert low["turnout"]["cast"] == 1 and low["turnout"]["issued"] == 10
    assert low["dimensions"] == []  # no ballot content, not even a mean
    still_open = democratic(a_open.pk)
    assert still_open["reason"] == "民主测评尚未结束，结果密封，不计入"
    # Had the open session's two 不称职 ballots counted, 95 would have dropped.
    assert r[a_open.pk].score == Decimal("95.00")
    assert democratic(a_full.pk)["present"] is True
    # The draft host evaluation is not a source: org alone counts for "low".
    host = next(s for s in r[a_low.pk].explanation["sources"] if s["source"] == "host")
    assert host["reason"] == "未提交评价"


def test_store_results_writes_every_assessment_with_history(scene, org_a):
    round_, a_full, a_low, a_open = scene
    before = Assessment.history.count()
    results.store_results(round_, by=org_a)
    a_full.refresh_from_db()
    a_open.refresh_from_db()
    assert a_full.score == Decimal("84.07") and a_full.grade == "competent"
    assert a_full.rank == 2 and a_full.raw_grade == "competent"
    assert a_open.grade_reason == "红色预警封顶为基本称职"
    assert a_open.detail["steps"][-1].startswith("综合得分 = (30×95.00) ÷ 30")
    assert Assessment.history.count() == before + 3
    assert Assessment.history.filter(history_user=org_a).count() == 3


def _close(round_, org_a):
    results.store_results(round_, by=org_a)
    Round.objects.filter(pk=round_.pk).update(
        status=Round.Status.CLOSED, closed_at=timezone.now()
    )
    round_.refresh_from_db()


def test_a_closed_round_shows_its_stored_results_not_a_recomputation(
    scene, login, org_a
):
    round_, a_full, *_rest = scene
    _close(round_, org_a)
    Evaluation.objects.filter(assessment=a_full, source="org").update(
        scores=dict.fromkeys(DIMS, 10)
    )
    response = login(org_a).get(reverse("assessment:round_results", args=[round_.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="preview-notice"' not in body
    line = next(x for x in response.context["lines"] if x.assessment.pk == a_full.pk)
    assert line.result.score == Decimal("84.07")


def test_the_results_page_of_a_collecting_round_is_a_marked_preview(
    scene, login, org_a
):
    round_, a_full, a_low, a_open = scene
    response = login(org_a).get(reverse("assessment:round_results", args=[round_.pk]))
    body = response.content.decode()
    assert 'id="preview-notice"' in body and "不是正式结果" in body
    lines = response.context["lines"]
    assert [x.assessment.pk for x in lines] == [a_open.pk, a_full.pk, a_low.pk]
    assert [x.rank for x in lines] == [1, 2, 3]
    row = re.search(
        rf'<tr data-assessment="{a_full.pk}">.*?</tr>', body, re.S
    )  # the rendered row
    full = row.group(0)
    # Per-dimension composite (德: (40×90 + 30×84.5 + 30×80) / 100) and per source.
    dims = re.findall(r'<td class="dim"><details><summary[^>]*>([\d.]+)<', full)
    assert dims[0] == "85.35"
    sources = re.findall(r'data-source="\w+"><details><summary[^>]*>([\d.]+)<', full)
    assert sources == ["86.80", "84.50", "80.00"]
    # Each score expands into how it was computed.
    assert "综合得分 = (40×86.80 + 30×84.50 + 30×80.00) ÷ 100 = 84.07" in body
    assert "<details>" in body
    # The chart: one of each grade's bars, with counts and percentages.
    bars = {b.grade: (b.count, b.percent) for b in response.context["bars"]}
    assert bars["competent"] == (2, "66.67") and bars["basic"] == (1, "33.33")
    assert bars["excellent"] == (0, "0.00")
    assert 'id="grade-chart"' in body and "<svg" in body


def test_the_table_sorts(scene, login, org_a):
    round_, a_full, a_low, a_open = scene
    url = reverse("assessment:round_results", args=[round_.pk])
    client = login(org_a)
    by_score = client.get(url, {"sort": "score"}).context["lines"]
    assert [x.assessment.pk for x in by_score] == [a_low.pk, a_full.pk, a_open.pk]
    by_name = client.get(url, {"sort": "-cadre"}).context["lines"]
    names = [x.assessment.posting.cadre.name for x in by_name]
    assert names == sorted(names, reverse=True)


def _shown(response):
    """The assessments of the rendered table's rows, in order."""
    body = response.content.decode()
    return [int(pk) for pk in re.findall(r'<tr data-assessment="(\d+)">', body)]


@pytest.mark.parametrize("closed", [False, True])
def test_the_table_is_paged_but_ranked_sorted_and_charted_whole(
    scene, login, org_a, settings, closed
):
    round_, a_full, a_low, a_open = scene
    if closed:
        _close(round_, org_a)
    settings.PAGE_SIZE = 2
    url = reverse("assessment:round_results", args=[round_.pk])
    client = login(org_a)
    first = client.get(url)
    assert _shown(first) == [a_open.pk, a_full.pk]
    body = first.content.decode()
    assert "1 / 2" in body and "page=2" in body
    assert "共 3 人" in body  # the count, ranking and chart: every row
    bars = {b.grade: b.count for b in first.context["bars"]}
    assert bars["competent"] == 2 and bars["basic"] == 1
    # The second page goes on with the ranking (3rd), not from 1 again.
    second = client.get(url, {"page": 2})
    assert _shown(second) == [a_low.pk]
    row = re.search(
        rf'<tr data-assessment="{a_low.pk}">.*?</tr>', second.content.decode(), re.S
    )
    assert '<td class="rank">3</td>' in row.group(0)
    # Sorted over every row, then paged; a page past the end is the last.
    assert _shown(client.get(url, {"sort": "score"})) == [a_low.pk, a_full.pk]
    assert _shown(client.get(url, {"sort": "score", "page": 9})) == [a_open.pk]
    # The sort links start again at page 1; the export keeps the cohort only.
    paged = client.get(url, {"sort": "score", "page": 2, "cohort": "kind:downward"})
    links = [c.url for c in paged.context["columns"] if c.url]
    assert links and all("page=" not in link for link in links)
    assert paged.context["export_query"] == "cohort=kind%3Adownward"
    export = client.get(
        reverse("assessment:round_export", args=[round_.pk]), {"page": 2}
    )
    sheet = openpyxl.load_workbook(BytesIO(export.content)).worksheets[0]
    assert sheet.max_row - 1 == 3  # the whole round, whatever the page


def test_cohorts_rank_within_themselves(scene, login, org_a, tree):
    round_, a_full, a_low, a_open = scene
    url = reverse("assessment:round_results", args=[round_.pk])
    client = login(org_a)
    response = client.get(url, {"cohort": "kind:upward"})
    lines = response.context["lines"]
    assert [(x.assessment.pk, x.rank) for x in lines] == [(a_low.pk, 1)]
    assert ("kind:upward", "挂职类型：上派") in response.context["cohorts"]
    # By post rank: only the postings with that rank.
    Posting.objects.filter(pk=a_full.posting_id).update(post_rank=Rank.SECTION)
    response = client.get(url, {"cohort": f"rank:{Rank.SECTION}"})
    assert [(x.assessment.pk, x.rank) for x in response.context["lines"]] == [
        (a_full.pk, 1)
    ]
    # An unknown cohort is the whole round.
    assert len(client.get(url, {"cohort": "kind:nope"}).context["lines"]) == 3


def _line(client, url, pk, params=None):
    return next(
        x
        for x in client.get(url, params or {}).context["lines"]
        if x.assessment.pk == pk
    )


def test_a_closed_rounds_table_follows_what_it_shows(scene, login, org_a):
    from assessment.services import round_transition

    round_, a_full, a_low, a_open = scene
    _close(round_, org_a)
    client = login(org_a)
    url = reverse("assessment:round_results", args=[round_.pk])
    assert _line(client, url, a_full.pk).result.score == Decimal("84.07")
    # Each cohort is a table of its own, ranked within itself.
    upward = client.get(url, {"cohort": "kind:upward"}).context["lines"]
    assert [(x.assessment.pk, x.rank) for x in upward] == [(a_low.pk, 1)]
    # A cadre renamed shows at once.
    cadre = a_full.posting.cadre
    cadre.name = "改名之后"
    cadre.save()
    assert ">改名之后</a>" in client.get(url).content.decode()
    # Results stored anew (a bulk update: no signal) replace the cached ones.
    org = Evaluation.objects.filter(assessment=a_full, source="org")
    Round.objects.filter(pk=round_.pk).update(status="collecting", closed_at=None)
    org.update(scores=dict.fromkeys(DIMS, 10))
    _close(round_, org_a)
    assert _line(client, url, a_full.pk).result.score == Decimal("63.07")
    # Reopened, scored anew and closed again through the service.
    round_transition(round_=round_, action="reopen", by=org_a, reason="复核")
    org.update(scores=dict.fromkeys(DIMS, 50))
    assert _line(client, url, a_full.pk).result.score == Decimal("75.07")  # the preview
    round_transition(round_=round_, action="close", by=org_a)
    assert _line(client, url, a_full.pk).result.score == Decimal("75.07")
    assert 'id="preview-notice"' not in client.get(url).content.decode()


def test_the_preview_of_a_collecting_round_stays_live(scene, login, org_a):
    round_, a_full, a_low, a_open = scene
    client = login(org_a)
    url = reverse("assessment:round_results", args=[round_.pk])
    assert _line(client, url, a_full.pk).result.score == Decimal("84.07")
    # Evaluations are read on every request (no cache hides them).
    Evaluation.objects.filter(assessment=a_full, source="org").update(
        scores=dict.fromkeys(DIMS, 10)
    )
    assert _line(client, url, a_full.pk).result.score < Decimal("84.07")


@pytest.mark.parametrize("closed", [False, True])
def test_names_and_stored_texts_are_escaped(scene, login, org_a, closed):
    round_, a_full, a_low, a_open = scene
    script = "<script>alert(1)</script>"
    Posting.objects.filter(pk=a_full.posting_id).update(cadre=CadreFactory(name=script))
    if closed:
        _close(round_, org_a)
        detail = Assessment.objects.get(pk=a_low.pk).detail
        detail["steps"] = ["<img src=x onerror=alert(2)>"]
        detail["reasons"] = ['"<b>封顶</b>"']
        Assessment.objects.filter(pk=a_low.pk).update(detail=detail)
    url = reverse("assessment:round_results", args=[round_.pk])
    body = login(org_a).get(url).content.decode()
    assert script not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    if closed:
        assert "<img src=x" not in body and "<b>封顶" not in body
        assert "<li>&lt;img src=x onerror=alert(2)&gt;</li>" in body
        assert "&quot;&lt;b&gt;封顶&lt;/b&gt;&quot;" in body


def test_the_export_has_four_sheets_and_respects_the_cohort(scene, login, org_a, tree):
    round_, a_full, a_low, a_open = scene
    Posting.objects.filter(pk=a_low.posting_id).update(cadre=CadreFactory(name="=1+2"))
    url = reverse("assessment:round_export", args=[round_.pk])
    response = login(org_a).get(url)
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    assert "%E8%80%83%E6%A0%B8%E7%BB%93%E6%9E%9C" in response["Content-Disposition"]
    book = openpyxl.load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["排名", "维度得分", "来源得分", "测评参与"]
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert ranking[0][:3] == ("排名", "姓名", "派出单位")
    assert [row[0] for row in ranking[1:]] == [1, 2, 3]
    assert (
        ranking[2][6] == pytest.approx(84.07)
        and ranking[1][9] == "红色预警封顶为基本称职"
    )
    guarded = book["排名"].cell(row=4, column=2)
    assert guarded.value == "=1+2" and guarded.data_type == "s"
    dims = list(book["维度得分"].iter_rows(values_only=True))
    assert dims[0] == ("排名", "姓名", "德", "能", "勤", "绩", "廉", "综合得分")
    assert dims[2][2] == pytest.approx(85.35)
    sources = list(book["来源得分"].iter_rows(values_only=True))
    assert sources[0][2:5] == ("接收单位评价", "民主测评", "组织部考核")
    assert "民主测评（参与率10.00%未达到最低要求60%" in sources[3][6]
    turnout = list(book["测评参与"].iter_rows(values_only=True))
    total = [row for row in turnout if row[1] == "合计"]
    assert len(total) == 3 and {row[4] for row in total} == {6, 1, 2}
    # The cohort narrows the export too.
    one = login(org_a).get(url, {"cohort": "kind:upward"})
    rows = list(openpyxl.load_workbook(BytesIO(one.content))["排名"].iter_rows())
    assert len(rows) == 2


def test_assessment_detail_explains_step_by_step(scene, login, org_a):
    round_, a_full, a_low, a_open = scene
    client = login(org_a)
    body = client.get(
        reverse("assessment:assessment_detail", args=[a_full.pk])
    ).content.decode()
    assert "综合得分 = (40×86.80 + 30×84.50 + 30×80.00) ÷ 100 = 84.07" in body
    assert (
        "接收单位评价得分 = (15×90.00 + 20×85.00 + 20×80.00 + 35×88.00 + 10×95.00)"
        in body
    )
    assert "招商成效明显" in body  # the host's comment on 绩
    assert "84.07 ≥ 称职分数线 75 → 称职" in body
    assert "第 2 名 / 共 3 人" in body
    assert reverse("assessment:round_results", args=[round_.pk]) in body
    # A sealed session: turnout, the reason, and no ballot numbers.
    sealed = client.get(reverse("assessment:assessment_detail", args=[a_open.pk]))
    text = sealed.content.decode()
    assert "民主测评尚未结束，结果密封，不计入" in text
    assert "红色预警封顶为基本称职" in text
    assert 'class="table table-sm mb-2 turnout-table"' in text
    block = next(
        b for b in sealed.context["blocks"] if b["entry"]["source"] == "democratic"
    )
    assert block["entry"]["dimensions"] == []


def test_assessment_detail_of_a_closed_round_reads_the_stored_result(
    scene, login, org_a
):
    round_, a_full, *_rest = scene
    _close(round_, org_a)
    response = login(org_a).get(
        reverse("assessment:assessment_detail", args=[a_full.pk])
    )
    assert response.context["preview"] is False
    assert response.context["result"].score == Decimal("84.07")
    assert "第 2 名 / 共 3 人" in response.content.decode()


@pytest.mark.parametrize("name", ["round_results", "round_export"])
def test_org_b_and_host_leaders_get_404_for_county_a_round(
    scene, login, org_b, host_a, name
):
    round_ = scene[0]
    url = reverse(f"assessment:{name}", args=[round_.pk])
    assert login(org_b).get(url).status_code == 404
    assert login(host_a).get(url).status_code == 404


def test_assessment_detail_is_404_out_of_scope(scene, login, org_b, host_a):
    a_full = scene[1]
    url = reverse("assessment:assessment_detail", args=[a_full.pk])
    assert login(org_b).get(url).status_code == 404
    assert login(host_a).get(url).status_code == 404


def test_the_round_must_be_visible_too(world, tree, login, org_a, org_city):
    """A posting of county A in a round held by the city: county A's staff
    see the posting but not the round, so not its assessment."""
    round_ = make_round(org_city, [world.a.posting])
    a = round_.assessments.get()
    assert login(org_a).get(a.get_absolute_url()).status_code == 404
    assert login(org_city).get(a.get_absolute_url()).status_code == 200


def test_the_dossier_shows_each_stored_result(scene, login, org_a, cadre_user, world):
    round_, a_full, *_rest = scene
    _close(round_, org_a)
    url = reverse("cadres:detail", args=[world.a.cadre.pk])
    response = login(org_a).get(url, {"kind": "assessment"})
    entries = response.context["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.kind.label == "考核结果"
    assert entry.title == "2026年平时考核（平时考核）：称职，84.07分，第2名/共3人"
    body = response.content.decode()
    assert reverse("assessment:assessment_detail", args=[a_full.pk]) in body
    assert response.context["summary"].grade == "称职"
    # The cadre sees the entry, without the link they may not follow.
    own = login(cadre_user).get(reverse("cadres:my_dossier"), {"kind": "assessment"})
    assert [e.title for e in own.context["entries"]] == [entry.title]
    assert reverse("assessment:assessment_detail", args=[a_full.pk]) not in (
        own.content.decode()
    )


def test_a_collecting_round_is_not_on_the_dossier(scene, login, org_a, world):
    response = login(org_a).get(
        reverse("cadres:detail", args=[world.a.cadre.pk]), {"kind": "assessment"}
    )
    assert list(response.context["entries"]) == []
    assert response.context["summary"].grade is None


def test_the_summary_grade_is_the_newest_closed_round(world, login, org_a):
    older = make_round(
        org_a,
        [world.a.posting],
        status=Round.Status.CLOSED,
        period_start=TODAY() - dt.timedelta(days=200),
        period_end=TODAY() - dt.timedelta(days=100),
    )
    newer = make_round(org_a, [world.a.posting], status=Round.Status.CLOSED)
    older.assessments.update(grade="excellent", score=95, rank=1)
    newer.assessments.update(grade="basic", score=65, rank=1)
    response = login(org_a).get(reverse("cadres:detail", args=[world.a.cadre.pk]))
    assert response.context["summary"].grade == "基本称职"


# --- Queries: the same for 5 and 50 assessments ---------------------------------


def _add_assessments(round_, tree, org_a, host_a, n):
    for i in range(n):
        posting = county_a_posting(
            tree,
            kind=[Posting.Kind.DOWNWARD, Posting.Kind.UPWARD][i % 2],
            post_rank=Rank.SECTION,
        )
        a = Assessment.objects.create(round=round_, posting=posting)
        evaluate(a, "host", host_a, HOST_SCORES, comments={"de": "好"})
        evaluate(a, "org", org_a, dict.fromkeys(DIMS, 70 + i % 20))
        ballots(a, org_a, FULL_GROUPS, closed=i % 3 != 0)
        WarningFactory(posting=posting, occurred_on=round_.period_end, level="yellow")


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response


def _cold_and_warm(client, url, params):
    """Queries of a request with the cache empty, then of the next one: the
    results are read, never cached, so both run the same."""
    cache.clear()
    cold, response = _queries(client, url, params)
    warm, _response = _queries(client, url, params)
    return (cold, warm), response


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("round_results", {}),
        ("round_results", {"cohort": "kind:upward", "sort": "-score"}),
        ("round_export", {}),
    ],
)
@pytest.mark.parametrize("closed", [False, True])
def test_results_run_the_same_queries_for_5_and_50_assessments(
    tree, login, org_a, host_a, name, params, closed
):
    round_ = make_round(org_a, [])
    url = reverse(f"assessment:{name}", args=[round_.pk])
    client = login(org_a)
    _add_assessments(round_, tree, org_a, host_a, 5)
    if closed:
        _close(round_, org_a)
    client.get(url)  # warm up the session
    five, response = _cold_and_warm(client, url, params)
    if closed:
        Round.objects.filter(pk=round_.pk).update(status="collecting", closed_at=None)
    _add_assessments(round_, tree, org_a, host_a, 45)
    if closed:
        _close(round_, org_a)
    fifty, response = _cold_and_warm(client, url, params)
    if name == "round_results":
        kinds = ["downward", "upward"] if not params else ["upward"]
        expected = round_.assessments.filter(posting__kind__in=kinds).count()
        assert expected == (50 if not params else 24)
        assert len(response.context["lines"]) == expected
    assert fifty == five, f"{name}: {five} queries for 5, {fifty} for 50"


def test_closing_the_round_stores_the_results(scene, org_a):
    """The contract with the round service: closing closes the open ballot
    sessions, then stores every result inside the same transaction."""
    from assessment.services import round_transition

    round_, a_full, a_low, a_open = scene
    round_transition(round_=round_, action="close", by=org_a)
    a_open.refresh_from_db()
    # The open session was closed first: its two 不称职 ballots (2 of 2 codes)
    # now count. democratic = 40 on every dimension;
    # composite = (30×40 + 30×95) / 60 = 67.50 → 基本称职 (the red cap is moot).
    assert a_open.score == Decimal("67.50")
    assert a_open.grade == "basic" and a_open.rank == 3
    assert a_open.detail["rank"] == 3


def test_the_self_review_is_attached_to_the_assessment(scene, login, org_a):
    from tests.factories import ReportFactory

    round_, a_full, *_rest = scene
    ReportFactory(
        posting=a_full.posting,
        kind="self_review",
        title="挂职期间个人述职",
        body="抓招商、促项目。",
        due_date=round_.period_end,
    )
    ReportFactory(  # another kind: not a self-review
        posting=a_full.posting,
        kind="semiannual",
        title="半年汇报",
        due_date=round_.period_end,
    )
    body = (
        login(org_a)
        .get(reverse("assessment:assessment_detail", args=[a_full.pk]))
        .content.decode()
    )
    section = body.split('id="self-reviews"')[1].split("</div>\n\n")[0]
    assert "挂职期间个人述职" in section and "抓招商、促项目。" in section
    assert "半年汇报" not in section
