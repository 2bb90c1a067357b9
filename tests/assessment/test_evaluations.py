"""Host and organisation evaluations: who scores which source, drafts and
submission, what a form refuses, the record shown beside it, the 待评价 list."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessment import evaluations
from assessment.config import default_config
from assessment.models import Assessment, Evaluation, Round
from cadres.models import Role
from records.models import Attachment, Report
from tests.assessment.factories import make_round, make_version
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, form_errors, months_ago
from tests.factories import (
    CadreFactory,
    CommendationFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReportFactory,
    TalkFactory,
    TrainingFactory,
    UnitFactory,
    UserFactory,
    WarningFactory,
    WorkLogFactory,
    account_for,
)
from tests.test_query_counts import _count as count_queries

FULL = {"de": "88", "neng": "85.5", "qin": "90", "ji": "92", "lian": "80"}


def url(assessment, source="host"):
    return reverse("assessment:evaluate", args=[assessment.pk, source])


def form_data(scores=None, comments=None, button="draft"):
    data = {f"score_{d}": v for d, v in (scores or {}).items()}
    data.update({f"comment_{d}": v for d, v in (comments or {}).items()})
    data[button] = ""
    return data


def save(assessment, by, source="host", scores=None, submit=False, **extra):
    return evaluations.evaluation_save(
        assessment=assessment,
        source=source,
        by=by,
        scores=scores or {},
        comments=extra.get("comments", {}),
        indicator_scores=extra.get("indicator_scores", {}),
        submit=submit,
    )


def config_with(**changes):
    config = default_config()
    config.update(changes)
    return config


@pytest.fixture
def assessment(round_a) -> Assessment:
    return round_a.assessments.select_related("round__template_version").get()


# --- Drafts, submission, read-only ------------------------------------------


def test_host_leader_saves_a_draft_then_submits(login, host_a, assessment):
    client = login(host_a)
    page = client.get(url(assessment))
    assert page.status_code == 200
    assert 'id="evaluation-form"' in page.content.decode()

    response = client.post(url(assessment), form_data({"de": "88"}))
    assert response.status_code == 302
    draft = Evaluation.objects.get(assessment=assessment, source="host")
    assert draft.status == Evaluation.Status.DRAFT
    assert draft.scores == {"de": 88}
    assert draft.author == host_a
    # The draft comes back into the form.
    assert 'value="88"' in client.get(url(assessment)).content.decode()

    response = client.post(url(assessment), form_data(FULL, button="submit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:my_tasks")
    done = Evaluation.objects.get(pk=draft.pk)
    assert done.status == Evaluation.Status.SUBMITTED
    assert done.submitted_at is not None
    assert done.scores == {"de": 88, "neng": 85.5, "qin": 90, "ji": 92, "lian": 80}
    assert [h.history_user for h in done.history.all()] == [host_a, host_a]


def test_a_submitted_evaluation_is_read_only(login, host_a, assessment):
    save(assessment, host_a, scores=dict.fromkeys(FULL, 86), submit=True)
    client = login(host_a)
    body = client.get(url(assessment)).content.decode()
    assert 'id="evaluation-form"' not in body
    assert 'id="evaluation-readonly"' in body
    assert "86" in body

    response = client.post(url(assessment), form_data(FULL, button="submit"))
    assert response.status_code == 200
    assert "该评价已经提交，不能再修改。" in response.content.decode()
    assert Evaluation.objects.get().scores == dict.fromkeys(FULL, 86)
    with pytest.raises(ValidationError, match="已经提交"):
        save(assessment, host_a, scores={"de": 50})


def test_a_draft_may_be_continued_by_another_host_leader_who_becomes_author(
    host_a, assessment
):
    colleague = UserFactory(role=Role.HOST_LEADER, unit=host_a.unit)
    save(assessment, host_a, scores={"de": 70})
    evaluation = save(assessment, colleague, scores={"de": 75, "ji": 80})
    assert Evaluation.objects.count() == 1
    assert evaluation.author == colleague
    assert evaluation.scores == {"de": 75, "ji": 80}
    editors = {h.history_user for h in evaluation.history.all()}
    assert editors == {host_a, colleague}


def test_submit_needs_every_weighted_dimension(login, host_a, assessment):
    partial = {k: v for k, v in FULL.items() if k != "ji"}
    response = login(host_a).post(url(assessment), form_data(partial, button="submit"))
    assert response.status_code == 200
    assert "提交前须为“绩”打分。" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_org_staff_gets_the_org_form(login, org_a, assessment):
    client = login(org_a)
    body = client.get(url(assessment, "org")).content.decode()
    assert "组织部考核" in body and 'id="evaluation-form"' in body
    response = client.post(url(assessment, "org"), form_data(FULL, button="submit"))
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.source, evaluation.author) == ("org", org_a)


def test_org_staff_of_the_city_evaluates_a_county_round(login, org_city, assessment):
    assert login(org_city).get(url(assessment, "org")).status_code == 200


def test_each_role_opens_only_its_own_source(login, host_a, org_a, assessment):
    for user, source in ((host_a, "org"), (org_a, "host"), (host_a, "self")):
        client = login(user)
        assert client.get(url(assessment, source)).status_code == 404
        assert client.post(url(assessment, source), form_data(FULL)).status_code == 404
    assert login(org_a).get(url(assessment, "democratic")).status_code == 404
    assert login(org_a).get(url(assessment, "nonsense")).status_code == 404
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    "persona", ["host_b", "org_b", "home_a", "cadre_user", "admin"]
)
def test_nobody_else_reaches_the_form(login, personas, assessment, persona):
    client = login(personas[persona])
    for source in ("host", "org"):
        assert client.get(url(assessment, source)).status_code == 404
        response = client.post(
            url(assessment, source), form_data(FULL, button="submit")
        )
        assert response.status_code == 404
        assert CADRE_A_NAME not in response.content.decode()
    assert not Evaluation.objects.exists()


def test_the_service_refuses_users_outside_the_assessment(host_b, admin, assessment):
    for user in (host_b, admin):
        with pytest.raises(ValidationError, match="不能填写这项评价"):
            save(assessment, user, scores={"de": 80})
    assert not Evaluation.objects.exists()


# --- Bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "得分须在0到100之间。"),
        ("-1", "得分须在0到100之间。"),
        ("abc", "请输入数字，例如 85 或 85.5。"),
        ("85.55", "最多保留一位小数。"),
        ("NaN", "请输入数字，例如 85 或 85.5。"),
    ],
)
def test_a_bad_score_is_refused_and_the_input_kept(
    login, host_a, assessment, value, message
):
    scores = dict(FULL, qin=value)
    response = login(host_a).post(url(assessment), form_data(scores, button="submit"))
    assert response.status_code == 200
    assert message in form_errors(response)
    body = response.content.decode()
    assert f'value="{value}"' in body
    assert 'value="85.5"' in body  # the other fields are kept too
    assert not Evaluation.objects.exists()


def test_the_service_checks_ranges_itself(host_a, assessment):
    with pytest.raises(ValidationError) as refused:
        save(assessment, host_a, scores={"de": 100.5, "ji": "12.25"})
    assert refused.value.message_dict == {
        "score_de": ["得分须在0到100之间。"],
        "score_ji": ["最多保留一位小数。"],
    }
    assert not Evaluation.objects.exists()


def test_a_score_under_the_basic_threshold_needs_a_comment(login, host_a, assessment):
    client = login(host_a)
    scores = dict(FULL, lian="55")
    response = client.post(url(assessment), form_data(scores, button="submit"))
    assert "“廉”得分低于基本称职分数线（60分），须填写评语。" in form_errors(response)
    assert not Evaluation.objects.exists()
    # A draft may wait for the comment.
    assert client.post(url(assessment), form_data(scores)).status_code == 302
    comments = {"lian": "群众反映有违规收受土特产情况，已批评教育。"}
    response = client.post(url(assessment), form_data(scores, comments, "submit"))
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.status == Evaluation.Status.SUBMITTED
    assert evaluation.comments == comments


# --- Indicators --------------------------------------------------------------

INDICATORS = {
    "ji": [
        {"name": "招商引资完成情况", "points": 60},
        {"name": "重点项目推进", "points": 40},
    ]
}


@pytest.fixture
def indicator_assessment(org_a, world) -> Assessment:
    version = make_version(org_a, config=config_with(indicators=INDICATORS))
    round_ = make_round(org_a, [world.a.posting], version=version)
    return round_.assessments.get()


def test_indicator_points_sum_to_the_dimension_score(
    login, host_a, indicator_assessment
):
    client = login(host_a)
    body = client.get(url(indicator_assessment)).content.decode()
    assert "招商引资完成情况（满分60分）" in body
    assert 'name="score_ji"' not in body
    data = form_data({k: v for k, v in FULL.items() if k != "ji"}, button="submit")
    data.update({"ind_ji_0": "50.5", "ind_ji_1": "30"})
    assert client.post(url(indicator_assessment), data).status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.scores["ji"] == 80.5
    assert evaluation.indicator_scores == {"ji": [50.5, 30]}
    page = client.get(url(indicator_assessment)).content.decode()
    assert "招商引资完成情况：50.5 / 60" in page


def test_an_indicator_above_its_points_is_refused(login, host_a, indicator_assessment):
    data = form_data({k: v for k, v in FULL.items() if k != "ji"}, button="submit")
    data.update({"ind_ji_0": "61", "ind_ji_1": "30"})
    response = login(host_a).post(url(indicator_assessment), data)
    assert "得分须在0到60之间。" in form_errors(response)
    assert not Evaluation.objects.exists()


def test_a_draft_keeps_partial_indicators_without_a_dimension_score(
    host_a, indicator_assessment
):
    evaluation = save(indicator_assessment, host_a, indicator_scores={"ji": [40, None]})
    assert evaluation.indicator_scores == {"ji": [40, None]}
    assert "ji" not in evaluation.scores
    with pytest.raises(ValidationError) as refused:
        save(
            indicator_assessment,
            host_a,
            scores=dict.fromkeys(["de", "neng", "qin", "lian"], 80),
            indicator_scores={"ji": [40, None]},
            submit=True,
        )
    assert refused.value.message_dict == {"ind_ji_1": ["提交前须为每个指标打分。"]}


# --- Round state ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [(Round.Status.OPEN, "尚未开始评分"), (Round.Status.CLOSED, "本轮考核已结束")],
)
def test_a_round_not_collecting_refuses_writes(
    login, host_a, org_a, world, status, message
):
    round_ = make_round(org_a, [world.a.posting], status=status)
    assessment = round_.assessments.get()
    client = login(host_a)
    body = client.get(url(assessment)).content.decode()
    assert 'id="evaluation-form"' not in body
    # The host-write rule answers the host leader, saying what is possible.
    host_rule = "接收单位只能在评分中的考核轮次里填写和提交评价"
    response = client.post(url(assessment), form_data(FULL, button="submit"))
    assert response.status_code == 200
    assert host_rule in response.content.decode()
    with pytest.raises(ValidationError, match=host_rule):
        save(assessment, host_a, scores={"de": 80})
    # Org staff get the round's own reason.
    with pytest.raises(ValidationError, match=message):
        save(assessment, org_a, source="org", scores={"de": 80})
    assert not Evaluation.objects.exists()


def test_a_closed_round_shows_the_submitted_evaluation(login, host_a, org_a, world):
    round_ = make_round(org_a, [world.a.posting], status=Round.Status.CLOSED)
    assessment = round_.assessments.get()
    Evaluation.objects.create(
        assessment=assessment,
        source="host",
        author=host_a,
        scores={"de": 91, "neng": 87.5, "qin": 90, "ji": 93, "lian": 95},
        comments={"ji": "完成招商任务一亿元。"},
        status=Evaluation.Status.SUBMITTED,
        submitted_at=round_.closed_at,
    )
    body = login(host_a).get(url(assessment)).content.decode()
    assert 'id="evaluation-readonly"' in body
    assert "87.5" in body and "完成招商任务一亿元。" in body
    # The org form of the same assessment was never filled in.
    body = login(org_a).get(url(assessment, "org")).content.decode()
    assert "该项评价未填写" in body


# --- The self-review source ------------------------------------------------------


def test_self_review_is_collected_only_when_weighted(
    login, org_a, host_a, world, assessment
):
    assert login(org_a).get(url(assessment, "self")).status_code == 404
    tasks = login(org_a).get(reverse("assessment:my_tasks")).content.decode()
    assert 'data-source="org"' in tasks and 'data-source="self"' not in tasks

    sources = {"host": 40, "democratic": 30, "org": 20, "self": 10}
    version = make_version(org_a, config=config_with(sources=sources))
    weighted = make_round(org_a, [world.a.posting], version=version, name="述职轮")
    assessment = weighted.assessments.get()
    client = login(org_a)
    assert client.get(url(assessment, "self")).status_code == 200
    response = client.post(url(assessment, "self"), form_data(FULL, button="submit"))
    assert response.status_code == 302
    assert Evaluation.objects.get().source == "self"
    assert login(host_a).get(url(assessment, "self")).status_code == 404


def test_a_source_weighted_zero_is_not_collected(login, host_a, org_a, world):
    sources = {"host": 0, "democratic": 50, "org": 50}
    version = make_version(org_a, config=config_with(sources=sources))
    assessment = make_round(org_a, [world.a.posting], version=version).assessments.get()
    assert login(host_a).get(url(assessment)).status_code == 404
    with pytest.raises(ValidationError):
        save(assessment, host_a, scores={"de": 80})


# --- The record beside the form --------------------------------------------------


def test_the_record_shows_the_period_only(login, host_a, org_a, world):
    posting = world.a.posting
    today = dt.date.today()
    round_ = make_round(
        org_a,
        [posting],
        period_start=today - dt.timedelta(days=120),
        period_end=today,
    )
    assessment = round_.assessments.get()
    old_month = months_ago(7)
    MonthlyNoteFactory(
        posting=posting, month=old_month, author=host_a, work_done="旧月份的工作"
    )
    world.a.note.work_done = "本期修缮村道三公里"
    world.a.note.save()
    inside = today - dt.timedelta(days=30)
    outside = today - dt.timedelta(days=200)
    report_in = ReportFactory(posting=posting, title="本期半年汇报", due_date=inside)
    report_out = ReportFactory(posting=posting, title="上期半年汇报", due_date=outside)
    Report.objects.filter(pk=report_out.pk).update(
        created_at=dt.datetime.combine(outside, dt.time(9), tzinfo=dt.UTC)
    )
    attachment = Attachment.objects.create(
        report=report_in,
        original_name="汇报附件.pdf",
        stored_name=uuid.uuid4().hex,
        content_type="application/pdf",
        size=10,
        uploaded_by=account_for(posting.cadre),
    )
    WarningFactory(posting=posting, occurred_on=inside, description="本期迟到")
    WarningFactory(
        posting=posting,
        occurred_on=inside,
        description="本期误报",
        status="revoked",
        revoke_reason="核实有误",
        revoked_by=org_a,
    )
    WarningFactory(posting=posting, occurred_on=outside, description="上期迟到")
    TalkFactory(posting=posting, talked_on=inside, talker="本期谈话人")
    TalkFactory(posting=posting, talked_on=outside, talker="上期谈话人")
    TrainingFactory(
        posting=posting, start_date=inside, end_date=inside, name="本期培训班"
    )
    CommendationFactory(posting=posting, awarded_on=outside, title="上期表扬")
    WorkLogFactory(posting=posting, date=inside)
    WorkLogFactory(posting=posting, date=outside)

    body = login(host_a).get(url(assessment)).content.decode()
    record = body[body.index('id="record"') :]
    for shown in ("本期修缮村道三公里", "本期半年汇报", "本期迟到", "本期误报"):
        assert shown in record
    for shown in ("核实有误", "已撤销", "本期谈话人", "本期培训班", "汇报附件.pdf"):
        assert shown in record
    assert reverse("cadres:attachment", args=[attachment.pk]) in record
    for hidden in (
        "旧月份的工作",
        "上期半年汇报",
        "上期迟到",
        "上期谈话人",
        "上期表扬",
    ):
        assert hidden not in record
    assert "工作日志 1 篇" in record
    assert "谈心谈话 1 次，培训 1 次，表扬 0 次" in record
    note = world.a.note
    assert f"出勤 {note.days_present} 天" in record


def _add_records(posting, n, first):
    """n records of each kind on the days (and months) numbered from `first`,
    each by its own author, each report with a file."""
    start = posting.start_date
    for i in range(first, first + n):
        day = start + dt.timedelta(days=i)
        author = UserFactory(role=Role.HOST_LEADER, unit=posting.receiving_unit)
        MonthlyNoteFactory(posting=posting, month=months_ago(3 + i), author=author)
        WorkLogFactory(posting=posting, date=day)
        report = ReportFactory(posting=posting, due_date=day, title=f"汇报{i}号")
        Attachment.objects.create(
            report=report,
            original_name=f"附件{i}号.pdf",
            stored_name=uuid.uuid4().hex,
            content_type="application/pdf",
            size=10,
            uploaded_by=account_for(posting.cadre),
        )
        WarningFactory(posting=posting, occurred_on=day, author=author)
        TalkFactory(posting=posting, talked_on=day, author=author)
        TrainingFactory(posting=posting, start_date=day, end_date=day, author=author)
        CommendationFactory(posting=posting, awarded_on=day, author=author)


def _count(client, target) -> tuple[int, str]:
    queries, response = count_queries(client, target)
    return queries, response.content.decode()


def test_the_evaluation_page_runs_the_same_queries_for_5_and_50_records(
    login, host_a, org_a, world
):
    posting = world.a.posting
    round_ = make_round(
        org_a, [posting], period_start=months_ago(60), period_end=dt.date.today()
    )
    assessment = round_.assessments.get()
    save(assessment, host_a, scores={"de": 80})
    client = login(host_a)
    _add_records(posting, 5, 0)
    client.get(url(assessment))
    five, body = _count(client, url(assessment))
    assert body.count("<details") == (5 + 1) + 5  # notes (and the world's), reports
    _add_records(posting, 45, 5)
    fifty, body = _count(client, url(assessment))
    assert body.count("<details") == (50 + 1) + 50
    assert all(f"附件{i}号.pdf" in body for i in range(50))
    assert "工作日志 50 篇" in body
    assert "谈心谈话 50 次，培训 50 次，表扬 50 次" in body
    assert fifty == five, f"{five} queries for 5 records, {fifty} for 50"


# --- 待评价 -------------------------------------------------------------------


def _assessments(tree, org, n, receiving_unit, name):
    """n postings received by `receiving_unit`, in one collecting round."""
    postings = []
    for _ in range(n):
        home = UnitFactory(parent=tree.county_a)
        postings.append(
            PostingFactory(
                cadre=CadreFactory(unit=home),
                sending_unit=home,
                receiving_unit=receiving_unit,
            )
        )
    make_round(org, postings, name=name)
    return [p.cadre.name for p in postings]


@pytest.mark.parametrize("persona", ["host_a", "org_a"])
def test_my_tasks_runs_the_same_queries_for_5_and_50_rows(
    login, tree, personas, settings, persona
):
    settings.PAGE_SIZE = 100
    user = personas[persona]
    org = personas["org_a"]
    client = login(user)
    target = reverse("assessment:my_tasks")
    shown = _assessments(tree, org, 5, tree.township_a1, "甲县第一轮")
    client.get(target)
    five, body = _count(client, target)
    assert all(name in body for name in shown)
    shown += _assessments(tree, org, 45, tree.township_a1, "甲县第二轮")
    fifty, body = _count(client, target)
    assert all(name in body for name in shown)
    assert fifty == five, f"{five} queries for 5 rows, {fifty} for 50"


def test_my_tasks_lists_pending_first_then_submitted(login, host_a, org_a, world):
    other = PostingFactory(
        cadre=CadreFactory(name="诸葛已交", unit=world.a.posting.sending_unit),
        sending_unit=world.a.posting.sending_unit,
        receiving_unit=world.a.posting.receiving_unit,
    )
    round_ = make_round(org_a, [world.a.posting, other])
    done = round_.assessments.get(posting=other)
    save(done, host_a, scores=dict.fromkeys(FULL, 85), submit=True)
    body = login(host_a).get(reverse("assessment:my_tasks"), {"sort": "-cadre"})
    html = body.content.decode()
    assert html.index(CADRE_A_NAME) < html.index("已提交（供查阅）")
    assert html.index("已提交（供查阅）") < html.index("诸葛已交")
    assert "尚有 1 项考核待评价" in html
    assert url(done) in html


def test_my_tasks_holds_only_collecting_rounds_in_scope(
    login, host_a, host_b, org_a, org_b, world
):
    make_round(org_a, [world.a.posting], status=Round.Status.OPEN, name="筹备轮")
    make_round(org_a, [world.a.posting], status=Round.Status.CLOSED, name="结束轮")
    make_round(org_a, [world.a.posting], name="评分轮")
    make_round(org_b, [world.b.posting], name="乙县评分轮")
    for user, mine, other in (
        (host_a, CADRE_A_NAME, CADRE_B_NAME),
        (org_a, CADRE_A_NAME, CADRE_B_NAME),
        (host_b, CADRE_B_NAME, CADRE_A_NAME),
        (org_b, CADRE_B_NAME, CADRE_A_NAME),
    ):
        html = login(user).get(reverse("assessment:my_tasks")).content.decode()
        table = html[html.index('id="task-table"') :]
        assert mine in table and other not in table
        assert "筹备轮" not in table and "结束轮" not in table


def test_the_posting_page_links_to_the_evaluation(
    login, host_a, org_a, home_a, round_a, world
):
    assessment = round_a.assessments.get()
    page = world.a.posting.get_absolute_url()
    assert url(assessment, "host") in login(host_a).get(page).content.decode()
    assert url(assessment, "org") in login(org_a).get(page).content.decode()
    assert 'id="evaluation-tasks"' not in login(home_a).get(page).content.decode()
