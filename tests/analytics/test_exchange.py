"""干部交流 (DOMAIN rule 13, seed 003): eligibility at the ten-year boundary,
one category per cadre, targets met and not met, drill-down to the names."""

import datetime as dt

import pytest
from django.urls import reverse

from analytics import services
from analytics.models import ExchangeRecord
from cadres.models import Cadre, Rank, Unit
from postings.facets import years_before
from postings.models import cadres_visible_to
from tests.factories import CadreFactory, UnitFactory

pytestmark = pytest.mark.django_db

REF = dt.date(2026, 6, 30)


@pytest.fixture
def power_unit(tree):
    return UnitFactory(
        name="甲县人社局",
        kind=Unit.Kind.ORGAN,
        parent=tree.county_a,
        is_power_department=True,
    )


def _cadre(unit, *, since, leader=False, rank=Rank.SECTION, name=None):
    extra = {"name": name} if name else {}
    return CadreFactory(
        unit=unit,
        position="科长" if leader else "科员",
        position_since=since,
        is_leader=leader,
        rank=rank,
        **extra,
    )


def _report(user, year=2026, reference=REF):
    sets = services.exchange_sets(
        cadres=cadres_visible_to(user), year=year, reference=reference
    )
    return sets, {row.category.key: row for row in services.exchange_report(sets)}


def test_eligible_on_the_tenth_anniversary_not_the_day_before(tree, org_a):
    ten = years_before(REF, 10)
    on_day = _cadre(tree.organ_a, since=ten, name="满十年")
    day_short = _cadre(tree.organ_a, since=ten + dt.timedelta(days=1), name="差一天")
    sets, rows = _report(org_a)
    assert list(sets.staying) == [on_day]
    assert list(sets.soon) == [day_short]
    assert rows["other"].staying == 1 and rows["other"].soon == 1


def test_becomes_eligible_within_twelve_months_only(tree, org_a):
    ten = years_before(REF, 10)
    _cadre(tree.organ_a, since=years_before(dt.date(2027, 6, 30), 10))  # in 12 m
    _cadre(tree.organ_a, since=years_before(dt.date(2027, 7, 1), 10))  # beyond
    _cadre(tree.organ_a, since=ten - dt.timedelta(days=400))  # long eligible
    _sets, rows = _report(org_a)
    assert rows["other"].soon == 1
    assert rows["other"].staying == 1


def test_each_eligible_cadre_falls_in_exactly_one_category(tree, org_a, power_unit):
    long_ago = dt.date(2010, 1, 1)
    _cadre(power_unit, since=long_ago, leader=True)  # power
    _cadre(power_unit, since=long_ago, leader=False)  # other: not a leader
    _cadre(tree.organ_a, since=long_ago, leader=True, rank=Rank.DEPUTY_SECTION)
    _cadre(tree.organ_a, since=long_ago, leader=True, rank=Rank.DEPUTY_DIVISION)
    _sets, rows = _report(org_a)
    assert {key: row.eligible for key, row in rows.items()} == {
        "power": 1,
        "leader": 1,
        "other": 2,
    }


def test_targets_met_and_not_met(tree, org_a, power_unit):
    long_ago = dt.date(2010, 1, 1)
    moved = _cadre(power_unit, since=long_ago, leader=True)
    _cadre(power_unit, since=long_ago, leader=True)
    for _i in range(4):
        _cadre(tree.organ_a, since=long_ago, leader=True, rank=Rank.SECTION)
    services.exchange_record(
        cadre=moved,
        kind=ExchangeRecord.Kind.EXCHANGE,
        on=dt.date(2026, 3, 1),
        to_unit=tree.organ_a,
        to_post="副局长",
        to_is_leader=True,
        reason="任职满十年交流",
        by=org_a,
    )
    moved.refresh_from_db()
    assert moved.position_since == dt.date(2026, 3, 1)
    _sets, rows = _report(org_a)
    power, leader = rows["power"], rows["leader"]
    # 实权部门: 2 eligible, 1 exchanged: 50% of 2 is 1, met.
    assert (power.eligible, power.exchanged, power.rate_pct) == (2, 1, 50.0)
    assert power.met and power.needed == 0
    # 科级: 4 eligible, none exchanged: 25% of 4 is 1 more needed.
    assert (leader.eligible, leader.exchanged, leader.needed) == (4, 0, 1)
    assert not leader.met


def test_a_kind_not_counted_does_not_count(tree, org_a, power_unit):
    moved = _cadre(power_unit, since=dt.date(2010, 1, 1), leader=True)
    services.exchange_record(
        cadre=moved,
        kind=ExchangeRecord.Kind.SECONDMENT,
        on=dt.date(2026, 3, 1),
        to_unit=tree.township_a1,
        to_post="副镇长",
        to_is_leader=True,
        reason="挂职",
        by=org_a,
    )
    _sets, rows = _report(org_a)
    assert rows["power"].exchanged == 0


def test_targets_round_up_to_whole_cadres():
    row = services.CategoryRow(
        services.CATEGORIES[1], 25, staying=5, exchanged=1, soon=0
    )
    assert row.required == 2  # 25% of 6 = 1.5 -> 2
    assert row.needed == 1


def test_other_county_is_never_counted(tree, org_b):
    _cadre(tree.organ_a, since=dt.date(2010, 1, 1))
    _sets, rows = _report(org_b)
    assert sum(row.eligible for row in rows.values()) == 0


def test_page_numbers_link_to_exactly_their_names(login, tree, org_a, power_unit):
    long_ago = dt.date(2010, 1, 1)
    moved = _cadre(power_unit, since=long_ago, leader=True)
    staying = _cadre(power_unit, since=long_ago, leader=True)
    _cadre(tree.organ_a, since=long_ago)
    _cadre(tree.organ_a, since=years_before(dt.date(2026, 12, 1), 10))
    services.exchange_record(
        cadre=moved,
        kind=ExchangeRecord.Kind.ROTATION,
        on=dt.date(2026, 2, 1),
        to_unit=tree.organ_a,
        to_post="科长",
        to_is_leader=True,
        reason="轮岗",
        by=org_a,
    )
    client = login(org_a)
    response = client.get(
        reverse("analytics:exchange"), {"year": 2026, "reference": "2026-06-30"}
    )
    assert response.status_code == 200
    assert "种子文件 003" in response.content.decode()
    checked = 0
    for row, urls in response.context["lines"]:
        for which, value in (
            ("eligible", row.eligible),
            ("staying", row.staying),
            ("exchanged", row.exchanged),
            ("soon", row.soon),
        ):
            listed = client.get(urls[which])
            assert listed.context["page_obj"].paginator.count == value
            checked += value
    assert checked == 7  # eligible 3 + staying 2 + exchanged 1 + soon 1
    eligible = client.get(response.context["lines"][0][1]["eligible"])
    assert {c.name: c.moved for c in eligible.context["page_obj"]} == {
        moved.name: True,
        staying.name: False,
    }
    export = client.get(reverse("analytics:exchange_export"), {"year": 2026})
    assert export.status_code == 200


def test_exchange_form_records_and_history_is_scoped(login, tree, org_a, org_b):
    cadre = _cadre(tree.organ_a, since=dt.date(2012, 5, 1), name="交流干部")
    client = login(org_a)
    response = client.post(
        reverse("analytics:exchange_create"),
        {
            "cadre": cadre.pk,
            "kind": "exchange",
            "on": "2026-04-01",
            "to_unit": tree.township_a1.pk,
            "to_post": "副镇长",
            "to_is_leader": "on",
            "reason": "任职满十年",
        },
    )
    assert response.status_code == 302
    record = ExchangeRecord.objects.get()
    assert record.from_unit == tree.organ_a and record.from_since == dt.date(2012, 5, 1)
    assert Cadre.objects.get(pk=cadre.pk).unit == tree.township_a1
    history = reverse("analytics:exchange_history", args=[cadre.pk])
    assert "副镇长" in client.get(history).content.decode()
    assert login(org_b).get(history).status_code == 404


def test_a_cadre_hosted_in_another_county_counts_only_at_home(
    login, tree, org_a, org_b
):
    """Rule 13 counts a jurisdiction's own cadre force: a 乙县 cadre on a
    posting in 甲县 is 乙县's to exchange, so the counties' numbers add up."""
    from tests.factories import PostingFactory

    guest = _cadre(tree.organ_b, since=dt.date(2010, 1, 1), name="欧阳客")
    PostingFactory(
        cadre=guest, sending_unit=tree.organ_b, receiving_unit=tree.township_a1
    )
    names = reverse("analytics:exchange_names")
    query = {"set": "staying", "year": 2026, "reference": REF.isoformat()}
    assert "欧阳客" not in login(org_a).get(names, query).content.decode()
    assert "欧阳客" in login(org_b).get(names, query).content.decode()


def test_the_demo_shows_eligible_exchanged_and_shortfalls(login, settings):
    """`seed_demo` gives the exchange report something to show (issue 21)."""
    from io import StringIO

    from django.core.management import call_command

    from cadres.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    client = login(User.objects.get(username="zuzhibu"))
    response = client.get(reverse("analytics:exchange"))
    rows = {row.category.key: row for row, _urls in response.context["lines"]}
    assert sum(1 for row in rows.values() if row.eligible) >= 2
    assert all(row.exchanged for row in rows.values() if row.eligible)
    assert any(not row.met for row in rows.values())
    for row, urls in response.context["lines"]:
        listed = client.get(urls["eligible"])
        assert listed.context["page_obj"].paginator.count == row.eligible


def test_exchange_query_count_does_not_grow_with_the_cadres(
    login, tree, org_a, power_unit
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        for i in range(n):
            cadre = _cadre(
                power_unit if i % 2 else tree.organ_a,
                since=dt.date(2010 + i % 8, 1, 1),
                leader=bool(i % 3),
            )
            if i % 4 == 0:
                services.exchange_record(
                    cadre=cadre,
                    kind=ExchangeRecord.Kind.EXCHANGE,
                    on=dt.date(2026, 3, 1),
                    to_unit=tree.organ_a,
                    to_post="科长",
                    to_is_leader=True,
                    reason="交流",
                    by=org_a,
                )

    client = login(org_a)
    url, query = reverse("analytics:exchange"), {"year": 2026, "reference": REF}
    make(4)
    client.get(url, query)  # the session's first request
    with CaptureQueriesContext(connection) as few:
        client.get(url, query)
    make(40)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, query)
    assert sum(row.eligible for row, _urls in response.context["lines"]) > 30
    assert len(many.captured_queries) == len(few.captured_queries)
