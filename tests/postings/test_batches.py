"""Batches (批次) and selection (rule 11): nominations, scores, decisions and the
competitive ranking. A batch belongs to the jurisdiction of its unit: only org
staff over that unit, and admins, see it.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cadres.models import Rank
from postings import services
from postings.forms import NominationForm
from postings.models import (
    DEFAULT_TERMS,
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
)
from tests.conftest import form_errors
from tests.factories import CadreFactory, PostingFactory, UnitFactory, UserFactory

SELECTED = Nomination.Decision.SELECTED


def _batch_form(**changes) -> dict:
    data = {
        "name": "2026年第一批上派下挂",
        "year": 2026,
        "kinds": ["downward", "upward"],
        "planned_count": 12,
        "mobilised_on": "2026-03-01",
        "exam_weight": 60,
        "notes": "",
        **{f"term_{c}": DEFAULT_TERMS[c] for c in PostCategory.values},
    }
    data.update(changes)
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def make_batch(unit, by, **fields) -> Batch:
    values = {"name": f"{unit.name}2026年批次", "year": 2026, "kinds": ["downward"]}
    values.update(fields)
    return Batch.objects.create(unit=unit, created_by=by, **values)


@pytest.fixture
def batch_a(tree, org_a):
    return make_batch(tree.county_a, org_a, name="甲县2026年第一批")


@pytest.fixture
def batch_b(tree, org_b):
    return make_batch(tree.county_b, org_b, name="乙县2026年第一批")


# --- Creating and editing batches ---------------------------------------------------


def test_org_staff_create_a_batch_for_their_own_jurisdiction(login, org_a, tree):
    response = login(org_a).post(
        reverse("postings:batch_create"),
        _batch_form(unit=tree.county_b.pk, term_village=24, term_city_organ=9),
    )
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    assert batch.unit == tree.county_a  # the posted unit is not theirs to choose
    assert batch.created_by == org_a
    assert batch.kinds == ["downward", "upward"]
    assert (batch.planned_count, batch.exam_weight) == (12, 60)
    assert batch.mobilised_on == dt.date(2026, 3, 1)
    assert batch.terms["village"] == 24
    assert batch.terms["city_organ"] == 9
    assert batch.terms["enterprise"] == 6
    assert batch.term_months(PostCategory.VILLAGE) == 24
    assert batch.interview_weight == 40


def test_the_batch_form_offers_org_staff_no_unit_and_the_admin_any(
    login, org_a, admin, tree
):
    assert (
        "unit"
        not in login(org_a).get(reverse("postings:batch_create")).context["form"].fields
    )
    response = login(admin).post(
        reverse("postings:batch_create"), _batch_form(unit=tree.county_b.pk)
    )
    assert response.status_code == 302
    assert Batch.objects.get().unit == tree.county_b


def test_a_batch_needs_at_least_one_kind(login, org_a):
    response = login(org_a).post(
        reverse("postings:batch_create"), _batch_form(kinds=[])
    )
    assert response.status_code == 200
    assert "kinds" in response.context["form"].errors
    assert not Batch.objects.exists()
    with pytest.raises(ValidationError) as caught:
        services.batch_save(by=org_a, name="x", year=2026, kinds=[])
    assert caught.value.message_dict["kinds"] == ["请至少选择一种挂职类型。"]


@pytest.mark.parametrize(
    ("field", "value"), [("term_village", 0), ("term_village", 61), ("year", "")]
)
def test_a_batch_term_or_year_out_of_range_is_refused(login, org_a, field, value):
    response = login(org_a).post(
        reverse("postings:batch_create"), _batch_form(**{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Batch.objects.exists()


def test_an_exam_weight_over_100_is_refused(login, org_a):
    response = login(org_a).post(
        reverse("postings:batch_create"), _batch_form(exam_weight=101)
    )
    assert response.status_code == 200
    assert "笔试权重须在0到100之间。" in form_errors(response)
    assert not Batch.objects.exists()


def test_editing_a_batch_shows_and_saves_its_terms(login, org_a, batch_a):
    batch_a.terms = {"village": 30}
    batch_a.save()
    client = login(org_a)
    url = reverse("postings:batch_edit", args=[batch_a.pk])
    form = client.get(url).context["form"]
    assert form.fields["term_village"].initial == 30
    assert form.fields["term_city_organ"].initial == DEFAULT_TERMS["city_organ"]
    response = client.post(url, _batch_form(name="改名", term_village=18))
    assert response.status_code == 302
    batch_a.refresh_from_db()
    assert (batch_a.name, batch_a.terms["village"]) == ("改名", 18)
    assert batch_a.unit.name == "甲县"


def test_city_staff_editing_a_county_batch_leave_it_with_the_county(
    login, org_a, org_city, batch_a
):
    url = reverse("postings:batch_edit", args=[batch_a.pk])
    response = login(org_city).post(url, _batch_form(name="市里改过"))
    assert response.status_code == 302
    batch_a.refresh_from_db()
    assert batch_a.name == "市里改过"
    assert batch_a.unit.name == "甲县"
    assert login(org_a).get(batch_a.get_absolute_url()).status_code == 200


def test_org_staff_of_another_county_cannot_edit_a_batch(login, org_b, batch_a):
    url = reverse("postings:batch_edit", args=[batch_a.pk])
    assert login(org_b).get(url).status_code == 404
    assert login(org_b).post(url, _batch_form(name="改名")).status_code == 404
    batch_a.refresh_from_db()
    assert batch_a.name == "甲县2026年第一批"


# --- Who sees a batch ---------------------------------------------------------------


def test_batches_are_listed_only_within_the_jurisdiction(
    login, org_a, org_b, org_city, admin, tree, batch_a, batch_b
):
    city_batch = make_batch(tree.city, org_city, name="江州市2026年市派")
    seen = {
        user.username: set(
            re.findall(r'<a href="/postings/batches/\d+/">([^<]+)</a>', body)
        )
        for user in (org_a, org_b, org_city, admin)
        for body in [login(user).get(reverse("postings:batch_list")).content.decode()]
    }
    assert seen == {
        "org_a": {batch_a.name},
        "org_b": {batch_b.name},
        "org_city": {batch_a.name, batch_b.name, city_batch.name},
        "admin": {batch_a.name, batch_b.name, city_batch.name},
    }
    assert login(org_a).get(city_batch.get_absolute_url()).status_code == 404
    assert login(org_city).get(batch_a.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user"])
def test_readers_have_no_batch_pages(login, personas, batch_a, persona):
    client = login(personas[persona])
    assert client.get(reverse("postings:batch_list")).status_code == 403
    assert client.get(batch_a.get_absolute_url()).status_code == 404


def test_the_batch_list_counts_candidates_selected_and_postings(
    login, org_a, tree, batch_a
):
    cadres = [CadreFactory(unit=tree.organ_a) for _ in range(3)]
    for i, cadre in enumerate(cadres):
        Nomination.objects.create(
            batch=batch_a,
            cadre=cadre,
            source=Nomination.Source.SELF,
            decision=SELECTED if i < 2 else Nomination.Decision.PENDING,
        )
    PostingFactory(cadre=cadres[0], batch=batch_a, status=Posting.Status.PROPOSED)
    body = login(org_a).get(reverse("postings:batch_list")).content.decode()
    row = body.split(batch_a.name)[1].split("</tr>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    # year, kinds, unit, planned, candidates, selected, posted, mobilised
    assert cells[4:7] == ["3", "2", "1"]


def test_the_batch_page_counts_its_postings_by_status(login, org_a, tree, batch_a):
    for status in ["proposed", "proposed", "active", "completed"]:
        PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a), batch=batch_a, status=status
        )
    PostingFactory(cadre=CadreFactory(unit=tree.organ_a))  # in no batch
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', body))
    assert counts == {
        "proposed": "2",
        "active": "1",
        "completed": "1",
        "ended_early": "0",
        "withdrawn": "0",
    }


def test_the_batch_page_shows_its_terms(login, org_a, batch_a):
    batch_a.terms = {"village": 36}
    batch_a.save()
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    assert "村任职(第一书记等) 36" in body
    assert "企业厂长(经理)助理 6" in body


# --- Nominations ------------------------------------------------------------------


def _nominate(client, batch, cadre, source="organisation", recommender=""):
    return client.post(
        reverse("postings:nomination_add", args=[batch.pk]),
        {"cadre": cadre.pk, "source": source, "recommender": recommender},
    )


def test_org_staff_nominate_a_cadre_of_their_jurisdiction(login, org_a, tree, batch_a):
    cadre = CadreFactory(name="司徒候选", unit=tree.organ_a)
    response = _nominate(login(org_a), batch_a, cadre, "mass", "甲县财政局党组")
    assert response.status_code == 302
    assert response["Location"] == batch_a.get_absolute_url()
    assert _messages(response) == ["已加入人选。"]
    nomination = batch_a.nominations.get()
    assert (nomination.cadre, nomination.source, nomination.recommender) == (
        cadre,
        Nomination.Source.MASS,
        "甲县财政局党组",
    )
    assert nomination.decision == Nomination.Decision.PENDING
    assert nomination.history.get().history_user == org_a
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    assert 'data-cadre="司徒候选"' in body


def test_a_cadre_outside_the_jurisdiction_cannot_be_nominated(
    login, org_a, tree, batch_a
):
    outsider = CadreFactory(unit=tree.organ_b)
    response = _nominate(login(org_a), batch_a, outsider)
    assert response.status_code == 302
    assert any(m.startswith("干部：") for m in _messages(response))
    assert not Nomination.objects.exists()
    with pytest.raises(ValidationError) as caught:
        services.nomination_add(batch=batch_a, cadre=outsider, source="self", by=org_a)
    assert caught.value.message_dict["cadre"] == [
        "只能推荐本批次管辖范围（甲县）内的干部。"
    ]


def test_city_staff_cannot_put_another_countys_cadre_or_posting_in_a_county_batch(
    login, org_city, tree, batch_a
):
    """A batch holds only what its own jurisdiction's staff may see, whoever
    adds to it: city staff see county B's cadre, county A's batch may not
    hold them (their county's staff would see a cadre they cannot open)."""
    outsider = CadreFactory(unit=tree.organ_b, name="乙县外调人")
    response = _nominate(login(org_city), batch_a, outsider)
    assert response.status_code == 302
    assert "干部：只能推荐本批次管辖范围（甲县）内的干部。" in _messages(response)
    assert not Nomination.objects.exists()
    insider = CadreFactory(unit=tree.organ_a)
    _nominate(login(org_city), batch_a, insider)
    assert Nomination.objects.get().cadre == insider
    with pytest.raises(ValidationError) as caught:
        services.posting_create(
            by=org_city,
            cadre=outsider,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=tree.organ_b,
            receiving_unit=tree.township_b1,
            title="乡镇长助理",
            category=PostCategory.TOWNSHIP_LEADER,
            post_rank=outsider.rank,
            batch=batch_a,
            start_date=dt.date(2026, 4, 1),
        )
    assert caught.value.message_dict["batch"] == [
        "派出单位或接收单位至少有一个须在本批次的管辖范围（甲县）内。"
    ]
    assert not Posting.objects.filter(batch=batch_a).exists()


def test_a_cadre_is_nominated_once_per_batch(login, org_a, tree, batch_a, batch_b):
    cadre = CadreFactory(unit=tree.organ_a)
    client = login(org_a)
    _nominate(client, batch_a, cadre)
    response = _nominate(client, batch_a, cadre, source="self")
    assert "干部：该干部已在本批次的人选中。" in _messages(response)
    assert batch_a.nominations.count() == 1
    # Another batch may take the same cadre.
    other = make_batch(tree.county_a, org_a, name="甲县2026年第二批")
    _nominate(client, other, cadre)
    assert Nomination.objects.filter(cadre=cadre).count() == 2


def test_the_reserve_filter_offers_only_reserve_cadres(login, org_a, tree, batch_a):
    reserve = CadreFactory(name="后备甲", unit=tree.organ_a, is_reserve=True)
    ordinary = CadreFactory(name="普通乙", unit=tree.organ_a, is_reserve=False)
    outsider = CadreFactory(name="外县丙", unit=tree.organ_b, is_reserve=True)
    client = login(org_a)

    def offered(reserve_only):
        form = NominationForm(user=org_a, reserve_only=reserve_only)
        return set(form.fields["cadre"].queryset)

    assert offered(True) == {reserve}
    everyone = offered(False)
    assert {reserve, ordinary} <= everyone
    assert outsider not in everyone
    # The cadre box suggests as the user types (cadres:lookup), from the same
    # reserve-only choices: neither the ordinary nor the other county's cadre.
    body = client.get(batch_a.get_absolute_url() + "?reserve=1").content.decode()
    assert "source=reserve_cadres&amp;field=cadre" in body
    assert "只显示后备干部" not in body
    body = client.get(batch_a.get_absolute_url()).content.decode()
    assert "source=cadres&amp;field=cadre" in body
    assert "只显示后备干部" in body
    lookup = reverse("cadres:lookup")
    for typed in ("后备", "普通", "外县", "甲", "乙", "丙"):
        suggested = client.get(
            lookup, {"source": "reserve_cadres", "field": "cadre", "cadre": typed}
        ).content.decode()
        assert ("后备甲（甲县财政局，正科，后备）" in suggested) == (typed in "后备甲")
        assert "普通乙" not in suggested
        assert "外县丙" not in suggested


# --- Scores and decisions -----------------------------------------------------------


@pytest.fixture
def nomination(tree, batch_a):
    return Nomination.objects.create(
        batch=batch_a,
        cadre=CadreFactory(name="欧阳考生", unit=tree.organ_a),
        source=Nomination.Source.ORGANISATION,
    )


def _score(client, nomination, exam, interview):
    return client.post(
        reverse("postings:nomination_score", args=[nomination.pk]),
        {"exam_score": exam, "interview_score": interview},
    )


@pytest.mark.parametrize(
    ("exam", "interview"), [("0", "100"), ("100", "0"), ("88.5", "91.25")]
)
def test_scores_from_0_to_100_are_recorded(login, org_a, nomination, exam, interview):
    response = _score(login(org_a), nomination, exam, interview)
    assert response["Location"] == nomination.batch.get_absolute_url()
    nomination.refresh_from_db()
    assert (nomination.exam_score, nomination.interview_score) == (
        Decimal(exam),
        Decimal(interview),
    )


@pytest.mark.parametrize(
    ("exam", "interview"), [("101", "80"), ("80", "-1"), ("abc", "80")]
)
def test_scores_outside_0_to_100_are_refused(login, org_a, nomination, exam, interview):
    response = _score(login(org_a), nomination, exam, interview)
    assert response.status_code == 302
    assert _messages(response)  # the error goes back to the batch page
    nomination.refresh_from_db()
    assert (nomination.exam_score, nomination.interview_score) == (None, None)


def test_the_service_and_the_database_refuse_a_score_over_100(org_a, nomination):
    with pytest.raises(ValidationError) as caught:
        services.nomination_score(
            nomination=nomination,
            exam_score=Decimal("100.5"),
            interview_score=None,
            by=org_a,
        )
    assert "成绩须在0到100之间。" in caught.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.filter(pk=nomination.pk).update(interview_score=101)


def _decide(client, nomination, decision, reason):
    return client.post(
        reverse("postings:nomination_decide", args=[nomination.pk]),
        {"decision": decision, "reason": reason},
    )


def test_a_decision_needs_a_reason(login, org_a, nomination):
    response = _decide(login(org_a), nomination, "selected", "")
    assert response.status_code == 302
    assert _messages(response)
    nomination.refresh_from_db()
    assert nomination.decision == Nomination.Decision.PENDING
    assert nomination.decided_by is None
    with pytest.raises(ValidationError) as caught:
        services.nomination_decide(
            nomination=nomination, decision="selected", reason="  ", by=org_a
        )
    assert caught.value.message_dict["reason"] == ["请填写选定或不选定的理由。"]


def test_a_decision_is_recorded_with_its_reason_and_who_made_it(
    login, org_a, nomination
):
    _decide(login(org_a), nomination, "selected", "综合排名第一")
    nomination.refresh_from_db()
    assert nomination.decision == SELECTED
    assert (nomination.decision_reason, nomination.decided_by) == (
        "综合排名第一",
        org_a,
    )
    assert nomination.decided_at is not None
    assert nomination.history.first().history_user == org_a
    body = login(org_a).get(nomination.batch.get_absolute_url()).content.decode()
    assert "综合排名第一（org_a）" in body


def test_a_decision_cannot_change_once_the_candidate_is_posted(org_a, tree, nomination):
    services.nomination_decide(
        nomination=nomination, decision=SELECTED, reason="排名第一", by=org_a
    )
    PostingFactory(cadre=nomination.cadre, batch=nomination.batch, status="proposed")
    with pytest.raises(ValidationError) as caught:
        services.nomination_decide(
            nomination=nomination, decision="rejected", reason="改主意", by=org_a
        )
    assert caught.value.messages == ["该人选已生成挂职，不能再改变选定结果。"]
    nomination.refresh_from_db()
    assert nomination.decision == SELECTED


def test_org_staff_of_another_county_cannot_score_or_decide(login, org_b, nomination):
    client = login(org_b)
    assert _score(client, nomination, "90", "90").status_code == 404
    assert _decide(client, nomination, "selected", "理由").status_code == 404
    nomination.refresh_from_db()
    assert nomination.exam_score is None
    assert nomination.decision == Nomination.Decision.PENDING


# --- Competitive ranking ------------------------------------------------------------


def _scored(batch, tree, scores) -> list[Nomination]:
    return [
        Nomination.objects.create(
            batch=batch,
            cadre=CadreFactory(name=name, unit=tree.organ_a),
            source=Nomination.Source.SELF,
            exam_score=None if exam is None else Decimal(exam),
            interview_score=None if interview is None else Decimal(interview),
        )
        for name, exam, interview in scores
    ]


def test_ties_share_a_rank_and_the_next_rank_skips(tree, batch_a):
    batch_a.exam_weight = 50
    nominations = _scored(
        batch_a,
        tree,
        [
            ("丙", "80", "80"),  # 80
            ("甲", "90", "90"),  # 90
            ("乙一", "85", "85"),  # 85
            ("乙二", "90", "80"),  # 85
            ("未考", "95", None),
            ("丁", "70", "70"),  # 70
        ],
    )
    ranked = services.competitive_ranking(batch_a, nominations)
    assert [(r.nomination.cadre.name, r.total, r.rank) for r in ranked] == [
        ("甲", Decimal("90.00"), 1),
        ("乙一", Decimal("85.00"), 2),
        ("乙二", Decimal("85.00"), 2),
        ("丙", Decimal("80.00"), 4),
        ("丁", Decimal("70.00"), 5),
        ("未考", None, None),
    ]


@pytest.mark.parametrize(
    ("weight", "totals"),
    [
        (60, {"笔试强": Decimal("82.00"), "面试强": Decimal("78.00")}),
        (40, {"笔试强": Decimal("78.00"), "面试强": Decimal("82.00")}),
        (100, {"笔试强": Decimal("90.00"), "面试强": Decimal("70.00")}),
        (0, {"笔试强": Decimal("70.00"), "面试强": Decimal("90.00")}),
    ],
)
def test_the_batch_exam_weight_decides_the_total(tree, batch_a, weight, totals):
    batch_a.exam_weight = weight
    nominations = _scored(
        batch_a, tree, [("笔试强", "90", "70"), ("面试强", "70", "90")]
    )
    ranked = services.competitive_ranking(batch_a, nominations)
    assert {r.nomination.cadre.name: r.total for r in ranked} == totals
    assert ranked[0].nomination.cadre.name == max(totals, key=totals.get)


def test_the_batch_page_shows_the_ranking_in_order(login, org_a, tree, batch_a):
    batch_a.exam_weight = 50
    batch_a.save()
    _scored(
        batch_a,
        tree,
        [
            ("第四", "70", "70"),
            ("第一", "95", "95"),
            ("并列甲", "80", "90"),
            ("并列乙", "90", "80"),
            ("未评", None, None),
        ],
    )
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    rows = re.findall(
        r'<tr data-cadre="([^"]+)"[^>]*>\s*<td class="rank">([^<]+)</td>', body
    )
    assert rows == [
        ("第一", "1"),
        ("并列甲", "2"),
        ("并列乙", "2"),
        ("第四", "4"),
        ("未评", "—"),
    ]


def _ranks(client, url) -> list[tuple[str, str]]:
    body = client.get(url).content.decode()
    return re.findall(
        r'<tr data-cadre="([^"]+)"[^>]*>\s*<td class="rank">([^<]+)</td>', body
    )


def test_the_batch_page_follows_weights_scores_names_and_decisions(
    login, org_a, tree, batch_a
):
    """Each change to what the ranking reads shows on the next request."""
    batch_a.exam_weight = 50
    batch_a.save()
    first, _second = _scored(batch_a, tree, [("甲", "90", "70"), ("乙", "70", "80")])
    client = login(org_a)
    url = batch_a.get_absolute_url()
    assert _ranks(client, url) == [("甲", "1"), ("乙", "2")]  # 80 and 75
    batch_a.exam_weight = 0  # the interview alone
    batch_a.save()
    assert _ranks(client, url) == [("乙", "1"), ("甲", "2")]  # 70 and 80
    client.post(
        reverse("postings:nomination_score", args=[first.pk]),
        {"exam_score": "90", "interview_score": "90.5"},
    )
    assert _ranks(client, url) == [("甲", "1"), ("乙", "2")]
    assert 'name="interview_score" value="90.50"' in client.get(url).content.decode()
    cadre = first.cadre
    cadre.name = "甲改"
    cadre.save()
    assert _ranks(client, url) == [("甲改", "1"), ("乙", "2")]
    client.post(
        reverse("postings:nomination_decide", args=[first.pk]),
        {"decision": SELECTED, "reason": "综合最优"},
    )
    body = client.get(url).content.decode()
    assert f"综合最优（{org_a}）" in body
    assert f"?cadre={cadre.pk}&batch={batch_a.pk}&sending_unit=" in body


def test_the_batch_page_counts_posts_and_postings_as_they_are_added(
    login, org_a, tree, batch_a
):
    client = login(org_a)
    url = batch_a.get_absolute_url()
    assert "尚未设置岗位。" in client.get(url).content.decode()
    client.post(
        reverse("postings:open_post_add", args=[batch_a.pk]),
        _post_form(tree.township_a1, capacity=2),
    )
    post = OpenPost.objects.get()
    body = client.get(url).content.decode()
    assert "<td>甲一镇</td><td>乡镇长助理</td>" in body
    assert "<td>2</td><td>0</td></tr>" in body  # capacity, used
    PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        batch=batch_a,
        open_post=post,
        status=Posting.Status.PROPOSED,
    )
    body = client.get(url).content.decode()
    assert "<td>2</td><td>1</td></tr>" in body
    assert 'data-status="proposed">1<' in body


def test_the_ranking_and_posts_page_through_every_row(
    login, org_a, tree, batch_a, settings
):
    settings.PAGE_SIZE = 2
    _scored(batch_a, tree, [(f"候选{i}", str(90 - i), "80") for i in range(7)])
    for i in range(5):
        OpenPost.objects.create(
            batch=batch_a,
            receiving_unit=tree.township_a1,
            title=f"岗位{i}",
            kind="downward",
            category=PostCategory.TOWNSHIP_LEADER,
            rank=Rank.DEPUTY_SECTION,
        )
    client = login(org_a)
    url = batch_a.get_absolute_url()
    ranks, titles = [], []
    for page in range(1, 5):
        ranks += _ranks(client, f"{url}?page={page}")
        body = client.get(f"{url}?posts_page={page}").content.decode()
        titles += re.findall(r"<td>甲一镇</td><td>(岗位\d)</td>", body)
    assert ranks == [(f"候选{i}", str(i + 1)) for i in range(7)]
    assert titles == [f"岗位{i}" for i in range(5)] + ["岗位4"]  # page 4 is the last


def test_the_batch_page_escapes_what_users_typed(login, org_a, tree, batch_a):
    evil = "<script>alert(1)</script>"
    batch_a.name, batch_a.notes = evil, evil
    batch_a.save()
    unit = UnitFactory(parent=tree.county_a, name=evil)
    cadre = CadreFactory(name=evil, unit=unit, speciality=evil)
    Nomination.objects.create(
        batch=batch_a,
        cadre=cadre,
        source=Nomination.Source.MASS,
        recommender=evil,
        decision=SELECTED,
        decision_reason=evil,
        decided_by=UserFactory(last_name=evil, first_name=""),
    )
    OpenPost.objects.create(
        batch=batch_a,
        receiving_unit=unit,
        title=evil,
        kind="downward",
        category=PostCategory.OTHER,
        rank=Rank.CLERK,
        speciality=evil,
    )
    PostingFactory(cadre=cadre, batch=batch_a, title=evil, receiving_unit=unit)
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    assert "<script>alert" not in body
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # name (title, heading, row, link), notes, unit, speciality, recommender,
    # reason, decider; post unit, title, speciality; posting cadre, unit, title
    assert body.count(escaped) >= 16


# --- Open posts ------------------------------------------------------------------


def _post_form(unit, **changes):
    data = {
        "receiving_unit": unit.pk,
        "title": "乡镇长助理",
        "kind": "downward",
        "category": PostCategory.TOWNSHIP_LEADER,
        "rank": Rank.DEPUTY_SECTION,
        "speciality": "农业",
        "capacity": 2,
    }
    data.update(changes)
    return data


def test_the_post_form_shows_when_asked_for(login, org_a, batch_a):
    client, url = login(org_a), batch_a.get_absolute_url()
    body = client.get(url).content.decode()
    assert 'id="post-form"' not in body
    assert 'href="?add_post=1#add-post"' in body
    body = client.get(f"{url}?add_post=1").content.decode()
    assert 'id="post-form"' in body
    assert reverse("postings:open_post_add", args=[batch_a.pk]) in body


def test_org_staff_add_an_open_post_to_a_batch(login, org_a, tree, batch_a):
    response = login(org_a).post(
        reverse("postings:open_post_add", args=[batch_a.pk]),
        _post_form(tree.township_a1),
    )
    assert response["Location"] == batch_a.get_absolute_url()
    post = OpenPost.objects.get()
    assert (post.batch, post.receiving_unit, post.capacity) == (
        batch_a,
        tree.township_a1,
        2,
    )
    body = login(org_a).get(batch_a.get_absolute_url()).content.decode()
    assert "<td>甲一镇</td><td>乡镇长助理</td>" in body


def test_an_open_post_needs_at_least_one_place(login, org_a, tree, batch_a):
    response = login(org_a).post(
        reverse("postings:open_post_add", args=[batch_a.pk]),
        _post_form(tree.township_a1, capacity=0),
    )
    assert "人数至少为1。" in " ".join(_messages(response))
    assert not OpenPost.objects.exists()


def test_org_staff_of_another_county_cannot_add_posts_or_nominations(
    login, org_b, tree, batch_a
):
    client = login(org_b)
    url = reverse("postings:open_post_add", args=[batch_a.pk])
    assert client.post(url, _post_form(tree.township_b1)).status_code == 404
    cadre = CadreFactory(unit=tree.organ_b)
    assert _nominate(client, batch_a, cadre).status_code == 404
    assert not OpenPost.objects.exists()
    assert not Nomination.objects.exists()


def test_an_open_post_must_be_of_a_kind_the_batch_sends(login, org_a, tree):
    batch = make_batch(tree.county_a, org_a, name="只下派", kinds=["downward"])
    response = login(org_a).post(
        reverse("postings:open_post_add", args=[batch.pk]),
        _post_form(tree.township_a1, kind="upward"),
        follow=True,
    )
    assert "岗位类型须与之一致" in response.content.decode()
    assert not batch.posts.exists()
