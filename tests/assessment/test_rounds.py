"""考核轮次: creating a round from a batch or chosen postings, scope, editing
while open, the open → collecting → closed life with its events, the list
and detail pages, and the rounds the system proposes by itself."""

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.config import default_config
from assessment.models import (
    Assessment,
    Ballot,
    BallotCode,
    BallotSession,
    Evaluation,
    RaterGroup,
    Round,
    RoundEvent,
)
from cadres.models import Unit
from postings.models import Batch, Posting
from tests.assessment.factories import make_round, make_version
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, form_errors
from tests.factories import CadreFactory, PostingFactory, UnitFactory, UserFactory

PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 10, 31))


def posting_in(county, **fields) -> Posting:
    """A posting from a fresh organ of `county` to a fresh township of it."""
    home = UnitFactory(parent=county)
    return PostingFactory(
        cadre=CadreFactory(unit=home),
        sending_unit=home,
        receiving_unit=UnitFactory(parent=county, kind=Unit.Kind.TOWNSHIP),
        **fields,
    )


def make_batch(name, unit, by) -> Batch:
    return Batch.objects.create(
        name=name, year=2026, unit=unit, kinds=["downward"], created_by=by
    )


@pytest.fixture
def version_a(org_a):
    return make_version(org_a, name="甲县挂职干部考核办法")


def create(by, postings=None, *, unit=None, version, batch=None, **fields):
    return services.round_create(
        by=by,
        name=fields.pop("name", "2026年平时考核"),
        kind=fields.pop("kind", Round.Kind.REGULAR),
        unit=unit or by.unit,
        template=version.template,
        period_start=fields.pop("period_start", PERIOD[0]),
        period_end=fields.pop("period_end", PERIOD[1]),
        batch=batch,
        postings=postings,
    )


def round_form(name, unit, version, **fields) -> dict:
    """The POST of the new-round form over PERIOD."""
    return {
        "name": name,
        "kind": "regular",
        "unit": getattr(unit, "pk", unit),
        "template": version.template_id,
        "period_start": f"{PERIOD[0]}",
        "period_end": f"{PERIOD[1]}",
        **fields,
    }


def flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- The shared guard -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "needed", "message"),
    [
        (Round.Status.CLOSED, Round.Status.COLLECTING, "本轮考核已结束，不能再修改。"),
        (Round.Status.OPEN, Round.Status.COLLECTING, "本轮考核尚未开始评分。"),
        (Round.Status.COLLECTING, Round.Status.OPEN, "本轮考核已开始评分，不能再调整"),
    ],
)
def test_the_guard_says_why_in_the_rounds_own_terms(status, needed, message):
    round_ = Round(status=status)
    with pytest.raises(ValidationError) as caught:
        services.require_round_status(round_, needed)
    assert message in caught.value.messages[0]
    services.require_round_status(round_, status)  # the right state passes


# --- Creating a round -------------------------------------------------------


def test_a_round_from_a_batch_holds_its_started_postings_in_the_period(
    org_a, tree, version_a
):
    batch = make_batch("2026年第一批", tree.county_a, org_a)
    active = posting_in(tree.county_a, batch=batch)
    completed = posting_in(tree.county_a, batch=batch, status=Posting.Status.COMPLETED)
    posting_in(tree.county_a, batch=batch, status=Posting.Status.PROPOSED)
    posting_in(  # starts after the period
        tree.county_a, batch=batch, start_date=dt.date(2026, 11, 15)
    )
    posting_in(tree.county_a)  # not in the batch
    round_ = create(org_a, version=version_a, batch=batch)
    assert round_.batch == batch
    assert round_.status == Round.Status.OPEN
    assert round_.template_version == version_a
    assert set(round_.assessments.values_list("posting", flat=True)) == {
        active.pk,
        completed.pk,
    }
    # Each assessment's creation is in its history.
    assert Assessment.history.filter(round_id=round_.pk).count() == 2


def test_a_batch_with_nothing_to_assess_in_the_period_is_refused(
    org_a, tree, version_a
):
    batch = make_batch("空批次", tree.county_a, org_a)
    posting_in(tree.county_a, batch=batch, status=Posting.Status.PROPOSED)
    with pytest.raises(ValidationError, match="没有已到岗的挂职"):
        create(org_a, version=version_a, batch=batch)
    assert not Round.objects.exists()


def test_a_round_of_chosen_postings_through_the_form(login, org_a, tree, version_a):
    chosen = [posting_in(tree.county_a) for _ in range(3)]
    left_out = posting_in(tree.county_a)
    client = login(org_a)
    page = client.get(reverse("assessment:round_create"))
    body = page.content.decode()
    assert left_out.cadre.name in body  # listed on the checklist
    assert 'name="postings"' in body and 'id="picker-q"' in body
    response = client.post(
        reverse("assessment:round_create"),
        round_form(
            "甲县2026年度平时考核",
            tree.county_a,
            version_a,
            source="postings",
            postings=[p.pk for p in chosen],
        ),
    )
    round_ = Round.objects.get(name="甲县2026年度平时考核")
    assert response.status_code == 302 and response.url == round_.get_absolute_url()
    assert round_.created_by == org_a
    assert round_.batch is None
    assert sorted(round_.assessments.values_list("posting", flat=True)) == sorted(
        p.pk for p in chosen
    )


def test_a_round_from_a_batch_through_the_form(login, org_a, tree, version_a):
    batch = make_batch("2026年第二批", tree.county_a, org_a)
    posting = posting_in(tree.county_a, batch=batch)
    stray = posting_in(tree.county_a)
    response = login(org_a).post(
        reverse("assessment:round_create"),
        round_form(
            "第二批中期考核",
            tree.county_a.pk,
            version_a,
            kind="midterm",
            source="batch",
            batch=batch.pk,
            postings=[stray.pk],  # ignored: the batch decides
        ),
    )
    assert response.status_code == 302
    round_ = Round.objects.get()
    assert round_.kind == Round.Kind.MIDTERM
    assert list(round_.assessments.values_list("posting", flat=True)) == [posting.pk]


def test_choosing_batch_without_a_batch_keeps_the_input(login, org_a, tree, version_a):
    posting = posting_in(tree.county_a)
    response = login(org_a).post(
        reverse("assessment:round_create"),
        round_form(
            "未选批次",
            tree.county_a.pk,
            version_a,
            source="batch",
            postings=[posting.pk],
        ),
    )
    assert response.status_code == 200
    assert "请选择批次" in form_errors(response)
    assert response.context["form"]["name"].value() == "未选批次"
    assert not Round.objects.exists()


def test_postings_outside_the_rounds_unit_are_refused(org_city, world, tree):
    version = make_version(org_city)
    with pytest.raises(ValidationError) as caught:
        create(
            org_city,
            [world.a.posting, world.b.posting],
            unit=tree.county_a,
            version=version,
            period_start=dt.date(2026, 3, 1),
            period_end=dt.date(2026, 10, 31),
        )
    message = " ".join(caught.value.messages)
    assert "不在甲县范围内" in message and CADRE_B_NAME in message
    assert CADRE_A_NAME not in message
    assert not Round.objects.exists() and not Assessment.objects.exists()


def test_another_countys_posting_cannot_even_be_chosen(login, org_a, world, version_a):
    response = login(org_a).post(
        reverse("assessment:round_create"),
        round_form(
            "越权",
            world.a.posting.sending_unit.parent_id,
            version_a,
            source="postings",
            postings=[world.b.posting.pk],
        ),
    )
    assert response.status_code == 200
    assert CADRE_B_NAME not in response.content.decode()
    assert not Round.objects.exists()


def test_a_round_is_held_in_the_jurisdiction_with_a_template_it_may_use(
    org_a, org_b, org_city, world, tree, version_a
):
    with pytest.raises(ValidationError, match="只能在本管辖范围内组织考核"):
        create(org_a, [world.a.posting], unit=tree.county_b, version=version_a)
    version_b = make_version(org_b, name="乙县方案")
    with pytest.raises(ValidationError, match="只能用于该单位及其下级单位的考核"):
        create(org_city, [world.a.posting], unit=tree.county_a, version=version_b)
    with pytest.raises(ValidationError, match="请选择本管辖范围可用的考核方案"):
        create(org_a, [world.a.posting], version=version_b)
    assert not Round.objects.exists()


def test_proposed_and_non_overlapping_postings_are_refused(org_a, tree, version_a):
    proposed = posting_in(tree.county_a, status=Posting.Status.PROPOSED)
    later = posting_in(tree.county_a, start_date=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError) as caught:
        create(org_a, [proposed, later], version=version_a)
    message = " ".join(caught.value.messages)
    assert f"尚未到岗（拟派），不能参加考核：{proposed.cadre.name}" in message
    assert f"不重叠：{later.cadre.name}" in message
    assert not Round.objects.exists()


def test_a_new_round_starts_with_the_templates_latest_version(org_a, world, version_a):
    config = default_config()
    config["dimensions"].update(ji=40, lian=5)
    v2 = services.template_revise(
        template=version_a.template, by=org_a, config=config, note="v2"
    )
    round_ = create(
        org_a,
        [world.a.posting],
        version=version_a,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 11, 1),
    )
    assert round_.template_version == v2


def test_the_database_backs_one_assessment_per_posting(org_a, world, version_a):
    round_ = make_round(org_a, [world.a.posting], version=version_a)
    with pytest.raises(ValidationError, match="已在本轮考核中"):
        services._add_assessments(round_, [world.a.posting.pk], org_a)
    assert round_.assessments.count() == 1


# --- Editing while open -----------------------------------------------------


@pytest.fixture
def open_round(org_a, tree, version_a):
    postings = [posting_in(tree.county_a) for _ in range(3)]
    return make_round(
        org_a,
        postings,
        status=Round.Status.OPEN,
        version=version_a,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
    )


def update(round_, by, postings, *, name="x", period=PERIOD):
    return services.round_update(
        round_=round_,
        by=by,
        name=name,
        period_start=period[0],
        period_end=period[1],
        postings=postings,
    )


def _edit_data(round_, postings, **fields):
    return {
        "name": fields.get("name", round_.name),
        "period_start": fields.get("period_start", f"{round_.period_start}"),
        "period_end": fields.get("period_end", f"{round_.period_end}"),
        "postings": [p.pk for p in postings],
    }


def test_an_open_round_changes_name_period_and_postings(login, org_a, tree, open_round):
    keep, drop, _third = (a.posting for a in open_round.assessments.order_by("pk"))
    new = posting_in(tree.county_a)
    client = login(org_a)
    url = reverse("assessment:round_edit", args=[open_round.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{keep.pk}" id="posting-{keep.pk}" checked' in page.content.decode()
    response = client.post(
        url,
        _edit_data(
            open_round, [keep, new, _third], name="改名后", period_end="2026-09-30"
        ),
    )
    assert response.status_code == 302
    open_round.refresh_from_db()
    assert open_round.name == "改名后"
    assert open_round.period_end == dt.date(2026, 9, 30)
    assert set(open_round.assessments.values_list("posting", flat=True)) == {
        keep.pk,
        new.pk,
        _third.pk,
    }
    assert open_round.history.first().history_user == org_a
    # The removed assessment's history says it was deleted, and by whom.
    gone = Assessment.history.filter(posting_id=drop.pk).first()
    assert gone.history_type == "-" and gone.history_user == org_a


@pytest.mark.parametrize("started", ["evaluation", "ballot"])
def test_an_assessment_with_evaluations_or_ballots_stays_in_the_round(
    login, org_a, open_round, started
):
    assessment = open_round.assessments.order_by("pk").first()
    if started == "evaluation":
        Evaluation.objects.create(
            assessment=assessment, source="org", author=org_a, scores={}
        )
    else:
        BallotSession.objects.create(
            assessment=assessment, min_turnout_pct=60, opened_by=org_a
        )
    others = [a.posting for a in open_round.assessments.exclude(pk=assessment.pk)]
    response = login(org_a).post(
        reverse("assessment:round_edit", args=[open_round.pk]),
        _edit_data(open_round, others, name="不应保存"),
    )
    assert response.status_code == 200
    assert (
        f"已有评价或民主测评，不能移出本轮考核：{assessment.posting.cadre.name}"
        in form_errors(response)
    )
    open_round.refresh_from_db()
    assert open_round.name != "不应保存"
    assert open_round.assessments.count() == 3


def test_a_round_cannot_be_emptied(org_a, open_round):
    with pytest.raises(ValidationError, match="至少须有一项挂职"):
        update(open_round, org_a, [], name="x")
    assert open_round.assessments.count() == 3


def test_a_collecting_round_keeps_its_postings_and_period(login, org_a, round_a):
    with pytest.raises(ValidationError, match="已开始评分，不能再调整考核对象和考核期"):
        update(
            round_a,
            org_a,
            [],
            name="x",
            period=(round_a.period_start, round_a.period_end),
        )
    response = login(org_a).get(
        reverse("assessment:round_edit", args=[round_a.pk]), follow=True
    )
    assert "已开始评分" in flash(response)


# --- Transitions ------------------------------------------------------------


def _move(client, round_, action, reason=""):
    url = reverse("assessment:round_transition", args=[round_.pk, action])
    return client.post(url, {"reason": reason}, follow=True)


def test_starting_records_who_and_when(login, org_a, open_round):
    response = _move(login(org_a), open_round, "start", "材料齐全")
    assert "已办理“开始评分”" in flash(response)
    open_round.refresh_from_db()
    assert open_round.status == Round.Status.COLLECTING
    event = open_round.events.get()
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "open",
        "collecting",
        org_a,
        "材料齐全",
    )
    assert 'id="round-events"' in response.content.decode()
    assert "材料齐全" in response.content.decode()


def test_an_empty_round_does_not_start(org_a, version_a):
    round_ = make_round(org_a, [], status=Round.Status.OPEN, version=version_a)
    with pytest.raises(ValidationError, match="还没有考核对象"):
        services.round_transition(round_=round_, action="start", by=org_a)
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN


def _session(assessment, by, *, cast=0, codes=4):
    session = BallotSession.objects.create(
        assessment=assessment, min_turnout_pct=50, opened_by=by
    )
    group = RaterGroup.objects.create(
        session=session, name="中层干部", weight=100, size=codes
    )
    for i in range(codes):
        BallotCode.objects.create(
            group=group, code=f"C{assessment.pk}-{i}-{session.pk}", used=i < cast
        )
    for _ in range(cast):
        Ballot.objects.create(
            group=group, cast_on=dt.date(2026, 11, 1), grades={"de": "excellent"}
        )
    return session


def test_closing_closes_ballot_sessions_then_stores_results_in_one_go(
    login, org_a, round_a, monkeypatch
):
    assessment = round_a.assessments.get()
    session = _session(assessment, org_a, cast=3)
    seen = []

    def spy(round_, **kwargs):
        seen.append(
            (round_.pk, BallotSession.objects.get(pk=session.pk).status, kwargs)
        )

    monkeypatch.setattr("assessment.results.store_results", spy)
    client = login(org_a)
    url = reverse("assessment:round_transition", args=[round_a.pk, "close"])
    state = client.get(url).context["gaps"].state  # the list asks first
    response = client.post(url, {"state": state, "confirm": "1"}, follow=True)
    assert "已办理“结束考核”" in flash(response)
    assert seen == [(round_a.pk, "closed", {"by": org_a})]
    session.refresh_from_db()
    assert session.status == "closed" and session.closed_at is not None
    assert session.history.first().history_user == org_a
    round_a.refresh_from_db()
    assert round_a.status == Round.Status.CLOSED and round_a.closed_at is not None
    assert round_a.events.get().to_status == "closed"


def test_closing_stores_the_results(org_a, round_a):
    services.round_transition(round_=round_a, action="close", by=org_a)
    round_a.refresh_from_db()
    assert round_a.is_closed
    assert round_a.assessments.get().detail != {}  # computed and stored


def test_if_storing_results_fails_nothing_closes(org_a, round_a, monkeypatch):
    session = _session(round_a.assessments.get(), org_a)

    def broken(round_, **kwargs):
        raise ValidationError("计算失败")

    monkeypatch.setattr("assessment.results.store_results", broken)
    with pytest.raises(ValidationError):
        services.round_transition(round_=round_a, action="close", by=org_a)
    round_a.refresh_from_db()
    session.refresh_from_db()
    assert round_a.status == Round.Status.COLLECTING
    assert session.status == "open"
    assert not RoundEvent.objects.exists()


@pytest.fixture
def closed_round(org_a, tree, version_a):
    return make_round(
        org_a,
        [posting_in(tree.county_a)],
        status=Round.Status.CLOSED,
        version=version_a,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
    )


def test_a_closed_round_refuses_every_write(login, org_a, tree, closed_round):
    client = login(org_a)
    edit = reverse("assessment:round_edit", args=[closed_round.pk])
    before = list(closed_round.assessments.values_list("posting", flat=True))
    extra = posting_in(tree.county_a)
    for method in ("get", "post"):
        response = getattr(client, method)(
            edit, _edit_data(closed_round, [extra], name="改不了"), follow=True
        )
        assert "本轮考核已结束，不能再修改" in flash(response)
    for action in ("start", "close"):
        response = _move(client, closed_round, action)
        assert "本轮考核已结束，不能再修改" in flash(response)
    with pytest.raises(ValidationError, match="本轮考核已结束"):
        update(closed_round, org_a, [extra], name="改不了")
    closed_round.refresh_from_db()
    assert closed_round.status == Round.Status.CLOSED
    assert closed_round.name != "改不了"
    assert list(closed_round.assessments.values_list("posting", flat=True)) == before
    assert not closed_round.events.exists()


def test_reopening_needs_a_reason_and_is_recorded(login, org_a, closed_round):
    client = login(org_a)
    response = _move(client, closed_round, "reopen", "   ")
    assert "重新开启考核须写明理由" in flash(response)
    closed_round.refresh_from_db()
    assert closed_round.status == Round.Status.CLOSED
    response = _move(client, closed_round, "reopen", "民主测评票数录入有误")
    assert "已办理“重新开启”" in flash(response)
    closed_round.refresh_from_db()
    assert closed_round.status == Round.Status.COLLECTING
    assert closed_round.closed_at is None
    event = closed_round.events.get()
    assert (event.from_status, event.to_status) == ("closed", "collecting")
    assert (event.reason, event.by) == ("民主测评票数录入有误", org_a)
    assert "民主测评票数录入有误" in response.content.decode()


def test_only_a_closed_round_reopens(org_a, round_a):
    with pytest.raises(ValidationError, match="尚未结束，无需重新开启"):
        services.round_transition(
            round_=round_a, action="reopen", by=org_a, reason="试试"
        )


def test_an_unknown_action_is_not_found(login, org_a, round_a):
    url = reverse("assessment:round_transition", args=[round_a.pk, "delete"])
    assert login(org_a).post(url).status_code == 404
    assert login(org_a).get(url).status_code == 405


# --- Scope ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["org_b", "host_a", "home_a", "cadre_user"])
def test_round_pages_of_county_a_do_not_exist_for_others(
    login, personas, round_a, persona
):
    client = login(personas[persona])
    urls = [
        reverse("assessment:round_detail", args=[round_a.pk]),
        reverse("assessment:round_edit", args=[round_a.pk]),
        reverse("assessment:round_transition", args=[round_a.pk, "close"]),
    ]
    for url in urls:
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(urls[0]).status_code == 404
    round_a.refresh_from_db()
    assert round_a.status == Round.Status.COLLECTING


def test_the_city_sees_its_counties_rounds(login, org_city, round_a):
    assert login(org_city).get(round_a.get_absolute_url()).status_code == 200


# --- The list page ----------------------------------------------------------


def test_the_list_filters_counts_and_links(login, org_a, org_b, world, tree, version_a):
    make_round(org_a, [world.a.posting], version=version_a, name="甲县评分中")
    make_round(
        org_a,
        [],
        status=Round.Status.OPEN,
        kind=Round.Kind.MIDTERM,
        version=version_a,
        name="甲县筹备中",
    )
    make_round(
        org_a,
        [],
        status=Round.Status.CLOSED,
        version=version_a,
        name="甲县去年",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    make_round(org_b, [world.b.posting], name="乙县评分中")
    client = login(org_a)
    page = client.get(reverse("assessment:round_list"))
    body = page.content.decode()
    assert "甲县评分中" in body and "甲县筹备中" in body and "甲县去年" in body
    assert "乙县评分中" not in body
    assert reverse("assessment:round_create") in body
    assert reverse("assessment:template_list") in body
    counts = {v: n for v, _label, n, _q in page.context["status_counts"]}
    assert counts == {"open": 1, "collecting": 1, "closed": 1}
    assert page.context["form"].fields["year"].choices[1:] == [
        (2026, "2026年"),
        (2025, "2025年"),
    ]
    names = lambda r: [x.name for x in r.context["rounds"]]  # noqa: E731
    assert names(client.get(reverse("assessment:round_list"), {"kind": "midterm"})) == [
        "甲县筹备中"
    ]
    assert names(client.get(reverse("assessment:round_list"), {"year": "2025"})) == [
        "甲县去年"
    ]
    by_status = client.get(reverse("assessment:round_list"), {"status": "open"})
    assert names(by_status) == ["甲县筹备中"]
    # The tabs still count every status under the other filters.
    assert {v: n for v, _l, n, _q in by_status.context["status_counts"]}["closed"] == 1
    by_name = client.get(reverse("assessment:round_list"), {"sort": "name"})
    assert names(by_name) == sorted(names(by_name))


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_list_runs_the_same_queries_for_5_and_50_rounds(
    login, org_city, tree, settings
):
    settings.PAGE_SIZE = 100

    def add(n):
        names = []
        for _ in range(n):
            county = UnitFactory(parent=tree.city, kind=Unit.Kind.REGION)
            staff = UserFactory(unit=county)
            round_ = make_round(staff, [posting_in(county)], name=f"考核{county.pk}")
            names.append(round_.name)
        return names

    client = login(org_city)
    url = reverse("assessment:round_list")
    shown = add(5)
    client.get(url)
    five, response = _count(client, url)
    assert all(n in response.content.decode() for n in shown)
    shown += add(45)
    fifty, response = _count(client, url)
    assert all(n in response.content.decode() for n in shown)
    assert fifty == five


# --- The detail page --------------------------------------------------------


def test_the_detail_page_shows_period_version_events_and_links(
    login, org_a, round_a, host_a
):
    assessment = round_a.assessments.get()
    Evaluation.objects.create(
        assessment=assessment,
        source="host",
        author=host_a,
        scores={"de": 90},
        status="submitted",
        submitted_at=timezone.now(),
    )
    _session(assessment, org_a, cast=3, codes=4)
    RoundEvent.objects.create(
        round=round_a, from_status="open", to_status="collecting", by=org_a
    )
    response = login(org_a).get(round_a.get_absolute_url())
    body = response.content.decode()
    assert CADRE_A_NAME in body
    assert f"{round_a.period_start:%Y-%m-%d} ~ {round_a.period_end:%Y-%m-%d}" in body
    version = round_a.template_version
    assert (
        reverse("assessment:template_detail", args=[version.template_id])
        + f"#version-{version.number}"
    ) in body
    assert reverse("assessment:evaluate", args=[assessment.pk, "host"]) in body
    assert reverse("assessment:evaluate", args=[assessment.pk, "org"]) in body
    assert reverse("assessment:ballot_session", args=[assessment.pk]) in body
    assert "3/4（75%）" in body
    assert reverse("assessment:assessment_detail", args=[assessment.pk]) in body
    assert 'data-action="close"' in body
    assert "已提交" in body
    assert "筹备中 → 评分中" in body


def test_the_detail_page_of_a_closed_round_shows_scores_and_results(
    login, org_a, closed_round
):
    Assessment.objects.filter(round=closed_round).update(
        score="91.50", grade="excellent", rank=1
    )
    body = login(org_a).get(closed_round.get_absolute_url()).content.decode()
    assert "91.50" in body and "优秀" in body
    assert reverse("assessment:round_results", args=[closed_round.pk]) in body
    assert 'data-action="reopen"' in body
    assert reverse("assessment:round_edit", args=[closed_round.pk]) not in body


def test_the_detail_page_runs_the_same_queries_for_5_and_50_assessments(
    login, org_a, tree, version_a
):
    round_ = make_round(org_a, [], version=version_a)

    def add(n):
        names = []
        for i in range(n):
            posting = posting_in(tree.county_a)
            assessment = Assessment.objects.create(round=round_, posting=posting)
            author = UserFactory(unit=tree.county_a)
            Evaluation.objects.create(
                assessment=assessment, source="org", author=author, scores={}
            )
            if i % 2:
                _session(assessment, author, cast=1, codes=2)
            names.append(posting.cadre.name)
        return names

    client = login(org_a)
    url = round_.get_absolute_url()
    shown = add(5)
    client.get(url)
    five, response = _count(client, url)
    assert all(n in response.content.decode() for n in shown)
    shown += add(45)
    fifty, response = _count(client, url)
    body = response.content.decode()
    assert all(n in body for n in shown)
    assert body.count("1/2（50%）") == 2 + 22  # odd i of 5 and of 45
    assert fifty == five


# --- Rounds the system proposes ---------------------------------------------

TODAY = dt.date(2026, 11, 21)


def midterm_due(county, **fields):
    """Mid-term 2026-10-31 (reached), end 2027-07-01 (not yet due)."""
    return posting_in(
        county,
        start_date=dt.date(2026, 3, 1),
        planned_end_date=dt.date(2027, 7, 1),
        **fields,
    )


def final_due(county, **fields):
    """Ends 2026-12-10: within the 30 days ahead of TODAY."""
    return posting_in(
        county,
        start_date=dt.date(2025, 12, 10),
        planned_end_date=dt.date(2026, 12, 10),
        **fields,
    )


def test_due_postings_are_proposed_per_jurisdiction_kind_and_month(
    org_a, tree, version_a, caplog
):
    mid1, mid2 = midterm_due(tree.county_a), midterm_due(tree.township_a1)
    end = final_due(tree.county_a)
    posting_in(  # mid-term 2027-04-01: not yet
        tree.county_a,
        start_date=dt.date(2026, 10, 1),
        planned_end_date=dt.date(2028, 6, 1),
    )
    midterm_due(tree.county_a, status=Posting.Status.PROPOSED)
    no_template = midterm_due(tree.county_b)
    with caplog.at_level(logging.WARNING, logger="assessment.services"):
        added = services.rounds_propose(today=TODAY)
    assert added == 3
    midterm = Round.objects.get(kind=Round.Kind.MIDTERM)
    assert midterm.name == "2026年11月中期考核（系统建议）"
    assert midterm.unit == tree.county_a
    assert midterm.auto_proposed and midterm.created_by is None
    assert midterm.status == Round.Status.OPEN
    assert midterm.template_version == version_a
    assert (midterm.period_start, midterm.period_end) == (
        dt.date(2026, 3, 1),
        mid1.midterm_date,
    )
    assert set(midterm.assessments.values_list("posting", flat=True)) == {
        mid1.pk,
        mid2.pk,
    }
    final = Round.objects.get(kind=Round.Kind.FINAL)
    assert final.name == "2026年11月期满考核（系统建议）"
    # A posting whose end is near is proposed for the final review only.
    assert list(final.assessments.values_list("posting", flat=True)) == [end.pk]
    assert final.period_end == dt.date(2026, 12, 10)
    assert not Assessment.objects.filter(posting=no_template).exists()
    assert "no template version" in caplog.text


def test_proposing_twice_adds_nothing(org_a, tree, version_a):
    midterm_due(tree.county_a)
    final_due(tree.county_a)
    assert services.rounds_propose(today=TODAY) == 2
    assert services.rounds_propose(today=TODAY) == 0
    assert services.rounds_propose(today=TODAY + dt.timedelta(days=3)) == 0
    assert Round.objects.count() == 2 and Assessment.objects.count() == 2


def test_later_due_postings_join_the_months_open_proposal(org_a, tree, version_a):
    midterm_due(tree.county_a)
    services.rounds_propose(today=TODAY)
    later = posting_in(
        tree.county_a,
        start_date=dt.date(2026, 1, 1),
        planned_end_date=dt.date(2027, 10, 20),  # mid-term 2026-11-25
    )
    assert services.rounds_propose(today=dt.date(2026, 11, 26)) == 1
    round_ = Round.objects.get()
    assert round_.assessments.filter(posting=later).exists()
    assert (round_.period_start, round_.period_end) == (
        dt.date(2026, 1, 1),
        later.midterm_date,
    )


def test_once_confirmed_a_proposal_takes_no_more_postings(org_a, tree, version_a):
    midterm_due(tree.county_a)
    services.rounds_propose(today=TODAY)
    first = Round.objects.get()
    services.round_transition(round_=first, action="start", by=org_a)
    midterm_due(tree.county_a)
    assert services.rounds_propose(today=TODAY) == 1
    assert first.assessments.count() == 1
    second = Round.objects.exclude(pk=first.pk).get()
    assert second.status == Round.Status.OPEN and second.auto_proposed


def test_a_posting_already_in_a_round_of_the_kind_is_not_proposed(
    org_a, tree, version_a
):
    posting = midterm_due(tree.county_a)
    make_round(org_a, [posting], kind=Round.Kind.MIDTERM, version=version_a)
    make_round(
        org_a, [final_due(tree.county_a)], kind=Round.Kind.FINAL, version=version_a
    )
    assert services.rounds_propose(today=TODAY) == 0


def test_the_nearest_units_newest_template_is_used(org_a, org_city, tree):
    city_version = make_version(org_city, name="市方案")
    midterm_due(tree.county_a)
    midterm_due(tree.county_b)
    services.rounds_propose(today=TODAY)
    # No county template: both counties use the city's.
    assert set(Round.objects.values_list("template_version", flat=True)) == {
        city_version.pk
    }
    county_version = make_version(org_a, name="县方案")
    config = default_config()
    config["dimensions"].update(ji=40, lian=5)
    newest = services.template_revise(
        template=county_version.template, by=org_a, config=config, note="v2"
    )
    midterm_due(tree.county_a)
    services.rounds_propose(today=dt.date(2026, 12, 1))
    december = Round.objects.get(name="2026年12月中期考核（系统建议）")
    assert december.template_version == newest


def test_a_batch_posting_goes_to_the_batchs_jurisdiction(org_city, tree):
    make_version(org_city, name="市方案")
    batch = make_batch("市第一批", tree.city, org_city)
    midterm_due(tree.county_a, batch=batch)
    midterm_due(tree.county_a)
    services.rounds_propose(today=TODAY)
    assert sorted(Round.objects.values_list("unit__name", flat=True)) == [
        "江州市",
        "甲县",
    ]


def test_a_proposed_round_says_so_and_is_confirmed_by_starting(
    login, org_a, tree, version_a
):
    midterm_due(tree.county_a)
    services.rounds_propose(today=TODAY)
    round_ = Round.objects.get()
    client = login(org_a)
    body = client.get(round_.get_absolute_url()).content.decode()
    assert 'id="auto-proposed"' in body and "系统根据挂职的中期考核日期" in body
    listing = client.get(reverse("assessment:round_list")).content.decode()
    assert "系统建议" in listing
    _move(client, round_, "start")
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING
    assert round_.events.get().by == org_a


def test_proposing_runs_the_same_queries_for_5_and_50_postings(tree, version_a):
    def run(today):
        with CaptureQueriesContext(connection) as queries:
            added = services.rounds_propose(today=today)
        return len(queries), added

    for _ in range(5):
        midterm_due(tree.county_a)
    five, added = run(TODAY)
    assert added == 5
    for _ in range(50):
        midterm_due(tree.township_a1)
    fifty, added = run(dt.date(2026, 12, 1))  # a new month: a new round again
    assert added == 50
    assert fifty == five


def test_the_task_proposes_and_is_scheduled(org_a, tree, version_a, settings):
    from assessment.tasks import propose_rounds

    posting_in(
        tree.county_a,
        start_date=timezone.localdate() - dt.timedelta(days=200),
        planned_end_date=timezone.localdate() + dt.timedelta(days=100),
    )
    assert propose_rounds() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["assessment-propose-rounds"]
    assert schedule["task"] == "assessment.tasks.propose_rounds"


def test_nothing_due_means_no_queries_beyond_the_lookup(tree, version_a):
    with CaptureQueriesContext(connection) as queries:
        assert services.rounds_propose(today=TODAY) == 0
    # the settings (one read), two look-ups and the transaction around them
    assert len(queries) <= 5
