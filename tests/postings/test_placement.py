"""The placement assistant (配岗建议): an optimal plan, checked against brute force.

The objective, as the module states it: the sum of each pair's fit, less
TEAM_PENALTY for every cadre a host receives beyond its free places under
rule 2. A candidate is never placed at their own unit and no post takes more
than its places; when that cannot be done for everyone, nothing is proposed.
"""

import datetime as dt
import itertools
import random
import re
from collections import Counter

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from cadres.models import Rank
from postings import services
from postings.models import (
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
    RuleOverride,
)
from postings.placement import (
    PREFERENCE_MAX,
    RANK_EXACT,
    RANK_ONE_BELOW,
    SPECIALITY_MATCH,
    SPECIALITY_NEUTRAL,
    TEAM_PENALTY,
    Candidate,
    Infeasible,
    Post,
    fit,
    fit_matrix,
    propose,
    team_penalty,
)
from tests.factories import CadreFactory, PostingFactory

# --- Pure: helpers ------------------------------------------------------------------


def cand(id, *, home=1, rank=3, female=False, reserve=False, speciality=""):
    return Candidate(
        id=id,
        name=f"人选{id}",
        rank=rank,
        female=female,
        reserve=reserve,
        speciality=speciality,
        home_unit_id=home,
    )


def post(id, unit, *, rank=3, speciality="", capacity=1, free=2, km=0, town=False):
    return Post(
        id=id,
        label=f"岗位{id}",
        unit_id=unit,
        unit_is_township=town,
        distance_km=km,
        rank=rank,
        speciality=speciality,
        capacity=capacity,
        team_free=free,
    )


def objective(pairs, posts) -> float:
    """Σ fit − TEAM_PENALTY × Σ_u max(0, count_u − team_free_u)."""
    max_km = max((p.distance_km for p in posts), default=0)
    total = sum(fit(c, p, max_km)[0] for c, p in pairs)
    used = Counter(p.unit_id for _, p in pairs)
    free = {p.unit_id: max(p.team_free, 0) for p in posts}
    return total - TEAM_PENALTY * sum(max(0, n - free[u]) for u, n in used.items())


def brute_force(candidates, posts) -> float | None:
    """The best objective over every complete assignment, or None if none exists."""
    slots = [p for p in posts for _ in range(max(p.capacity, 0))]
    best = None
    for chosen in itertools.permutations(slots, len(candidates)):
        pairs = list(zip(candidates, chosen, strict=True))
        if any(c.home_unit_id == p.unit_id for c, p in pairs):
            continue
        value = objective(pairs, posts)
        if best is None or value > best:
            best = value
    return best


def plan(candidates, posts) -> dict[int, int]:
    return {p.candidate.id: p.post.id for p in propose(candidates, posts)}


def assert_valid(result, candidates, posts):
    assert sorted(p.candidate.id for p in result) == sorted(c.id for c in candidates)
    assert all(p.candidate.home_unit_id != p.post.unit_id for p in result)
    taken = Counter(p.post.id for p in result)
    assert all(taken[p.id] <= p.capacity for p in posts)


# --- Pure: the fit of one pair --------------------------------------------------------


def test_the_fit_adds_speciality_rank_and_preferences_with_reasons():
    woman = cand(1, rank=3, female=True, speciality="农业")
    near = post(1, 10, rank=3, speciality="农业", km=10)
    far = post(2, 11, rank=2, speciality="法律", km=60)
    score, why = fit(woman, near, max_km=60)
    bonus = PREFERENCE_MAX * (1 - 10 / 60)
    assert score == pytest.approx(SPECIALITY_MATCH + RANK_EXACT + bonus)
    assert why == ["专业对口（农业）+40", "平职安排 +30", "女干部就近安排 +12.5"]
    score, why = fit(woman, far, max_km=60)
    assert score == pytest.approx(RANK_ONE_BELOW)
    assert why == ["专业不对口（需法律）+0", "低一职安排 +24", "女干部就近安排 +0.0"]


def test_a_post_open_to_any_speciality_scores_neutral_and_a_wrong_rank_scores_0():
    score, why = fit(cand(1, rank=3), post(1, 10, rank=1), max_km=0)
    assert score == SPECIALITY_NEUTRAL
    assert why == ["岗位不限专业 +15", "职级不符（规则3，需说明理由）+0"]


def test_a_deputy_division_reserve_cadre_scores_for_remote_townships():
    reserve = cand(1, rank=Rank.DEPUTY_DIVISION, reserve=True)
    remote = post(1, 10, rank=4, km=50, town=True)
    near = post(2, 11, rank=4, km=5, town=True)
    remote_organ = post(3, 12, rank=4, km=50, town=False)
    assert fit(reserve, remote, 50)[0] - fit(reserve, near, 50)[0] == pytest.approx(
        PREFERENCE_MAX * 0.9
    )
    assert "副处级后备干部到偏远乡镇 +15.0" in fit(reserve, remote, 50)[1]
    assert fit(reserve, remote_organ, 50)[0] == SPECIALITY_NEUTRAL + RANK_EXACT
    not_reserve = cand(2, rank=Rank.DEPUTY_DIVISION)
    assert fit(not_reserve, remote, 50)[0] == fit(not_reserve, near, 50)[0]


def test_fit_matrix_gives_the_same_numbers_as_fit():
    rng = random.Random(7)
    for _ in range(20):
        candidates, posts = random_instance(rng)
        max_km = max(p.distance_km for p in posts)
        matrix = fit_matrix(candidates, posts, max_km)
        expected = np.array([[fit(c, p, max_km)[0] for p in posts] for c in candidates])
        assert matrix.shape == expected.shape
        assert np.allclose(matrix, expected)


# --- Pure: small cases with a known optimum ----------------------------------------


def test_each_candidate_goes_to_the_post_of_their_speciality():
    farmer = cand(1, rank=2, speciality="农业")
    economist = cand(2, rank=2, speciality="经济管理")
    posts = [
        post(1, 10, rank=2, speciality="经济"),
        post(2, 11, rank=2, speciality="农业"),
    ]
    result = propose([farmer, economist], posts)
    assert {p.candidate.id: p.post.id for p in result} == {1: 2, 2: 1}
    assert sum(p.score for p in result) == 140.0
    assert objective([(p.candidate, p.post) for p in result], posts) == 140.0


def test_rule_2_moves_a_candidate_when_the_better_host_is_full():
    farmer = cand(1, speciality="农业")
    # X fits better by 25 points (speciality 40 vs neutral 15), less than the
    # 30-point penalty for a host whose team is full.
    full_x = post(1, 10, speciality="农业", free=0)
    free_y = post(2, 11, free=2)
    assert plan([farmer], [full_x, free_y]) == {1: 2}
    open_x = post(1, 10, speciality="农业", free=1)
    assert plan([farmer], [open_x, free_y]) == {1: 1}


def test_rule_2_gives_way_when_the_fit_is_worth_more_than_the_penalty():
    farmer = cand(1, speciality="农业")
    full_x = post(1, 10, speciality="农业", free=0)
    poor_y = post(2, 11, speciality="法律", rank=1)
    result = propose([farmer], [full_x, poor_y])
    assert [p.post.id for p in result] == [1]
    assert result[0].reasons[-1] == "该单位班子挂职干部将超过2名（规则2，需说明理由）"
    assert team_penalty(result) == TEAM_PENALTY


def test_rule_2_splits_two_candidates_over_a_host_with_one_free_place():
    a, b = cand(1, speciality="农业"), cand(2, speciality="农业")
    both_fit = post(1, 10, speciality="农业", capacity=2, free=1)  # 70 each
    elsewhere = post(2, 11, capacity=2)  # 45 each
    # Both at 10: 140 - 30 = 110; one each: 70 + 45 = 115.
    result = propose([a, b], [both_fit, elsewhere])
    assert sorted(p.post.id for p in result) == [1, 2]
    assert team_penalty(result) == 0
    # With two free places both go to 10.
    roomy = post(1, 10, speciality="农业", capacity=2, free=2)
    assert sorted(plan([a, b], [roomy, elsewhere]).values()) == [1, 1]


def test_a_host_already_over_its_limit_pays_for_every_new_cadre():
    a = cand(1, speciality="农业")
    over = post(1, 10, speciality="农业", free=-1)  # counts as no free place
    other = post(2, 11)
    assert plan([a], [over, other]) == {1: 2}


def test_the_candidates_own_unit_is_never_used():
    cadre = cand(1, home=10, speciality="农业")
    home_post = post(1, 10, speciality="农业")  # the best fit, but home
    poor = post(2, 11, speciality="法律", rank=1)
    assert plan([cadre], [home_post, poor]) == {1: 2}


def test_women_are_placed_nearer_and_reserve_cadres_further_out():
    woman = cand(1, rank=4, female=True)
    reserve = cand(2, rank=4, reserve=True)
    near = post(1, 10, rank=4, km=5, town=True)
    far = post(2, 11, rank=4, km=50, town=True)
    assert plan([woman, reserve], [near, far]) == {1: 1, 2: 2}
    assert plan([reserve, woman], [far, near]) == {1: 1, 2: 2}


def test_post_places_are_respected():
    a, b, c = cand(1), cand(2), cand(3)
    posts = [post(1, 10, speciality="", capacity=2), post(2, 11, rank=1, capacity=1)]
    result = propose([a, b, c], posts)
    assert Counter(p.post.id for p in result) == {1: 2, 2: 1}


def test_no_candidates_means_no_plan():
    assert propose([], [post(1, 10)]) == []


# --- Pure: infeasible input ----------------------------------------------------------


def test_more_candidates_than_places_is_infeasible():
    with pytest.raises(Infeasible) as caught:
        propose([cand(1), cand(2)], [post(1, 10), post(2, 11, capacity=0)])
    assert str(caught.value) == "岗位名额共1个，少于2名待配岗人选，无法全部配岗。"


def test_a_candidate_whose_only_post_is_their_own_unit_is_infeasible():
    stuck = Candidate(1, "张三", 3, False, False, "", home_unit_id=10)
    with pytest.raises(Infeasible) as caught:
        propose([stuck, cand(2, home=1)], [post(1, 10, capacity=2)])
    assert str(caught.value) == "张三没有可选岗位（不能到本单位挂职）。"


def test_two_candidates_who_both_can_only_go_to_one_place_are_infeasible():
    a, b = cand(1, home=10), cand(2, home=10)
    with pytest.raises(Infeasible) as caught:
        propose([a, b], [post(1, 10), post(2, 11)])
    assert "无法为全部人选配岗" in str(caught.value)


# --- Pure: random small instances against brute force --------------------------------


def random_instance(rng: random.Random):
    units = [10, 11, 12, 13]
    free = {u: rng.randint(-1, 2) for u in units}
    km = {u: rng.choice([0, 5, 30, 80]) for u in units}
    town = {u: rng.random() < 0.5 for u in units}
    posts = []
    for j in range(rng.randint(1, 4)):
        u = rng.choice(units)
        posts.append(
            post(
                j,
                u,
                rank=rng.randint(1, 5),
                speciality=rng.choice(["", "农业", "经济", "农业经济"]),
                capacity=rng.randint(1, 2),
                free=free[u],
                km=km[u],
                town=town[u],
            )
        )
    candidates = [
        cand(
            i,
            home=rng.choice(units),
            rank=rng.randint(1, 5),
            female=rng.random() < 0.5,
            reserve=rng.random() < 0.5,
            speciality=rng.choice(["", "农业", "经济", "法律"]),
        )
        for i in range(rng.randint(1, 4))
    ]
    return candidates, posts


@pytest.mark.parametrize("seed", range(50))
def test_the_plan_is_as_good_as_brute_force_on_random_small_instances(seed):
    candidates, posts = random_instance(random.Random(seed))
    best = brute_force(candidates, posts)
    if best is None:
        with pytest.raises(Infeasible):
            propose(candidates, posts)
        return
    result = propose(candidates, posts)
    assert_valid(result, candidates, posts)
    value = objective([(p.candidate, p.post) for p in result], posts)
    assert value == pytest.approx(best, abs=1e-6)
    penalty = objective([(p.candidate, p.post) for p in result], posts) - sum(
        fit(p.candidate, p.post, max(q.distance_km for q in posts))[0] for p in result
    )
    assert team_penalty(result) == pytest.approx(-penalty)


def test_the_random_instances_include_the_hard_cases():
    """The loop above is only worth something if it meets rule 2 and infeasibility."""
    penalised = infeasible = 0
    for seed in range(50):
        candidates, posts = random_instance(random.Random(seed))
        if brute_force(candidates, posts) is None:
            infeasible += 1
        elif team_penalty(propose(candidates, posts)) > 0:
            penalised += 1
    assert penalised >= 3
    assert infeasible >= 3


# --- Through the page ----------------------------------------------------------------


@pytest.fixture
def batch(tree, org_a):
    return Batch.objects.create(
        name="甲县2026年第二批下派",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        terms={"village": 24},
        mobilised_on=dt.date(2026, 4, 1),
        created_by=org_a,
    )


def _select(batch, cadre, decision=Nomination.Decision.SELECTED):
    Nomination.objects.create(
        batch=batch, cadre=cadre, source=Nomination.Source.SELF, decision=decision
    )
    return cadre


@pytest.fixture
def seats(tree, batch):
    """Two selected candidates and two posts; the best plan is known.

    林晓雯 (副科, 农业, woman) fits the township post (农业, 副科): 40 + 30 = 70,
    the village post (经济, 正科) only by nearness: 15. 周建国 (正科, 经济)
    fits the village post: 40 + 30 = 70, the township post one below: 24.
    """
    woman = _select(
        batch,
        CadreFactory(
            name="林晓雯",
            unit=tree.organ_a,
            gender="F",
            rank=Rank.DEPUTY_SECTION,
            speciality="农业",
        ),
    )
    man = _select(
        batch,
        CadreFactory(
            name="周建国",
            unit=tree.organ_a,
            gender="M",
            rank=Rank.SECTION,
            speciality="经济",
        ),
    )
    _select(
        batch,
        CadreFactory(name="待定者", unit=tree.organ_a),
        Nomination.Decision.PENDING,
    )
    _select(
        batch,
        CadreFactory(name="落选者", unit=tree.organ_a),
        Nomination.Decision.REJECTED,
    )
    town = OpenPost.objects.create(
        batch=batch,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        kind="downward",
        category=PostCategory.TOWNSHIP_LEADER,
        rank=Rank.DEPUTY_SECTION,
        speciality="农业",
    )
    village = OpenPost.objects.create(
        batch=batch,
        receiving_unit=tree.village_a1,
        title="第一书记",
        kind="downward",
        category=PostCategory.VILLAGE,
        rank=Rank.SECTION,
        speciality="经济",
    )
    return woman, man, town, village


def _url(batch):
    return reverse("postings:placement", args=[batch.pk])


def _accept(client, batch, pairs, start="2026-04-01", reason=""):
    data = {"accept": [c.pk for c, _ in pairs], "start": start, "reason": reason}
    data.update({f"post_{c.pk}": p.pk for c, p in pairs})
    return client.post(_url(batch), data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_proposes_the_best_plan_with_scores_and_reasons(
    login, org_a, batch, seats
):
    woman, man, town, village = seats
    response = login(org_a).get(_url(batch))
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert {p.candidate.name: p.post.id for p in proposal} == {
        "林晓雯": town.pk,
        "周建国": village.pk,
    }
    body = response.content.decode()
    rows = dict(re.findall(r'<tr data-cadre="([^"]+)">(.*?)</tr>', body, re.S))
    assert set(rows) == {"林晓雯", "周建国"}  # pending and rejected are not offered
    assert '<td class="score">70.0</td>' in rows["林晓雯"]
    assert "专业对口（农业）+40；平职安排 +30" in rows["林晓雯"]
    assert re.search(rf'<option value="{town.pk}" selected>', rows["林晓雯"])
    assert re.search(rf'<option value="{village.pk}" selected>', rows["周建国"])
    assert '<td id="placement-total">140.0</td>' in body
    assert 'value="2026-04-01"' in body  # the batch's mobilisation date
    assert not Posting.objects.exists()


def test_accepting_the_whole_plan_creates_proposed_postings(
    login, org_a, tree, batch, seats
):
    woman, man, town, village = seats
    response = _accept(login(org_a), batch, [(woman, town), (man, village)])
    assert response["Location"] == batch.get_absolute_url()
    assert _messages(response) == ["已生成2项拟派挂职。"]
    made = {p.cadre: p for p in Posting.objects.all()}
    assert set(made) == {woman, man}
    for cadre, open_post in ((woman, town), (man, village)):
        posting = made[cadre]
        assert posting.status == Posting.Status.PROPOSED
        assert (posting.batch, posting.open_post) == (batch, open_post)
        assert posting.receiving_unit == open_post.receiving_unit
        assert posting.sending_unit == cadre.unit
        assert (posting.title, posting.category) == (
            open_post.title,
            open_post.category,
        )
        assert posting.post_rank == open_post.rank
        assert posting.start_date == dt.date(2026, 4, 1)
        assert posting.created_by == org_a
    assert made[woman].planned_end_date == dt.date(2027, 4, 1)  # township: a year
    assert made[man].planned_end_date == dt.date(2028, 4, 1)  # batch: 24 months
    assert not RuleOverride.objects.exists()
    # Everyone is placed: the page has nothing left to propose.
    again = login(org_a).get(_url(batch))
    assert again.context["proposal"] == []
    assert "没有待配岗的选中人选" in again.content.decode()


def test_accepting_part_of_the_plan_leaves_the_rest_to_propose(
    login, org_a, batch, seats
):
    woman, man, town, village = seats
    _accept(login(org_a), batch, [(woman, town)])
    assert list(Posting.objects.values_list("cadre__name", flat=True)) == ["林晓雯"]
    proposal = login(org_a).get(_url(batch)).context["proposal"]
    assert [(p.candidate.name, p.post.id) for p in proposal] == [("周建国", village.pk)]


def test_a_swap_by_hand_is_honoured_once_its_soft_rule_is_explained(
    login, org_a, batch, seats
):
    woman, man, town, village = seats
    client = login(org_a)
    # The woman (副科) at the 正科 village post is above her rank (rule 3). Her
    # pair comes second, after one that would be fine: all or none.
    swapped = [(man, town), (woman, village)]
    response = _accept(client, batch, swapped)
    assert response["Location"] == _url(batch)
    [message] = _messages(response)
    assert message.startswith("林晓雯：")
    assert "干部职级副科，岗位职级正科" in message
    assert not Posting.objects.exists()

    _accept(client, batch, swapped, reason="该村急需懂经济的干部")
    made = dict(Posting.objects.values_list("cadre__name", "open_post"))
    assert made == {"林晓雯": village.pk, "周建国": town.pk}
    override = RuleOverride.objects.get()
    assert (override.posting.cadre, override.rule) == (
        woman,
        RuleOverride.Rule.RANK_FIT,
    )
    assert (override.reason, override.by) == ("该村急需懂经济的干部", org_a)


def test_an_infeasible_batch_shows_why_and_creates_nothing(
    login, org_a, tree, batch, seats
):
    _select(batch, CadreFactory(name="第三人", unit=tree.organ_a))
    response = login(org_a).get(_url(batch))
    assert response.status_code == 200
    body = response.content.decode()
    assert "岗位名额共2个，少于3名待配岗人选，无法全部配岗。" in body
    assert 'id="placement-problem"' in body
    assert 'id="placement-form"' not in body
    assert not Posting.objects.exists()


def test_a_post_cannot_take_more_than_its_places(login, org_a, batch, seats):
    woman, man, town, village = seats
    response = _accept(login(org_a), batch, [(woman, town), (man, town)], reason="照顾")
    assert _messages(response) == ["甲一镇乡镇长助理的名额已满。"]
    assert not Posting.objects.exists()  # the first pair is rolled back too


@pytest.mark.parametrize("start", ["", "2026-02-30", "明天"])
def test_accepting_needs_a_valid_start_date(login, org_a, batch, seats, start):
    woman, man, town, village = seats
    response = _accept(login(org_a), batch, [(woman, town)], start=start)
    assert _messages(response) == ["请填写有效的到岗日期。"]
    assert not Posting.objects.exists()


def test_accepting_nothing_is_refused(login, org_a, batch, seats):
    response = _accept(login(org_a), batch, [])
    assert _messages(response) == ["请至少选择一项配岗建议。"]


def test_a_candidate_or_post_not_in_the_batch_is_refused(
    login, org_a, tree, batch, seats
):
    woman, man, town, village = seats
    pending = batch.nominations.get(decision=Nomination.Decision.PENDING).cadre
    other_batch = Batch.objects.create(
        name="别的批次",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )
    foreign = OpenPost.objects.create(
        batch=other_batch,
        receiving_unit=tree.village_a1,
        title="第一书记",
        kind="downward",
        category=PostCategory.VILLAGE,
        rank=Rank.SECTION,
    )
    client = login(org_a)
    for pairs in ([(pending, town)], [(woman, foreign)]):
        response = _accept(client, batch, pairs)
        assert "所选人选或岗位已不在本批次中，请刷新后重试。" in _messages(response)
    assert not Posting.objects.exists()


def test_the_service_places_a_cadre_only_once(org_a, batch, seats):
    woman, man, town, village = seats
    with pytest.raises(ValidationError) as caught:
        services.placement_accept(
            batch=batch,
            pairs=[(woman.pk, town.pk), (woman.pk, village.pk)],
            by=org_a,
            start=dt.date(2026, 4, 1),
        )
    assert caught.value.messages == ["同一名干部只能安排一个岗位。"]
    assert not Posting.objects.exists()


def test_a_full_team_is_flagged_and_needs_a_reason_to_accept(login, org_a, tree, batch):
    for _ in range(2):
        PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a),
            receiving_unit=tree.township_a1,
            start_date=dt.date(2026, 1, 1),
            status=Posting.Status.ACTIVE,
        )
    cadre = _select(batch, CadreFactory(name="韩第三", unit=tree.organ_a))
    town = OpenPost.objects.create(
        batch=batch,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        kind="downward",
        category=PostCategory.TOWNSHIP_LEADER,
        rank=cadre.rank,
    )
    client = login(org_a)
    page = client.get(_url(batch))
    candidates, posts = services.placement_inputs(batch, by=org_a)
    assert [p.team_free for p in posts] == [0]
    body = page.content.decode()
    assert "该单位班子挂职干部将超过2名（规则2，需说明理由）" in body
    assert "规则2（同一班子超过2名挂职干部）扣 30.0 分" in body

    response = _accept(client, batch, [(cadre, town)])
    assert "韩第三：甲一镇同期已有2名挂职干部" in _messages(response)[0]
    assert not Posting.objects.filter(batch=batch).exists()
    _accept(client, batch, [(cadre, town)], reason="镇党委换届过渡")
    posting = Posting.objects.get(batch=batch)
    assert posting.overrides.get().rule == RuleOverride.Rule.TEAM_LIMIT


def test_placement_inputs_count_places_left_and_skip_the_placed(
    org_a, tree, batch, seats
):
    woman, man, town, village = seats
    OpenPost.objects.filter(pk=town.pk).update(capacity=2)
    services.placement_accept(
        batch=batch, pairs=[(woman.pk, town.pk)], by=org_a, start=dt.date(2026, 4, 1)
    )
    candidates, posts = services.placement_inputs(batch, by=org_a)
    assert [c.name for c in candidates] == ["周建国"]
    assert candidates[0].home_unit_id == tree.organ_a.pk
    places = {p.id: (p.capacity, p.team_free) for p in posts}
    # The township has one place left, and one cadre (林晓雯) on its team.
    assert places == {town.pk: (1, 1), village.pk: (1, 2)}


def test_org_staff_of_another_county_cannot_use_the_assistant(
    login, org_b, batch, seats
):
    woman, man, town, village = seats
    client = login(org_b)
    assert client.get(_url(batch)).status_code == 404
    assert _accept(client, batch, [(woman, town)]).status_code == 404
    assert not Posting.objects.exists()
