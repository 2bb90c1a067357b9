"""Creating and editing postings: the rules every posting keeps (DOMAIN.md 1-4).

A posting is created as 拟派 (proposed) whatever the form or the caller says;
activation, completion and ending early are transitions, tested in
test_lifecycle.py. Soft rules (2 and 3) refuse the save until a reason is
given, and the reason is kept with the name of who gave it.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cadres.models import Rank
from postings import services
from postings.models import (
    Batch,
    PostCategory,
    Posting,
    RuleOverride,
    StatusChange,
    midpoint,
)
from tests.conftest import form_errors
from tests.factories import CadreFactory, PostingFactory, UnitFactory

TODAY = timezone.localdate()


def _form(cadre, sending, receiving, **changes) -> dict:
    data = {
        "cadre": cadre.pk,
        "kind": "downward",
        "sending_unit": sending.pk,
        "receiving_unit": receiving.pk,
        "title": "乡镇长助理",
        "category": PostCategory.TOWNSHIP_LEADER,
        "start_date": "2026-01-01",
        "planned_end_date": "2027-01-01",
    }
    data.update(changes)
    return data


def _create(by, cadre, receiving, **fields) -> Posting:
    """posting_create with a valid default for everything not given."""
    values = {
        "cadre": cadre,
        "kind": Posting.Kind.DOWNWARD,
        "sending_unit": cadre.unit,
        "receiving_unit": receiving,
        "title": "乡镇长助理",
        "category": PostCategory.TOWNSHIP_LEADER,
        "start_date": TODAY,
        "planned_end_date": TODAY + dt.timedelta(days=365),
    }
    values.update(fields)
    return services.posting_create(by=by, **values)


@pytest.fixture
def free_cadre(tree):
    """A county-A cadre (正科) with no posting yet."""
    return CadreFactory(name="周新来", unit=tree.organ_a, rank=Rank.SECTION)


# --- Creating and editing ----------------------------------------------------


def test_org_staff_creates_a_proposed_posting_through_the_form(
    login, org_a, tree, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1, mentor="王书记"),
    )
    posting = Posting.objects.get(cadre=free_cadre)
    assert response.status_code == 302
    assert response["Location"] == posting.get_absolute_url()
    assert posting.status == Posting.Status.PROPOSED
    assert posting.created_by == org_a
    assert posting.mentor == "王书记"
    assert posting.category == PostCategory.TOWNSHIP_LEADER
    assert (posting.start_date, posting.planned_end_date) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 1, 1),
    )
    assert posting.history.get().history_user == org_a


def test_a_status_posted_with_the_form_is_ignored(login, org_a, tree, free_cadre):
    login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1, status="active"),
    )
    assert Posting.objects.get(cadre=free_cadre).status == Posting.Status.PROPOSED


def test_the_service_creates_a_proposed_posting_whatever_status_it_is_given(
    org_a, tree, free_cadre
):
    posting = _create(org_a, free_cadre, tree.township_a1, status=Posting.Status.ACTIVE)
    assert posting.status == Posting.Status.PROPOSED
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PROPOSED


def test_editing_never_changes_the_status(org_a, world):
    posting = world.a.posting
    services.posting_update(
        posting=posting, by=org_a, title="党委副书记", status="completed"
    )
    posting.refresh_from_db()
    assert posting.title == "党委副书记"
    assert posting.status == Posting.Status.ACTIVE
    assert posting.ended_on is None
    assert not StatusChange.objects.filter(posting=posting).exists()


def test_the_midterm_date_is_computed_and_stored(login, org_a, tree, free_cadre):
    login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1),
    )
    stored = Posting.objects.values_list("midterm_date", flat=True).get(
        cadre=free_cadre
    )
    assert stored == dt.date(2026, 7, 2)


@pytest.mark.parametrize(
    ("start", "end", "midterm"),
    [
        (dt.date(2026, 1, 1), dt.date(2027, 1, 1), dt.date(2026, 7, 2)),
        (dt.date(2026, 3, 1), dt.date(2026, 9, 1), dt.date(2026, 6, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 3), dt.date(2026, 1, 2)),
        (dt.date(2025, 9, 1), dt.date(2028, 9, 1), dt.date(2027, 3, 3)),
    ],
)
def test_midpoint_of_a_term(start, end, midterm):
    assert midpoint(start, end) == midterm


def test_editing_the_dates_moves_the_stored_midterm_date(login, org_a, world):
    posting = world.a.posting
    data = _form(
        posting.cadre,
        posting.sending_unit,
        posting.receiving_unit,
        start_date="2026-03-01",
        planned_end_date="2026-09-01",
        title="党委副书记",
    )
    response = login(org_a).post(reverse("postings:edit", args=[posting.pk]), data)
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.title == "党委副书记"
    assert posting.midterm_date == dt.date(2026, 6, 1)
    assert posting.status == Posting.Status.ACTIVE


def test_the_create_form_is_prefilled_from_the_cadre_and_batch_pages(
    login, org_a, world
):
    cadre = world.a.cadre
    batch = Batch.objects.create(
        name="2026年第一批",
        year=2026,
        unit=org_a.unit,
        kinds=["downward"],
        created_by=org_a,
    )
    url = (
        reverse("postings:create")
        + f"?cadre={cadre.pk}&sending_unit={cadre.unit_id}&batch={batch.pk}"
    )
    form = login(org_a).get(url).context["form"]
    assert str(form.initial["cadre"]) == str(cadre.pk)
    assert str(form.initial["sending_unit"]) == str(cadre.unit_id)
    assert str(form.initial["batch"]) == str(batch.pk)
    assert "status" not in form.fields


# --- Rule 4: default terms -----------------------------------------------------


@pytest.mark.parametrize(
    ("category", "end"),
    [
        # 县(区)长助理, 乡镇党委副书记/乡镇长助理, village posts: one year.
        (PostCategory.COUNTY_ASSISTANT, dt.date(2027, 3, 15)),
        (PostCategory.TOWNSHIP_LEADER, dt.date(2027, 3, 15)),
        (PostCategory.VILLAGE, dt.date(2027, 3, 15)),
        # 市直机关 and 企业 posts: half a year.
        (PostCategory.CITY_ORGAN, dt.date(2026, 9, 15)),
        (PostCategory.ENTERPRISE, dt.date(2026, 9, 15)),
        (PostCategory.UPWARD_STUDY, dt.date(2026, 9, 15)),
        (PostCategory.OTHER, dt.date(2027, 3, 15)),
    ],
)
def test_a_blank_end_date_is_the_default_term_of_the_post_category(
    org_a, tree, free_cadre, category, end
):
    posting = _create(
        org_a,
        free_cadre,
        tree.township_a1,
        category=category,
        start_date=dt.date(2026, 3, 15),
        planned_end_date=None,
    )
    assert posting.planned_end_date == end
    assert posting.midterm_date == midpoint(dt.date(2026, 3, 15), end)


def test_the_default_term_is_filled_in_when_the_form_leaves_the_end_blank(
    login, org_a, tree, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(
            free_cadre,
            tree.organ_a,
            tree.township_a1,
            category=PostCategory.CITY_ORGAN,
            start_date="2026-04-01",
            planned_end_date="",
        ),
    )
    assert response.status_code == 302
    assert Posting.objects.get(cadre=free_cadre).planned_end_date == dt.date(
        2026, 10, 1
    )


def test_a_batch_overrides_the_default_term_of_a_category(org_a, tree, free_cadre):
    batch = Batch.objects.create(
        name="2026年第一批",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        terms={"city_organ": 9, "village": 36},
        created_by=org_a,
    )
    start = dt.date(2026, 3, 1)
    city = _create(
        org_a,
        free_cadre,
        tree.township_a1,
        batch=batch,
        category=PostCategory.CITY_ORGAN,
        start_date=start,
        planned_end_date=None,
    )
    assert city.planned_end_date == dt.date(2026, 12, 1)
    village = _create(
        org_a,
        CadreFactory(unit=tree.organ_a),
        tree.village_a1,
        batch=batch,
        category=PostCategory.VILLAGE,
        start_date=start,
        planned_end_date=None,
    )
    assert village.planned_end_date == dt.date(2029, 3, 1)  # seed 001: 2-3 years
    # A category the batch does not mention keeps the domain default.
    other = _create(
        org_a,
        CadreFactory(unit=tree.organ_a),
        tree.township_a1,
        batch=batch,
        category=PostCategory.ENTERPRISE,
        start_date=start,
        planned_end_date=None,
    )
    assert other.planned_end_date == dt.date(2026, 9, 1)


def test_an_end_date_that_is_given_wins_over_the_default_term(org_a, tree, free_cadre):
    posting = _create(
        org_a,
        free_cadre,
        tree.township_a1,
        category=PostCategory.CITY_ORGAN,
        start_date=dt.date(2026, 3, 1),
        planned_end_date=dt.date(2026, 5, 1),
    )
    assert posting.planned_end_date == dt.date(2026, 5, 1)


def test_a_default_term_from_a_month_end_lands_on_the_last_day_of_the_month(
    org_a, tree, free_cadre
):
    posting = _create(
        org_a,
        free_cadre,
        tree.township_a1,
        category=PostCategory.CITY_ORGAN,
        start_date=dt.date(2026, 8, 31),
        planned_end_date=None,
    )
    assert posting.planned_end_date == dt.date(2027, 2, 28)


# --- Rule 1: one posting in progress -------------------------------------------


def _next_posting(by, tree, world) -> Posting:
    """Cadre A's next posting, from the day the active one is planned to end
    (rule 1 refuses one that overlaps it: test_one_posting_at_a_time.py)."""
    start = world.a.posting.planned_end_date
    return _create(
        by,
        world.a.cadre,
        tree.village_a1,
        title="第一书记",
        start_date=start,
        planned_end_date=start + dt.timedelta(days=365),
    )


def test_a_cadre_in_post_may_be_proposed_for_a_next_posting(org_a, tree, world):
    proposed = _next_posting(org_a, tree, world)
    assert proposed.status == Posting.Status.PROPOSED
    assert Posting.objects.filter(cadre=world.a.cadre).count() == 2


def test_the_service_refuses_to_activate_a_second_posting_of_a_cadre(
    org_a, tree, world
):
    proposed = _next_posting(org_a, tree, world)
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(
            posting=proposed, action="activate", on=TODAY, by=org_a
        )
    [message] = caught.value.message_dict["cadre"]
    assert "甲一镇乡镇长助理" in message and "在岗" in message
    proposed.refresh_from_db()
    assert proposed.status == Posting.Status.PROPOSED
    assert not StatusChange.objects.filter(posting=proposed).exists()


def test_the_database_refuses_a_second_active_posting(tree, world):
    first = world.a.posting
    second = Posting(
        cadre=first.cadre,
        kind=Posting.Kind.UPWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.county_a,
        title="局长助理",
        start_date=dt.date(2026, 1, 1),
        planned_end_date=dt.date(2026, 7, 1),
        status=Posting.Status.ACTIVE,
        created_by=first.created_by,
    )
    second.set_midterm_date()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()  # no service, no form: only the partial unique index
    assert Posting.objects.filter(cadre=first.cadre).count() == 1
    # The same row as proposed is fine: the rule is about postings in progress.
    second.status = Posting.Status.PROPOSED
    second.save()
    assert Posting.objects.filter(cadre=first.cadre).count() == 2


def test_the_database_decides_rule_1_when_a_concurrent_activation_wins_the_race(
    org_a, tree, world, monkeypatch
):
    """The check sees no conflict (as if the other posting were activated just
    after it ran); the partial unique index refuses, with the rule's message."""
    proposed = _next_posting(org_a, tree, world)
    monkeypatch.setattr(services, "hard_rule_errors", lambda posting, by: {})
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(
            posting=proposed, action="activate", on=TODAY, by=org_a
        )
    [message] = caught.value.messages
    assert "甲一镇乡镇长助理" in message and "在岗" in message
    proposed.refresh_from_db()
    assert proposed.status == Posting.Status.PROPOSED
    assert not StatusChange.objects.filter(posting=proposed).exists()


def test_editing_an_active_posting_does_not_conflict_with_itself(org_a, world):
    posting = services.posting_update(
        posting=world.a.posting, by=org_a, portfolio="分管农业农村"
    )
    assert Posting.objects.get(pk=posting.pk).portfolio == "分管农业农村"


# --- Rule 2: at most two cadres on posting in one team (soft) --------------------


@pytest.fixture
def crowded(world, tree):
    """甲一镇 has two cadres on posting: world's cadre A (active) and one proposed."""
    PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=30),
        planned_end_date=TODAY + dt.timedelta(days=300),
        status=Posting.Status.PROPOSED,
    )
    return tree.township_a1


def _crowded_form(cadre, tree, **changes):
    return _form(
        cadre,
        tree.organ_a,
        tree.township_a1,
        start_date=f"{TODAY:%Y-%m-%d}",
        planned_end_date=f"{TODAY + dt.timedelta(days=180):%Y-%m-%d}",
        **changes,
    )


def test_a_third_cadre_in_one_team_is_refused_without_a_reason(
    login, org_a, tree, crowded, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"), _crowded_form(free_cadre, tree)
    )
    assert response.status_code == 200
    errors = form_errors(response)
    assert "甲一镇同期已有2名挂职干部（一般不超过2名）" in errors
    assert "请填写理由" in errors
    assert not Posting.objects.filter(cadre=free_cadre).exists()
    assert not RuleOverride.objects.exists()


def test_a_blank_reason_is_no_reason(org_a, tree, crowded, free_cadre):
    with pytest.raises(ValidationError) as caught:
        _create(org_a, free_cadre, crowded, override_reason="   ")
    assert caught.value.message_dict["override_reason"] == [
        "甲一镇同期已有2名挂职干部（一般不超过2名）。如确需这样安排，请填写理由。"
    ]
    assert not Posting.objects.filter(cadre=free_cadre).exists()


def test_a_third_cadre_in_one_team_is_accepted_with_a_reason_that_is_recorded(
    login, org_a, tree, crowded, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _crowded_form(free_cadre, tree, override_reason="  脱贫攻坚任务重，县委同意  "),
    )
    assert response.status_code == 302
    posting = Posting.objects.get(cadre=free_cadre)
    override = RuleOverride.objects.get(posting=posting)
    assert override.rule == RuleOverride.Rule.TEAM_LIMIT
    assert override.reason == "脱贫攻坚任务重，县委同意"
    assert override.by == org_a
    assert override.detail == "甲一镇同期已有2名挂职干部（一般不超过2名）"


def test_the_override_is_shown_on_the_posting_page(login, org_a, tree, crowded):
    posting = _create(
        org_a, CadreFactory(unit=tree.organ_a), crowded, override_reason="县委同意"
    )
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    assert 'id="overrides"' in body
    assert "同一班子挂职干部不超过2名：甲一镇同期已有2名挂职干部" in body
    assert "理由：县委同意（org_a" in body


def test_the_message_names_how_many_are_already_there(org_a, tree, crowded):
    PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=crowded,
        start_date=TODAY,
        planned_end_date=TODAY + dt.timedelta(days=200),
        status=Posting.Status.PROPOSED,
    )
    with pytest.raises(ValidationError) as caught:
        _create(org_a, CadreFactory(unit=tree.organ_a), crowded)
    assert (
        "甲一镇同期已有3名挂职干部" in caught.value.message_dict["override_reason"][0]
    )


def test_ended_and_non_overlapping_postings_do_not_count_toward_the_team(
    org_a, tree, world, free_cadre
):
    start, end = TODAY, TODAY + dt.timedelta(days=180)
    for status, begins, ends in [
        (Posting.Status.COMPLETED, start - dt.timedelta(days=10), end),
        (Posting.Status.ENDED_EARLY, start, end),
        (Posting.Status.PROPOSED, end, end + dt.timedelta(days=100)),  # after
        (Posting.Status.PROPOSED, start - dt.timedelta(days=99), start),  # before
    ]:
        PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a),
            receiving_unit=tree.township_a1,
            start_date=begins,
            planned_end_date=ends,
            status=status,
        )
    posting = _create(
        org_a, free_cadre, tree.township_a1, start_date=start, planned_end_date=end
    )
    assert not posting.overrides.exists()


def test_the_cadres_own_other_posting_is_rule_1_not_rule_2(org_a, tree, world):
    PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY,
        status=Posting.Status.PROPOSED,
    )
    # Cadre A's own active posting is the other one at 甲一镇: a second one of
    # theirs there is refused by rule 1, with no rule-2 reason asked for.
    with pytest.raises(ValidationError) as caught:
        _create(org_a, world.a.cadre, tree.township_a1, title="党委副书记")
    assert set(caught.value.message_dict) == {"cadre"}
    assert Posting.objects.filter(cadre=world.a.cadre).count() == 1


def test_saving_again_with_the_reason_does_not_duplicate_the_override(
    org_a, tree, crowded
):
    posting = _create(
        org_a, CadreFactory(unit=tree.organ_a), crowded, override_reason="县委同意"
    )
    services.posting_update(
        posting=posting, by=org_a, title="党委委员", override_reason="县委同意"
    )
    assert posting.overrides.count() == 1


def test_editing_a_posting_whose_soft_rule_was_explained_does_not_ask_again(
    org_a, tree, crowded
):
    posting = _create(
        org_a, CadreFactory(unit=tree.organ_a), crowded, override_reason="县委同意"
    )
    services.posting_update(posting=posting, by=org_a, mentor="李镇长")
    assert Posting.objects.get(pk=posting.pk).mentor == "李镇长"


# --- Rule 3: the post at the cadre's rank or one below (soft) --------------------


@pytest.mark.parametrize(
    ("post_rank", "needs_reason"),
    [
        (None, False),
        (Rank.SECTION, False),  # 平职
        (Rank.DEPUTY_SECTION, False),  # 低一职
        (Rank.CLERK, True),  # two below
        (Rank.DEPUTY_DIVISION, True),  # above
        (Rank.DIVISION, True),
    ],
)
def test_a_post_two_below_or_above_the_cadres_rank_needs_a_reason(
    org_a, tree, free_cadre, post_rank, needs_reason
):
    assert free_cadre.rank == Rank.SECTION
    if needs_reason:
        with pytest.raises(ValidationError) as caught:
            _create(org_a, free_cadre, tree.township_a1, post_rank=post_rank)
        message = caught.value.message_dict["override_reason"][0]
        assert f"干部职级正科，岗位职级{Rank(post_rank).label}" in message
        assert "一般平职或低一职安排" in message
        assert not Posting.objects.filter(cadre=free_cadre).exists()
        posting = _create(
            org_a,
            free_cadre,
            tree.township_a1,
            post_rank=post_rank,
            override_reason="专业急需",
        )
        assert posting.overrides.get().rule == RuleOverride.Rule.RANK_FIT
    else:
        posting = _create(org_a, free_cadre, tree.township_a1, post_rank=post_rank)
        assert not posting.overrides.exists()


def test_one_reason_covers_both_soft_rules_and_each_is_recorded(
    org_a, tree, crowded, free_cadre
):
    posting = _create(
        org_a,
        free_cadre,
        crowded,
        post_rank=Rank.CLERK,
        override_reason="特殊需要",
    )
    recorded = {o.rule: o.reason for o in posting.overrides.all()}
    assert recorded == {
        RuleOverride.Rule.TEAM_LIMIT: "特殊需要",
        RuleOverride.Rule.RANK_FIT: "特殊需要",
    }


# --- Dates, units, jurisdiction --------------------------------------------------


def test_an_end_before_the_start_is_refused(login, org_a, tree, free_cadre):
    for end in ("2025-12-31", "2026-01-01"):
        response = login(org_a).post(
            reverse("postings:create"),
            _form(free_cadre, tree.organ_a, tree.township_a1, planned_end_date=end),
        )
        assert response.status_code == 200
        assert "计划结束日期必须晚于开始日期。" in form_errors(response)
    assert not Posting.objects.filter(cadre=free_cadre).exists()


def test_the_database_refuses_an_end_before_the_start(org_a, tree, free_cadre):
    posting = Posting(
        cadre=free_cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        start_date=dt.date(2026, 6, 1),
        planned_end_date=dt.date(2026, 1, 1),
        midterm_date=dt.date(2026, 3, 1),
        created_by=org_a,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        posting.save()


def test_org_staff_cannot_post_between_two_units_outside_their_jurisdiction(
    login, org_a, tree, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_b, tree.township_b1),
    )
    assert response.status_code == 200
    assert "派出单位或接收单位至少有一个须在本部门管辖范围内。" in form_errors(response)
    assert not Posting.objects.exists()


def test_org_staff_may_post_out_of_their_jurisdiction_from_inside_it(
    login, org_a, tree, free_cadre
):
    shenzhen = UnitFactory(name="深圳市南山区科技局", kind="organ")
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, shenzhen, kind="outward"),
    )
    assert response.status_code == 302
    assert Posting.objects.get(cadre=free_cadre).receiving_unit == shenzhen


def test_the_receiving_unit_cannot_be_the_sending_unit(login, org_a, tree, free_cadre):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.organ_a),
    )
    assert "接收单位不能与派出单位相同。" in form_errors(response)
    assert not Posting.objects.exists()


def test_org_staff_cannot_post_a_cadre_outside_their_scope(login, org_a, tree):
    outsider = CadreFactory(unit=tree.organ_b)
    response = login(org_a).post(
        reverse("postings:create"),
        _form(outsider, tree.organ_a, tree.township_a1),
    )
    assert response.status_code == 200
    assert "cadre" in response.context["form"].errors
    assert not Posting.objects.exists()


def test_host_leader_cannot_create_or_edit_postings(login, host_a, world):
    client = login(host_a)
    assert client.get(reverse("postings:create")).status_code == 403
    edit = reverse("postings:edit", args=[world.a.posting.pk])
    assert client.post(edit, {"title": "改过"}).status_code == 404
    world.a.posting.refresh_from_db()
    assert world.a.posting.title == "乡镇长助理"


# --- Relay (接力式挂职) ------------------------------------------------------------


@pytest.fixture
def finished(tree):
    """A completed posting at 甲一镇, the predecessor a relay can name."""
    return PostingFactory(
        cadre=CadreFactory(name="上官前任", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2024, 3, 1),
        status=Posting.Status.COMPLETED,
    )


def test_a_relay_posting_names_its_predecessor_and_shows_the_chain(
    login, org_a, tree, finished, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1, predecessor=finished.pk),
    )
    assert response.status_code == 302
    successor = Posting.objects.get(cadre=free_cadre)
    assert successor.predecessor == finished
    assert finished.successor == successor
    for page in (successor, finished):
        body = login(org_a).get(page.get_absolute_url()).content.decode()
        chain = body.split('id="relay-chain"')[1].split("</ol>")[0]
        assert chain.index("上官前任") < chain.index("周新来")


def test_a_relay_predecessor_must_have_served_at_the_same_unit(
    org_a, tree, finished, free_cadre
):
    with pytest.raises(ValidationError) as caught:
        _create(org_a, free_cadre, tree.village_a1, predecessor=finished)
    assert caught.value.message_dict["predecessor"] == [
        "接力前任须在同一接收单位挂职。"
    ]


def test_a_relay_predecessor_cannot_be_the_cadre_themself(org_a, tree, finished):
    with pytest.raises(ValidationError) as caught:
        _create(org_a, finished.cadre, tree.township_a1, predecessor=finished)
    assert caught.value.message_dict["predecessor"] == ["接力前任不能是本人。"]


def test_a_relay_predecessor_must_have_started(org_a, tree, free_cadre):
    proposed = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        status=Posting.Status.PROPOSED,
    )
    with pytest.raises(ValidationError) as caught:
        _create(org_a, free_cadre, tree.township_a1, predecessor=proposed)
    assert caught.value.message_dict["predecessor"] == ["接力前任的挂职尚未开始。"]
    assert not Posting.objects.filter(cadre=free_cadre).exists()


def test_the_form_offers_no_proposed_posting_as_predecessor(
    login, org_a, tree, finished
):
    proposed = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        status=Posting.Status.PROPOSED,
    )
    form = login(org_a).get(reverse("postings:create")).context["form"]
    choices = set(form.fields["predecessor"].queryset)
    assert finished in choices
    assert proposed not in choices


def test_a_predecessor_has_at_most_one_successor(org_a, tree, finished, free_cadre):
    _create(org_a, free_cadre, tree.township_a1, predecessor=finished)
    with pytest.raises(ValidationError) as caught:
        _create(
            org_a,
            CadreFactory(unit=tree.organ_a),
            tree.township_a1,
            predecessor=finished,
        )
    assert caught.value.message_dict["predecessor"] == ["该前任已有接力的继任者。"]
    assert Posting.objects.filter(predecessor=finished).count() == 1


def test_the_database_refuses_a_posting_as_its_own_predecessor(world):
    posting = world.a.posting
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(predecessor_id=posting.pk)
