"""Round proposals move early enough that a mid-term or final round exists
ROUND_LEAD_DAYS (a setting, 30) before the review falls due; rounds get a
deadline when collecting starts."""

import datetime as dt

import pytest
from constance import config

from assessment import services
from assessment.models import Assessment, Round
from tests.assessment.factories import make_round, make_version
from tests.factories import CadreFactory, PostingFactory

D = dt.date


@pytest.fixture
def version_a(org_a):
    return make_version(org_a)


def _posting(tree, start, end):
    return PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=start,
        planned_end_date=end,
    )


def test_a_midterm_round_is_proposed_thirty_days_before_the_midterm(tree, version_a):
    posting = _posting(tree, D(2026, 3, 1), D(2027, 3, 1))  # mid-term 2026-08-30
    assert services.rounds_propose(today=D(2026, 7, 30)) == 0
    assert services.rounds_propose(today=D(2026, 7, 31)) == 1
    assert Assessment.objects.get(posting=posting).round.kind == Round.Kind.MIDTERM


def test_a_final_round_is_proposed_thirty_days_before_the_final_review(tree, version_a):
    """The final review falls due 30 days before the planned end (a setting),
    (2026-08-02), so the round is proposed 60 days before the end."""
    posting = _posting(tree, D(2026, 3, 1), D(2026, 9, 1))  # mid-term 2026-05-31
    Round.objects.all().delete()
    assert services.rounds_propose(today=D(2026, 7, 2)) == 1  # the mid-term one
    assert services.rounds_propose(today=D(2026, 7, 3)) == 1
    kinds = set(
        Assessment.objects.filter(posting=posting).values_list("round__kind", flat=True)
    )
    assert kinds == {Round.Kind.MIDTERM, Round.Kind.FINAL}


def test_the_lead_is_a_setting(tree, version_a):
    config.ROUND_LEAD_DAYS = 0
    _posting(tree, D(2026, 3, 1), D(2027, 3, 1))
    assert services.rounds_propose(today=D(2026, 8, 29)) == 0
    assert services.rounds_propose(today=D(2026, 8, 30)) == 1


def test_starting_a_round_sets_its_deadline(world, org_a):
    from django.utils import timezone

    late = make_round(
        org_a,
        [world.a.posting],
        status=Round.Status.OPEN,
        period_start=D(2020, 1, 1),
        period_end=D(2020, 6, 30),
    )
    services.round_transition(round_=late, action="start", by=org_a)
    late.refresh_from_db()
    assert late.deadline == timezone.localdate() + dt.timedelta(days=30)
    future_end = timezone.localdate() + dt.timedelta(days=90)
    later = make_round(
        org_a,
        [world.a.posting],
        status=Round.Status.OPEN,
        name="另一轮",
        period_end=future_end,
    )
    services.round_transition(round_=later, action="start", by=org_a)
    later.refresh_from_db()
    assert later.deadline == future_end
