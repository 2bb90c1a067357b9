"""Each kind of obligation becomes known and falls due on the right
Asia/Shanghai day (checked at 23:59 and at 00:00, when the UTC date is still
the day before), owed by the right people only."""

import datetime as dt

import pytest

from assessment.models import Round
from cadres.models import Role
from obligations.models import Obligation
from postings.models import Posting
from tests.assessment.factories import make_round
from tests.factories import (
    CadreFactory,
    PostingFactory,
    SupportNeedFactory,
    UserFactory,
    WorkLogFactory,
)

from .helpers import clock, just_before, of_kind, sweep_at

D = dt.date


def _active(posting):
    return posting


def _logged_on_april_first(posting):
    WorkLogFactory(posting=posting, date=D(2026, 4, 1))
    return posting


def _over_two_years(posting):
    posting.planned_end_date = D(2028, 6, 1)
    posting.set_midterm_date()
    posting.save()
    return posting


def _ended(posting):
    posting.planned_end_date = posting.ended_on = D(2026, 6, 30)
    posting.status = Posting.Status.COMPLETED
    posting.set_midterm_date()
    posting.save()
    return posting


def _support_raised(posting):
    SupportNeedFactory(posting=posting, raised_on=D(2026, 4, 1))
    return posting


def _in_collecting_round(posting):
    org = UserFactory(role=Role.ORG_STAFF, unit=posting.sending_unit.parent)
    round_ = make_round(
        org,
        [posting],
        period_start=D(2026, 3, 1),
        period_end=D(2026, 6, 30),
    )
    Round.objects.filter(pk=round_.pk).update(deadline=D(2026, 7, 15))
    return posting


# kind, set-up, the day it becomes known, the due day, who owes it
CASES = [
    ("monthly_note", _active, D(2026, 5, 1), D(2026, 5, 10), "host_a"),
    ("work_log", _logged_on_april_first, D(2026, 4, 8), D(2026, 4, 8), "cadre"),
    ("report_semiannual", _active, D(2026, 8, 2), D(2026, 9, 1), "cadre"),
    ("report_research", _active, D(2026, 12, 31), D(2027, 1, 30), "cadre"),
    ("report_self_review", _active, D(2026, 7, 31), D(2026, 8, 30), "cadre"),
    ("midterm_assessment", _active, D(2026, 7, 31), D(2026, 8, 30), "org_a"),
    ("final_assessment", _active, D(2026, 12, 31), D(2027, 1, 30), "org_a"),
    ("annual_review", _over_two_years, D(2027, 1, 30), D(2027, 3, 1), "org_a"),
    ("appraisal", _active, D(2027, 1, 30), D(2027, 3, 1), "host_a"),
    ("follow_up_visit", _ended, D(2026, 11, 30), D(2026, 12, 30), "home_a"),
    ("support_need", _support_raised, D(2026, 4, 1), D(2026, 5, 1), "org_a"),
    ("host_evaluation", _in_collecting_round, None, D(2026, 7, 15), "host_a"),
    ("org_evaluation", _in_collecting_round, None, D(2026, 7, 15), "org_a"),
    ("ballot_turnout", _in_collecting_round, None, D(2026, 7, 12), "org_a"),
]


@pytest.mark.parametrize(("kind", "setup", "known", "due", "owner"), CASES)
def test_each_kind_falls_due_on_its_day_for_its_people_only(
    kind, setup, known, due, owner, posting, cadre_of, personas
):
    setup(posting)
    if known is not None:
        just_before(known)
        assert not of_kind(kind, posting).filter(due_on=due).exists(), "known early"
        sweep_at(known)
    else:  # a round's: known as soon as the round collects
        sweep_at(D(2026, 7, 1))
    obligation = of_kind(kind, posting).get(due_on=due)
    assert obligation.status == Obligation.Status.OPEN
    with clock(due, 23, 59):
        assert not Obligation.objects.overdue().filter(pk=obligation.pk).exists()
        assert not obligation.overdue()
    with clock(due + dt.timedelta(days=1), 0, 0):
        assert Obligation.objects.overdue().filter(pk=obligation.pk).exists()
        assert obligation.overdue()
    people = {**personas, "cadre": cadre_of}
    owing = {
        name
        for name, user in people.items()
        if Obligation.objects.owed_by_user(user).filter(pk=obligation.pk).exists()
    }
    assert owing == {owner}


def test_the_note_of_a_month_is_owed_from_the_first_of_the_next(posting):
    just_before(D(2026, 5, 1))
    assert set(of_kind("monthly_note", posting).values_list("period", flat=True)) == {
        D(2026, 3, 1)
    }
    sweep_at(D(2026, 5, 1))
    assert set(of_kind("monthly_note", posting).values_list("period", flat=True)) == {
        D(2026, 3, 1),
        D(2026, 4, 1),
    }


def test_the_note_due_day_is_a_setting(posting, settings):
    from constance import config

    config.NOTE_DUE_DAY = 5
    sweep_at(D(2026, 5, 1))
    assert of_kind("monthly_note", posting).get(period=D(2026, 4, 1)).due_on == D(
        2026, 5, 5
    )


def test_a_proposed_posting_owes_nothing(tree):
    PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=D(2026, 3, 1),
        status=Posting.Status.PROPOSED,
    )
    sweep_at(D(2026, 12, 1))
    assert not Obligation.objects.exists()


def test_a_ballot_session_that_reached_turnout_owes_nothing(posting):
    from assessment.models import (
        Assessment,
        BallotCode,
        BallotSession,
        RaterGroup,
    )

    _in_collecting_round(posting)
    assessment = Assessment.objects.get(posting=posting)
    org = UserFactory(role=Role.ORG_STAFF, unit=posting.sending_unit.parent)
    session = BallotSession.objects.create(
        assessment=assessment, min_turnout_pct=50, opened_by=org
    )
    group = RaterGroup.objects.create(session=session, name="班子", weight=100, size=2)
    BallotCode.objects.create(group=group, code="AAAA1111", used=True)
    BallotCode.objects.create(group=group, code="AAAA2222", used=False)
    sweep_at(D(2026, 7, 1))
    assert not of_kind("ballot_turnout", posting).exists()
    assert of_kind("host_evaluation", posting).exists()
