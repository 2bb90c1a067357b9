"""Each role's home page leads with what the user owes, overdue first, each
item one click from the form that fulfils it (issue 17); org staff see their
jurisdiction's overdue items, postings ending soon, rounds ready to close and
new warnings. Everything scoped."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from cadres.models import Role
from obligations.models import Obligation
from postings.models import Posting
from tests.factories import PostingFactory, WarningFactory, WorkLogFactory
from tests.portal.helpers import obligation


def _owed_pks(html: str) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(
            r'class="[^"]*owed-item[^"]*" data-obligation="(\d+)"', html
        )
    ]


def test_host_leader_sees_their_notes_overdue_first_with_the_form(login, world, host_a):
    today = timezone.localdate()
    posting = world.a.posting
    soon = obligation(posting, due_on=today + dt.timedelta(days=5))
    late = obligation(
        posting, due_on=today - dt.timedelta(days=3), period=dt.date(2026, 1, 1)
    )
    # Not theirs: another unit's note, the org staff's item, a closed one.
    other = obligation(world.b.posting, due_on=today - dt.timedelta(days=9))
    org_item = obligation(
        posting, owed_by=Role.ORG_STAFF, due_on=today - dt.timedelta(days=9)
    )
    done = obligation(
        posting,
        due_on=today - dt.timedelta(days=20),
        status=Obligation.Status.DONE,
        done_on=today - dt.timedelta(days=21),
    )
    html = login(host_a).get(reverse("home")).content.decode()
    assert _owed_pks(html) == [late.pk, soon.pk]
    assert {other.pk, org_item.pk, done.pk}.isdisjoint(_owed_pks(html))
    # One click from the form: the note form of that month.
    assert (
        f'href="{reverse("cadres:note_create", args=[posting.pk])}?month=2026-01"'
        in html
    )
    assert "逾期 3 天" in html
    assert 'id="owed-overdue"' in html and "1 项逾期" in html


def test_an_item_due_beyond_the_horizon_waits(login, world, host_a):
    today = timezone.localdate()
    obligation(world.a.posting, due_on=today + dt.timedelta(days=45))
    html = login(host_a).get(reverse("home")).content.decode()
    assert _owed_pks(html) == []
    assert "暂无待办事项。" in html


def test_cadre_sees_their_reports_and_todays_log(login, world, cadre_user):
    today = timezone.localdate()
    report = obligation(
        world.a.posting,
        kind="report_semiannual",
        owed_by=Role.CADRE,
        due_on=today + dt.timedelta(days=4),
    )
    client = login(cadre_user)
    html = client.get(reverse("home")).content.decode()
    assert _owed_pks(html) == [report.pk]
    assert reverse("cadres:report_create", args=[world.a.posting.pk]) in html
    log_url = reverse("cadres:worklog_create", args=[world.a.posting.pk])
    assert f'href="{log_url}"' in html
    WorkLogFactory(posting=world.a.posting, date=today)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{log_url}"' not in html
    assert "今天已写" in html


def test_home_contact_sees_visits_due(login, world, home_a):
    today = timezone.localdate()
    visit = obligation(
        world.a.posting,
        kind="follow_up_visit",
        owed_by=Role.HOME_CONTACT,
        due_on=today - dt.timedelta(days=1),
    )
    # County B's sending unit owes its own.
    obligation(
        world.b.posting,
        kind="follow_up_visit",
        owed_by=Role.HOME_CONTACT,
        due_on=today - dt.timedelta(days=1),
    )
    html = login(home_a).get(reverse("home")).content.decode()
    assert _owed_pks(html) == [visit.pk]
    assert visit.get_fulfil_url(home_a) in html


def _overdue_by_kind(html: str) -> dict[str, int]:
    block = html.split('id="overdue-by-kind"', 1)[1].split("</ul>", 1)[0]
    return {
        label: int(n)
        for label, n in re.findall(
            r"<span>([^<]+)</span><a [^>]*data-n=\"(\d+)\"", block
        )
    }


def test_org_staff_see_their_jurisdictions_overdue_items_by_kind(
    login, world, org_a, org_city
):
    today = timezone.localdate()
    for _ in range(3):
        obligation(world.a.posting, due_on=today - dt.timedelta(days=2))
    obligation(
        world.a.posting,
        owed_by=Role.HOME_CONTACT,
        kind="follow_up_visit",
        due_on=today - dt.timedelta(days=2),
    )
    obligation(world.a.posting, due_on=today)  # due today: not overdue
    for _ in range(5):  # county B's: not org_a's to see
        obligation(world.b.posting, due_on=today - dt.timedelta(days=2))
    html = login(org_a).get(reverse("home")).content.decode()
    assert _overdue_by_kind(html) == {"月小结": 3, "回访": 1}
    link = reverse("obligations:list") + "?status=overdue&amp;kind=monthly_note"
    assert link in html
    # The city sees both counties.
    html = login(org_city).get(reverse("home")).content.decode()
    assert _overdue_by_kind(html)["月小结"] == 8


def test_org_staff_see_postings_ending_rounds_to_close_and_new_warnings(
    login, world, org_a, host_a
):
    from tests.assessment.factories import make_round

    today = timezone.localdate()
    ending = PostingFactory(
        sending_unit=world.a.posting.sending_unit,
        receiving_unit=world.a.posting.receiving_unit,
        start_date=today - dt.timedelta(days=300),
        planned_end_date=today + dt.timedelta(days=12),
        status=Posting.Status.ACTIVE,
    )
    PostingFactory(  # county B's: out of scope
        sending_unit=world.b.posting.sending_unit,
        receiving_unit=world.b.posting.receiving_unit,
        start_date=today - dt.timedelta(days=300),
        planned_end_date=today + dt.timedelta(days=12),
        status=Posting.Status.ACTIVE,
    )
    ready = make_round(org_a, [world.a.posting], name="甲县待结束考核")
    make_round(
        org_a,
        [world.a.posting],
        name="甲县进行中考核",
        period_end=today + dt.timedelta(days=30),
    )
    WarningFactory(posting=world.a.posting, author=host_a, description="新预警")
    old = WarningFactory(posting=world.a.posting, author=host_a)
    type(old).objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=8)
    )
    WarningFactory(posting=world.b.posting)
    html = login(org_a).get(reverse("home")).content.decode()
    ending_block = html.split('id="ending-soon"', 1)[1].split("</ul>", 1)[0]
    assert ending.cadre.name in ending_block
    assert ending_block.count("<li") == 1
    rounds_block = html.split('id="rounds-ready"', 1)[1].split("</ul>", 1)[0]
    assert ready.name in rounds_block and "甲县进行中考核" not in rounds_block
    assert (
        reverse("assessment:round_transition", args=[ready.pk, "close"]) in rounds_block
    )
    warnings_block = html.split('id="new-warnings"', 1)[1].split("</ul>", 1)[0]
    assert warnings_block.count("<li") == 1
    assert world.a.cadre.name in warnings_block


def test_other_roles_see_no_jurisdiction_blocks(
    login, world, host_a, home_a, cadre_user
):
    for user in (host_a, home_a, cadre_user):
        html = login(user).get(reverse("home")).content.decode()
        assert 'id="jurisdiction"' not in html
        assert 'id="owed"' in html
