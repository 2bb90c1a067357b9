"""Transitions take the real date: never after today, and 到岗 on another day
than the planned start moves the term with it.

The term is counted as DOMAIN.md counts it: in whole calendar months
(guazhi.dates.add_months), plus the days left over when the planned dates are
not whole months apart. 到岗 keeps that length: the start becomes the day of
arrival, the planned end and the mid-term date follow.
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from guazhi.dates import add_months
from postings import services
from postings.models import Posting, StatusChange, midpoint
from tests.factories import CadreFactory, PostingFactory

TODAY = timezone.localdate()
STATUS = Posting.Status


def _move(client, posting, action, **data):
    return client.post(reverse("postings:transition", args=[posting.pk, action]), data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _proposal(tree, start, end) -> Posting:
    return PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=start,
        planned_end_date=end,
        status=STATUS.PROPOSED,
    )


def test_arriving_before_the_planned_start_moves_the_term_earlier(login, org_a, tree):
    """The reported case: 到岗 before the planned start left the start where it
    was, so 提前结束 today was refused as "before the start"."""
    planned = TODAY + dt.timedelta(days=7)
    posting = _proposal(tree, planned, add_months(planned, 12))
    arrived = TODAY - dt.timedelta(days=2)
    client = login(org_a)
    response = _move(client, posting, "activate", on=f"{arrived:%Y-%m-%d}")
    posting.refresh_from_db()
    assert posting.status == STATUS.ACTIVE
    assert posting.start_date == arrived
    assert posting.planned_end_date == add_months(arrived, 12)
    assert posting.midterm_date == midpoint(arrived, add_months(arrived, 12))
    [message] = _messages(response)
    assert f"开始日期 {planned:%Y-%m-%d} → {arrived:%Y-%m-%d}" in message
    assert f"计划结束日期 {add_months(planned, 12):%Y-%m-%d} → " in message
    # And ending it today is now possible.
    _move(client, posting, "end_early", on=f"{TODAY:%Y-%m-%d}", reason="工作需要")
    posting.refresh_from_db()
    assert (posting.status, posting.ended_on) == (STATUS.ENDED_EARLY, TODAY)


def test_arriving_after_the_planned_start_moves_the_term_later(org_a, tree):
    planned = dt.date(2026, 1, 31)
    posting = _proposal(tree, planned, dt.date(2026, 7, 31))  # six months
    arrived = dt.date(2026, 2, 10)
    services.posting_transition(
        posting=posting, action="activate", on=arrived, by=org_a
    )
    posting.refresh_from_db()
    assert (posting.start_date, posting.planned_end_date) == (
        arrived,
        dt.date(2026, 8, 10),
    )


def test_a_term_of_months_and_days_keeps_both(org_a, tree):
    posting = _proposal(tree, dt.date(2026, 1, 10), dt.date(2026, 7, 25))
    services.posting_transition(
        posting=posting, action="activate", on=dt.date(2026, 2, 1), by=org_a
    )
    posting.refresh_from_db()
    # Six months and fifteen days, from the new start.
    assert posting.planned_end_date == dt.date(2026, 8, 16)


def test_arriving_on_the_planned_start_changes_no_date(login, org_a, tree):
    start = TODAY - dt.timedelta(days=1)
    posting = _proposal(tree, start, add_months(start, 6))
    before = Posting.objects.values(
        "start_date", "planned_end_date", "midterm_date"
    ).get(pk=posting.pk)
    response = _move(login(org_a), posting, "activate", on=f"{start:%Y-%m-%d}")
    assert _messages(response) == ["已办理“到岗”。"]
    after = Posting.objects.values(
        "start_date", "planned_end_date", "midterm_date"
    ).get(pk=posting.pk)
    assert after == before


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (STATUS.PROPOSED, "activate"),
        (STATUS.ACTIVE, "complete"),
        (STATUS.ACTIVE, "end_early"),
    ],
)
def test_a_date_after_today_is_refused_and_changes_nothing(
    login, org_a, tree, status, action
):
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=200),
        planned_end_date=TODAY + dt.timedelta(days=1),
        status=status,
    )
    before = Posting.objects.values().get(pk=posting.pk)
    tomorrow = TODAY + dt.timedelta(days=1)
    response = _move(
        login(org_a), posting, action, on=f"{tomorrow:%Y-%m-%d}", reason="按计划"
    )
    assert response.status_code == 302
    assert _messages(response) == [
        f"日期不能晚于今天（{TODAY:%Y-%m-%d}）：请按实际发生的日期办理。"
    ]
    assert Posting.objects.values().get(pk=posting.pk) == before
    assert not StatusChange.objects.exists()


def test_the_service_refuses_a_future_date_on_the_date_field(org_a, world):
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(
            posting=world.a.posting,
            action="end_early",
            on=TODAY + dt.timedelta(days=30),
            reason="调回",
            by=org_a,
        )
    assert "日期不能晚于今天" in caught.value.message_dict["on"][0]


def test_ending_sets_only_the_actual_end_and_says_so(login, org_a, world):
    posting = world.a.posting
    planned_end = posting.planned_end_date
    response = _move(
        login(org_a), posting, "end_early", on=f"{TODAY:%Y-%m-%d}", reason="召回"
    )
    assert _messages(response) == [f"已办理“提前结束”：实际结束日期 {TODAY:%Y-%m-%d}。"]
    posting.refresh_from_db()
    assert (posting.ended_on, posting.planned_end_date) == (TODAY, planned_end)


def _confirms(body: str) -> dict[str, str]:
    forms = re.findall(r'data-action="(\w+)".*?data-confirm="([^"]*)"', body, re.S)
    return dict(forms)


def test_the_arrival_form_names_the_dates_it_will_move(login, org_a, tree):
    start = dt.date(2026, 12, 20)
    posting = _proposal(tree, start, add_months(start, 6))
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    confirm = _confirms(body)["activate"]
    assert "开始日期（现为2026-12-20）" in confirm
    assert "计划结束日期（现为2027-06-20）" in confirm
    assert "中期考核日期" in confirm
    assert "期限6个月不变" in confirm
    assert "不能晚于今天" in confirm


def test_the_ending_forms_name_the_actual_end_and_the_planned_one(login, org_a, world):
    posting = world.a.posting
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    confirms = _confirms(body)
    end = f"{posting.planned_end_date:%Y-%m-%d}"
    for action in ("complete", "end_early"):
        assert "实际结束日期" in confirms[action]
        assert f"计划结束日期{end}不变" in confirms[action]


def _offered_dates(body: str) -> dict[str, str]:
    forms = re.findall(r'data-action="(\w+)".*?name="on" value="([^"]*)"', body, re.S)
    return dict(forms)


def test_the_forms_offer_the_planned_day_once_it_has_come_else_today(
    login, org_a, tree
):
    """A posting recorded late is activated on its planned start unless the
    user says otherwise: a click on 到岗 moves no date unasked."""
    client = login(org_a)
    late = _proposal(
        tree, TODAY - dt.timedelta(days=170), TODAY + dt.timedelta(days=190)
    )
    early = _proposal(
        tree, TODAY + dt.timedelta(days=9), TODAY + dt.timedelta(days=200)
    )
    overdue = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=200),
        planned_end_date=TODAY - dt.timedelta(days=3),
        status=STATUS.ACTIVE,
    )
    offered = _offered_dates(client.get(late.get_absolute_url()).content.decode())
    assert offered["activate"] == f"{late.start_date:%Y-%m-%d}"
    offered = _offered_dates(client.get(early.get_absolute_url()).content.decode())
    assert offered["activate"] == f"{TODAY:%Y-%m-%d}"
    assert offered["withdraw"] == f"{TODAY:%Y-%m-%d}"
    offered = _offered_dates(client.get(overdue.get_absolute_url()).content.decode())
    assert offered["complete"] == f"{overdue.planned_end_date:%Y-%m-%d}"
    assert offered["end_early"] == f"{TODAY:%Y-%m-%d}"
