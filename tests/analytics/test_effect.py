"""工作成效: obligations met on time, grades, warnings, support needs, against
a hand-counted fixture; every number lists exactly its rows."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import Grade, Round
from cadres.models import Rank, Role
from guazhi.dates import add_months
from obligations.models import Obligation
from records.models import SupportNeed, Warning
from tests.assessment.factories import make_round
from tests.factories import (
    CadreFactory,
    PostingFactory,
    SupportNeedFactory,
    WarningFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _obligation(posting, *, month_back, status="open", done_late=False):
    month = add_months(TODAY.replace(day=1), -month_back)
    due = add_months(month, 1).replace(day=10)
    done_on = None
    if status == "done":
        done_on = due + dt.timedelta(days=3 if done_late else -2)
    return Obligation.objects.create(
        kind="monthly_note",
        posting=posting,
        period=month,
        owed_by=Role.HOST_LEADER,
        unit=posting.receiving_unit,
        due_on=due,
        status=status,
        done_on=done_on,
    )


@pytest.fixture
def effect_world(world, tree, org_a, host_a):
    """County A: monthly notes 2 on time, 1 late, 1 overdue (4 months back,
    3, 2, 5); warnings blue/纪律, red/作风 and a revoked one; support needs
    housing open and housing resolved after 10 days; a closed round with
    优秀 for a 副科 and 称职 for a 正科. County B: one of each, never counted
    by county A's staff."""
    a, b = world.a.posting, world.b.posting
    second = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a, rank=Rank.DEPUTY_SECTION),
        receiving_unit=tree.township_a1,
    )
    _obligation(a, month_back=4, status="done")
    _obligation(a, month_back=3, status="done")
    _obligation(a, month_back=2, status="done", done_late=True)
    _obligation(a, month_back=5)
    _obligation(b, month_back=4, status="done")
    WarningFactory(posting=a, author=host_a, level=Warning.Level.BLUE)
    WarningFactory(
        posting=a,
        author=host_a,
        level=Warning.Level.RED,
        dimension=Warning.Dimension.STYLE,
    )
    WarningFactory(
        posting=a,
        author=host_a,
        status=Warning.Status.REVOKED,
        revoked_by=org_a,
        revoke_reason="误报",
    )
    WarningFactory(posting=b, author=host_a)
    SupportNeedFactory(posting=a, author=host_a)
    SupportNeedFactory(
        posting=a,
        author=host_a,
        raised_on=TODAY - dt.timedelta(days=10),
        status=SupportNeed.Status.RESOLVED,
        resolution="已安排周转房",
        resolved_by=host_a,
        resolved_at=timezone.now(),
    )
    SupportNeedFactory(posting=b, author=host_a)
    round_ = make_round(
        org_a, [a, second], status=Round.Status.CLOSED, name="甲县年度考核"
    )
    round_.assessments.filter(posting=second).update(grade=Grade.EXCELLENT)
    round_.assessments.filter(posting=a).update(grade=Grade.COMPETENT)
    return round_


def _tables(client, **params):
    response = client.get(reverse("analytics:effect"), params)
    assert response.status_code == 200
    return {table.key: table for table in response.context["tables"]}


def _cells(table):
    return {row.label: [cell.value for cell in row.cells] for row in table.rows}


def test_county_staff_see_their_hand_counted_effect(login, org_a, effect_world):
    tables = _tables(login(org_a))
    notes = _cells(tables["obligations"])
    # on time, late, overdue, open (with overdue), waived, rate
    assert list(notes.values()) == [[2, 1, 1, 1, 0, 50.0]]
    assert _cells(tables["warnings"]) == {
        "蓝色预警": [1, 0, 1, 0],
        "红色预警": [1, 0, 0, 1],
    }
    assert _cells(tables["support"]) == {"住房": [2, 1, 1, 10.0]}
    grades = _cells(tables[f"grades_{effect_world.pk}"])
    assert grades["全部"][:3] == [2, 1, 1]
    assert grades["副科"][:3] == [1, 1, 0]
    assert grades["正科"][:3] == [1, 0, 1]
    # One round: the summary over the rounds holds the same numbers.
    assert _cells(tables["grades"]) == grades


def _second_round(org_a, effect_world):
    """Another closed round of the same postings: both 优秀."""
    postings = [a.posting for a in effect_world.assessments.all()]
    second = make_round(
        org_a, postings, status=Round.Status.CLOSED, name="甲县第二季度考核"
    )
    second.assessments.update(grade=Grade.EXCELLENT)
    return second


def test_the_grade_summary_adds_up_the_rounds_per_cohort(login, org_a, effect_world):
    second = _second_round(org_a, effect_world)
    tables = _tables(login(org_a))
    assert _cells(tables[f"grades_{second.pk}"])["全部"][:3] == [2, 2, 0]
    summary = _cells(tables["grades"])
    # total, 优秀, 称职, 基本称职, 不称职
    assert summary == {
        "全部": [4, 3, 1, 0, 0],
        "副科": [2, 2, 0, 0, 0],
        "正科": [2, 1, 1, 0, 0],
    }
    assert "共2个考核轮次" in str(tables["grades"].note)


def test_only_the_grade_summary_prints_the_rounds_are_screen_only(
    login, org_a, effect_world
):
    """At province scale (~90 rounds a year) one table per round cannot print
    on one A4 page: the per-round tables are left out of print."""
    second = _second_round(org_a, effect_world)
    html = login(org_a).get(reverse("analytics:effect")).content.decode()
    blocks = re.findall(r'<section class="([^"]*)" id="block-([^"]+)"', html)
    classes = {key: set(names.split()) for names, key in blocks}
    for round_ in (effect_world, second):
        assert "d-print-none" in classes[f"grades_{round_.pk}"]
    for key in ("grades", "obligations", "warnings", "support"):
        assert "d-print-none" not in classes[key], key


def test_other_county_counts_only_its_own(login, org_b, effect_world):
    tables = _tables(login(org_b))
    assert list(_cells(tables["obligations"]).values()) == [[1, 0, 0, 0, 0, 100.0]]
    assert _cells(tables["warnings"]) == {"蓝色预警": [1, 0, 1, 0]}
    assert f"grades_{effect_world.pk}" not in tables


@pytest.mark.parametrize("persona", ["org_a", "org_city", "admin"])
def test_every_effect_number_lists_exactly_its_rows(
    login, personas, effect_world, persona
):
    client = login(personas[persona])
    checked = 0
    for table in _tables(client).values():
        for row in table.rows:
            for cell in row.cells:
                if not cell.url:
                    continue
                listed = client.get(cell.url)
                assert listed.status_code == 200, cell.url
                count = listed.context["page_obj"].paginator.count
                assert count == cell.value, (table.key, row.label, cell.url)
                checked += 1
    assert checked >= 15


def test_effect_export(login, org_a, effect_world):
    response = login(org_a).get(reverse("analytics:effect_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_effect_query_count_does_not_grow_with_the_records(
    login, org_a, host_a, effect_world, world
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(org_a)
    url = reverse("analytics:effect")
    client.get(url)  # the session's first request
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _i in range(20):
        WarningFactory(posting=world.a.posting, author=host_a)
        SupportNeedFactory(posting=world.a.posting, author=host_a)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_days_open_count_shanghai_days_not_utc_days(login, org_a, world, host_a):
    """A need raised on 3 June and resolved at 00:30 on 13 June Shanghai time
    (16:30 UTC on 12 June) stayed open ten days, whatever the hour the page
    is opened at."""
    SupportNeedFactory(
        posting=world.a.posting,
        author=host_a,
        raised_on=dt.date(2026, 6, 3),
        status=SupportNeed.Status.RESOLVED,
        resolution="已解决",
        resolved_by=host_a,
        resolved_at=dt.datetime(2026, 6, 12, 16, 30, tzinfo=dt.UTC),
    )
    assert _cells(_tables(login(org_a))["support"]) == {"住房": [1, 1, 0, 10.0]}
