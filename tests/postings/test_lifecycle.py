"""A posting's life after creation: transitions, extensions, assignments, and
what the host leader sees at each stage.

拟派 (proposed) → 在岗 (active) → 期满 (completed) or 提前结束 (ended early);
each move is a POST to postings:transition by org staff, recorded with who,
when and why. Extensions keep the chain of end dates (rule 6).
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cadres.models import Role
from postings import services
from postings.models import Assignment, Extension, Posting, StatusChange
from records.models import MonthlyNote
from tests.conftest import CADRE_A_NAME, form_errors, months_ago
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    UnitFactory,
    UserFactory,
)

TODAY = timezone.localdate()
STATUS = Posting.Status


def _move(client, posting, action, **data):
    return client.post(reverse("postings:transition", args=[posting.pk, action]), data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _status(posting) -> str:
    return Posting.objects.values_list("status", flat=True).get(pk=posting.pk)


@pytest.fixture
def proposed(tree):
    """A proposed posting at 甲一镇 for a county-A cadre with no other posting."""
    return PostingFactory(
        cadre=CadreFactory(name="诸葛拟派", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=5),
        planned_end_date=TODAY + dt.timedelta(days=360),
        status=STATUS.PROPOSED,
    )


# --- Transitions ------------------------------------------------------------------


def test_activating_a_proposed_posting_records_who_when_and_why(login, org_a, proposed):
    arrived = proposed.start_date  # on the planned start: no date moves
    response = _move(
        login(org_a), proposed, "activate", on=f"{arrived:%Y-%m-%d}", reason="按时到岗"
    )
    assert response.status_code == 302
    assert response["Location"] == proposed.get_absolute_url()
    assert _messages(response) == ["已办理“到岗”。"]
    proposed.refresh_from_db()
    assert proposed.status == STATUS.ACTIVE
    assert proposed.ended_on is None
    change = StatusChange.objects.get(posting=proposed)
    assert (change.from_status, change.to_status) == (STATUS.PROPOSED, STATUS.ACTIVE)
    assert (change.on, change.reason, change.by) == (arrived, "按时到岗", org_a)


def _due(posting) -> str:
    return f"{posting.planned_end_date:%Y-%m-%d}"


def _due_on(posting, end: dt.date) -> Posting:
    """`posting` planned to end on `end`: a transition takes no date after
    today, so 期满 is tried on postings whose end has come."""
    posting.planned_end_date = end
    posting.set_midterm_date()
    posting.save(update_fields=["planned_end_date", "midterm_date"])
    return posting


def test_completing_well_before_the_planned_end_is_refused(login, org_a, world):
    posting = _due_on(world.a.posting, TODAY + dt.timedelta(days=30))
    early = posting.planned_end_date - dt.timedelta(days=60)
    response = _move(login(org_a), posting, "complete", on=f"{early:%Y-%m-%d}")
    assert any("不能按期满结束" in m for m in _messages(response))
    assert _status(posting) == STATUS.ACTIVE
    assert not posting.status_changes.exists()


def test_completing_a_few_days_before_the_planned_end_is_allowed(login, org_a, world):
    posting = _due_on(world.a.posting, TODAY + dt.timedelta(days=5))
    close = posting.planned_end_date - dt.timedelta(days=10)
    _move(login(org_a), posting, "complete", on=f"{close:%Y-%m-%d}")
    assert _status(posting) == STATUS.COMPLETED


def test_completing_an_active_posting_sets_the_actual_end_date(login, org_a, world):
    posting = _due_on(world.a.posting, TODAY)
    due = posting.planned_end_date
    _move(login(org_a), posting, "complete", on=f"{due:%Y-%m-%d}")
    posting.refresh_from_db()
    assert posting.status == STATUS.COMPLETED
    assert posting.ended_on == due
    change = posting.status_changes.get()
    assert (change.from_status, change.to_status) == (STATUS.ACTIVE, STATUS.COMPLETED)


def test_ending_early_needs_a_reason_and_changes_nothing_without_one(
    login, org_a, world
):
    posting = world.a.posting
    for reason in ("", "   "):
        response = _move(
            login(org_a), posting, "end_early", on=f"{TODAY:%Y-%m-%d}", reason=reason
        )
        assert response.status_code == 302
        assert "提前结束须填写原因。" in _messages(response)
    posting.refresh_from_db()
    assert posting.status == STATUS.ACTIVE
    assert posting.ended_on is None
    assert not posting.status_changes.exists()


def test_ending_early_with_a_reason_records_the_reason(login, org_a, world):
    posting = world.a.posting
    _move(
        login(org_a),
        posting,
        "end_early",
        on=f"{TODAY:%Y-%m-%d}",
        reason="因工作需要召回",
    )
    posting.refresh_from_db()
    assert posting.status == STATUS.ENDED_EARLY
    assert (posting.ended_on, posting.end_reason) == (TODAY, "因工作需要召回")
    assert posting.status_changes.get().reason == "因工作需要召回"
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    assert "因工作需要召回" in body
    assert "在岗 → 提前结束" in body


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (STATUS.PROPOSED, "complete", "当前状态为“拟派”，不能执行“期满结束”。"),
        (STATUS.PROPOSED, "end_early", "当前状态为“拟派”，不能执行“提前结束”。"),
        (STATUS.ACTIVE, "activate", "当前状态为“在岗”，不能执行“到岗”。"),
        (STATUS.COMPLETED, "activate", "当前状态为“期满”，不能执行“到岗”。"),
        (STATUS.COMPLETED, "complete", "当前状态为“期满”，不能执行“期满结束”。"),
        (STATUS.COMPLETED, "end_early", "当前状态为“期满”，不能执行“提前结束”。"),
        (STATUS.ENDED_EARLY, "activate", "当前状态为“提前结束”，不能执行“到岗”。"),
        (STATUS.ENDED_EARLY, "complete", "当前状态为“提前结束”，不能执行“期满结束”。"),
    ],
)
def test_a_transition_from_the_wrong_status_is_refused_and_changes_nothing(
    login, org_a, tree, status, action, message
):
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=100),
        status=status,
    )
    before = Posting.objects.values().get(pk=posting.pk)
    response = _move(
        login(org_a), posting, action, on=f"{TODAY:%Y-%m-%d}", reason="试试"
    )
    assert response.status_code == 302
    assert _messages(response) == [message]
    assert Posting.objects.values().get(pk=posting.pk) == before
    assert not StatusChange.objects.exists()


def test_an_end_date_before_the_start_is_refused(login, org_a, world):
    posting = world.a.posting
    day_before = posting.start_date - dt.timedelta(days=1)
    response = _move(login(org_a), posting, "complete", on=f"{day_before:%Y-%m-%d}")
    assert "结束日期不能早于开始日期。" in _messages(response)
    assert _status(posting) == STATUS.ACTIVE


def test_a_transition_without_a_date_is_refused(login, org_a, proposed):
    response = _move(login(org_a), proposed, "activate", reason="到岗")
    assert _messages(response) == ["这个字段是必填项。"]
    assert _status(proposed) == STATUS.PROPOSED
    assert not StatusChange.objects.exists()


def test_an_unknown_action_is_404(login, org_a, proposed):
    response = _move(login(org_a), proposed, "promote", on=f"{TODAY:%Y-%m-%d}")
    assert response.status_code == 404
    assert _status(proposed) == STATUS.PROPOSED


def test_a_transition_answers_get_with_405(login, org_a, proposed):
    url = reverse("postings:transition", args=[proposed.pk, "activate"])
    assert login(org_a).get(url).status_code == 405
    assert _status(proposed) == STATUS.PROPOSED


def test_activation_is_refused_while_the_cadre_is_in_post_elsewhere(
    login, org_a, tree, world
):
    """Rule 1 through the page: cadre A is active at 甲一镇 already."""
    second = PostingFactory(
        cadre=world.a.cadre,
        receiving_unit=tree.village_a1,
        status=STATUS.PROPOSED,
    )
    response = _move(login(org_a), second, "activate", on=f"{TODAY:%Y-%m-%d}")
    [message] = _messages(response)
    assert f"{CADRE_A_NAME}已有在岗的挂职：甲一镇" in message
    assert _status(second) == STATUS.PROPOSED
    assert not second.status_changes.exists()


def test_the_next_posting_may_be_activated_once_the_first_has_ended(
    login, org_a, tree, world
):
    second = PostingFactory(
        cadre=world.a.cadre,
        receiving_unit=tree.village_a1,
        start_date=TODAY,
        status=STATUS.PROPOSED,
    )
    client = login(org_a)
    _move(client, _due_on(world.a.posting, TODAY), "complete", on=f"{TODAY:%Y-%m-%d}")
    _move(client, second, "activate", on=f"{TODAY:%Y-%m-%d}")
    assert _status(second) == STATUS.ACTIVE
    assert _status(world.a.posting) == STATUS.COMPLETED


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user"])
@pytest.mark.parametrize("action", ["complete", "end_early"])
def test_roles_other_than_org_staff_get_404_on_a_transition(
    login, personas, world, persona, action
):
    """Each of them can read cadre A's posting, but may not move it."""
    posting = world.a.posting
    client = login(personas[persona])
    assert client.get(posting.get_absolute_url()).status_code == 200
    response = _move(client, posting, action, on=f"{TODAY:%Y-%m-%d}", reason="x")
    assert response.status_code == 404
    assert _status(posting) == STATUS.ACTIVE
    assert not StatusChange.objects.exists()


def test_org_staff_of_another_county_get_404_on_a_transition(login, org_b, world):
    response = _move(login(org_b), world.a.posting, "complete", on=f"{TODAY:%Y-%m-%d}")
    assert response.status_code == 404
    assert _status(world.a.posting) == STATUS.ACTIVE


def test_org_staff_of_the_city_may_move_a_county_posting(login, org_city, world):
    posting = _due_on(world.b.posting, TODAY)
    _move(login(org_city), posting, "complete", on=_due(posting))
    assert _status(world.b.posting) == STATUS.COMPLETED
    assert world.b.posting.status_changes.get().by == org_city


def test_each_transition_adds_a_history_record_by_its_actor(
    login, org_a, org_city, proposed
):
    created = proposed.history.count()
    _move(login(org_a), proposed, "activate", on=f"{TODAY:%Y-%m-%d}")
    assert proposed.history.count() == created + 1
    assert proposed.history.first().history_user == org_a
    assert proposed.history.first().status == STATUS.ACTIVE
    _move(login(org_city), proposed, "end_early", on=f"{TODAY:%Y-%m-%d}", reason="召回")
    assert proposed.history.count() == created + 2
    latest = proposed.history.first()
    assert (latest.history_user, latest.status) == (org_city, STATUS.ENDED_EARLY)
    # A refused transition writes no history.
    _move(login(org_a), proposed, "complete", on=f"{TODAY:%Y-%m-%d}")
    assert proposed.history.count() == created + 2


def _offered_actions(body: str) -> list[str]:
    return sorted(set(re.findall(r'data-action="(\w+)"', body)))


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (STATUS.PROPOSED, ["activate", "withdraw"]),
        (STATUS.ACTIVE, ["complete", "end_early"]),
        (STATUS.COMPLETED, []),
        (STATUS.ENDED_EARLY, []),
        (STATUS.WITHDRAWN, []),
    ],
)
def test_the_posting_page_offers_only_the_transitions_of_its_status(
    login, org_a, tree, status, offered
):
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        status=status,
    )
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    assert _offered_actions(body) == offered


def test_readers_are_offered_no_transitions(login, host_a, home_a, world):
    for user in (host_a, home_a):
        body = login(user).get(world.a.posting.get_absolute_url()).content.decode()
        assert _offered_actions(body) == []
        assert "/transition/" not in body


def test_the_posting_page_lists_the_status_changes(login, org_a, proposed):
    client = login(org_a)
    arrived, left = TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=1)
    _move(client, proposed, "activate", on=f"{arrived:%Y-%m-%d}", reason="到岗报到")
    _move(client, proposed, "end_early", on=f"{left:%Y-%m-%d}", reason="身体原因")
    body = client.get(proposed.get_absolute_url()).content.decode()
    table = body.split('id="status-changes"')[1].split("</table>")[0]
    assert table.index("拟派 → 在岗") < table.index("在岗 → 提前结束")
    for text in (f"{arrived:%Y-%m-%d}", "到岗报到", f"{left:%Y-%m-%d}", "身体原因"):
        assert text in table
    assert table.count("org_a") == 2


# --- Extensions (rule 6) -------------------------------------------------------------


def _extend(client, posting, new_end, reason="工作需要", approver="县委组织部"):
    return client.post(
        reverse("postings:extend", args=[posting.pk]),
        {"new_end_date": f"{new_end:%Y-%m-%d}", "reason": reason, "approver": approver},
    )


def test_extending_moves_the_end_date_and_records_the_extension(login, org_a, world):
    posting = world.a.posting
    old_end = posting.planned_end_date
    new_end = old_end + dt.timedelta(days=180)
    response = _extend(login(org_a), posting, new_end)
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.planned_end_date == new_end
    extension = Extension.objects.get(posting=posting)
    assert (extension.old_end_date, extension.new_end_date) == (old_end, new_end)
    assert (extension.reason, extension.approver, extension.by) == (
        "工作需要",
        "县委组织部",
        org_a,
    )
    assert posting.history.first().history_user == org_a


def test_extensions_chain_from_each_old_end_date_to_the_new_one(login, org_a, world):
    posting = world.a.posting
    first_end = posting.planned_end_date
    second = first_end + dt.timedelta(days=90)
    third = second + dt.timedelta(days=90)
    client = login(org_a)
    _extend(client, posting, second, reason="项目未完成")
    _extend(client, posting, third, reason="群众挽留", approver="组干〔2026〕8号")
    chain = list(posting.extensions.values_list("old_end_date", "new_end_date"))
    assert chain == [(first_end, second), (second, third)]
    posting.refresh_from_db()
    assert posting.planned_end_date == third
    body = client.get(posting.get_absolute_url()).content.decode()
    listed = body.split('id="extensions"')[1].split("</ul>")[0]
    assert listed.index("项目未完成") < listed.index("群众挽留")
    assert f"{first_end:%Y-%m-%d} → <strong>{second:%Y-%m-%d}</strong>" in listed
    assert f"{second:%Y-%m-%d} → <strong>{third:%Y-%m-%d}</strong>" in listed
    assert "组干〔2026〕8号" in listed


@pytest.mark.parametrize("days", [0, -1, -30])
def test_an_extension_must_move_the_end_later(login, org_a, world, days):
    posting = world.a.posting
    end = posting.planned_end_date
    response = _extend(login(org_a), posting, end + dt.timedelta(days=days))
    assert response.status_code == 200
    assert f"新结束日期须晚于现结束日期{end:%Y-%m-%d}。" in form_errors(response)
    posting.refresh_from_db()
    assert posting.planned_end_date == end
    assert not Extension.objects.exists()


def test_the_database_refuses_an_extension_that_does_not_move_the_end_later(
    org_a, world
):
    end = world.a.posting.planned_end_date
    with pytest.raises(IntegrityError), transaction.atomic():
        Extension.objects.create(
            posting=world.a.posting,
            old_end_date=end,
            new_end_date=end,
            reason="x",
            approver="y",
            by=org_a,
        )


def test_an_extension_needs_a_reason_and_an_approver(login, org_a, world):
    posting = world.a.posting
    end = posting.planned_end_date
    response = _extend(
        login(org_a), posting, end + dt.timedelta(days=30), reason="", approver=""
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"reason", "approver"}
    assert not Extension.objects.exists()


@pytest.mark.parametrize("status", [STATUS.COMPLETED, STATUS.ENDED_EARLY])
def test_an_ended_posting_cannot_be_extended(login, org_a, tree, status):
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        status=status,
    )
    end = posting.planned_end_date
    with pytest.raises(ValidationError) as caught:
        services.posting_extend(
            posting=posting,
            new_end_date=end + dt.timedelta(days=90),
            reason="x",
            approver="y",
            by=org_a,
        )
    assert caught.value.messages == ["已结束的挂职不能延期。"]
    client = login(org_a)
    response = _extend(client, posting, end + dt.timedelta(days=90))
    assert "已结束的挂职不能延期。" in form_errors(response)
    assert Posting.objects.get(pk=posting.pk).planned_end_date == end
    assert not Extension.objects.exists()
    # ... and the page offers neither an extension nor a further assignment.
    body = client.get(posting.get_absolute_url()).content.decode()
    assert reverse("postings:extend", args=[posting.pk]) not in body
    assert reverse("postings:assignment_add", args=[posting.pk]) not in body


def test_a_midterm_review_still_ahead_moves_with_the_extension(org_a, tree):
    start = TODAY - dt.timedelta(days=10)
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=start,
        planned_end_date=start + dt.timedelta(days=180),
    )
    assert posting.midterm_date == start + dt.timedelta(days=90)
    services.posting_extend(
        posting=posting,
        new_end_date=start + dt.timedelta(days=360),
        reason="x",
        approver="y",
        by=org_a,
    )
    posting.refresh_from_db()
    assert posting.midterm_date == start + dt.timedelta(days=180)


def test_a_midterm_review_already_past_stays_where_it_was(org_a, tree):
    start = TODAY - dt.timedelta(days=200)
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=start,
        planned_end_date=start + dt.timedelta(days=300),
    )
    midterm = posting.midterm_date
    assert midterm < TODAY
    services.posting_extend(
        posting=posting,
        new_end_date=posting.planned_end_date + dt.timedelta(days=200),
        reason="x",
        approver="y",
        by=org_a,
    )
    posting.refresh_from_db()
    assert posting.midterm_date == midterm
    assert posting.planned_end_date == start + dt.timedelta(days=500)


def test_only_org_staff_in_scope_may_extend(login, host_a, org_b, world):
    posting = world.a.posting
    end = posting.planned_end_date
    for user in (host_a, org_b):
        response = _extend(login(user), posting, end + dt.timedelta(days=30))
        assert response.status_code == 404
    assert Posting.objects.get(pk=posting.pk).planned_end_date == end
    assert not Extension.objects.exists()


# --- Assignments (轮岗 / 双挂双岗) ---------------------------------------------


@pytest.fixture
def long_posting(tree):
    """Two years at 甲一镇, 2026-03-01 to 2028-03-01."""
    return PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2026, 3, 1),
        planned_end_date=dt.date(2028, 3, 1),
    )


def _assign(posting, by, kind, start, end, unit=None, title="党委副书记"):
    return services.assignment_add(
        posting=posting,
        by=by,
        kind=kind,
        unit=unit or posting.receiving_unit,
        title=title,
        start_date=start,
        end_date=end,
    )


ROTATION, CONCURRENT = Assignment.Kind.ROTATION, Assignment.Kind.CONCURRENT


def test_org_staff_add_an_assignment_that_the_posting_page_shows(
    login, org_a, tree, long_posting
):
    client = login(org_a)
    response = client.post(
        reverse("postings:assignment_add", args=[long_posting.pk]),
        {
            "kind": CONCURRENT,
            "unit": tree.village_a1.pk,
            "title": "第一书记",
            "start_date": "2026-04-01",
            "end_date": "",
        },
    )
    assert response.status_code == 302
    assignment = long_posting.assignments.get()
    assert (assignment.kind, assignment.unit, assignment.by) == (
        CONCURRENT,
        tree.village_a1,
        org_a,
    )
    body = client.get(long_posting.get_absolute_url()).content.decode()
    listed = body.split('id="assignments"')[1].split("</ol>")[0]
    assert "甲一村第一书记 · 兼任(双挂双岗) · 2026-04-01 ~ —" in listed


def test_overlapping_rotations_are_refused(org_a, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    with pytest.raises(ValidationError) as caught:
        _assign(long_posting, org_a, ROTATION, dt.date(2026, 8, 1), dt.date(2027, 3, 1))
    assert caught.value.message_dict["start_date"] == [
        "轮岗岗位之间时间不能重叠（同时兼任请选择“兼任”）。"
    ]
    assert long_posting.assignments.count() == 1


def test_a_rotation_inside_another_is_refused(org_a, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2027, 3, 1))
    with pytest.raises(ValidationError):
        _assign(long_posting, org_a, ROTATION, dt.date(2026, 5, 1), dt.date(2026, 6, 1))
    assert long_posting.assignments.count() == 1


def test_back_to_back_rotations_are_allowed(org_a, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 9, 1), dt.date(2027, 3, 1))
    assert long_posting.assignments.count() == 2


def test_an_open_ended_rotation_blocks_any_later_rotation(org_a, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 9, 1), None)
    with pytest.raises(ValidationError):
        _assign(long_posting, org_a, ROTATION, dt.date(2027, 9, 1), None)
    # ... but not one that ends before it starts.
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    assert long_posting.assignments.count() == 2


def test_a_concurrent_role_may_overlap_a_rotation(org_a, tree, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2027, 3, 1))
    _assign(
        long_posting,
        org_a,
        CONCURRENT,
        dt.date(2026, 6, 1),
        dt.date(2026, 12, 1),
        unit=tree.village_a1,
        title="第一书记",
    )
    assert long_posting.assignments.filter(kind=CONCURRENT).count() == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 2, 28), dt.date(2026, 9, 1)),  # starts before the posting
        (dt.date(2027, 9, 1), dt.date(2028, 3, 2)),  # ends after it
        (dt.date(2025, 1, 1), None),
    ],
)
@pytest.mark.parametrize("kind", [ROTATION, CONCURRENT])
def test_an_assignment_outside_the_posting_term_is_refused(
    org_a, long_posting, kind, start, end
):
    with pytest.raises(ValidationError) as caught:
        _assign(long_posting, org_a, kind, start, end)
    assert caught.value.message_dict["start_date"] == ["岗位安排须在挂职期限之内。"]
    assert not long_posting.assignments.exists()


def test_an_assignment_over_the_whole_term_is_inside_it(org_a, long_posting):
    _assign(long_posting, org_a, ROTATION, dt.date(2026, 3, 1), dt.date(2028, 3, 1))
    assert long_posting.assignments.count() == 1


def test_an_assignment_must_end_after_it_starts(login, org_a, long_posting):
    response = login(org_a).post(
        reverse("postings:assignment_add", args=[long_posting.pk]),
        {
            "kind": ROTATION,
            "unit": long_posting.receiving_unit.pk,
            "title": "党委副书记",
            "start_date": "2026-09-01",
            "end_date": "2026-08-01",
        },
    )
    assert response.status_code == 200
    assert "结束日期须晚于开始日期。" in form_errors(response)
    assert not long_posting.assignments.exists()


def test_an_ended_posting_takes_no_further_assignment(org_a, tree):
    ended = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2026, 3, 1),
        status=STATUS.COMPLETED,
    )
    with pytest.raises(ValidationError):
        _assign(ended, org_a, ROTATION, dt.date(2026, 4, 1), dt.date(2026, 9, 1))


# --- What the host leader sees ---------------------------------------------------------


def test_host_leader_sees_an_active_posting_at_their_unit(login, host_a, world):
    client = login(host_a)
    assert client.get(world.a.posting.get_absolute_url()).status_code == 200
    assert CADRE_A_NAME in client.get(reverse("postings:list")).content.decode()


def test_host_leader_does_not_see_a_proposed_posting_at_their_unit(
    login, host_a, proposed
):
    client = login(host_a)
    assert client.get(proposed.get_absolute_url()).status_code == 404
    assert "诸葛拟派" not in client.get(reverse("postings:list")).content.decode()
    url = reverse("cadres:note_create", args=[proposed.pk])
    assert client.get(url).status_code == 404


def test_host_leader_does_not_see_the_cadre_of_a_proposed_posting(
    login, host_a, proposed
):
    client = login(host_a)
    assert "诸葛拟派" not in client.get(reverse("cadres:list")).content.decode()
    assert client.get(proposed.cadre.get_absolute_url()).status_code == 404


def test_host_leader_sees_the_posting_once_it_is_activated(
    login, org_a, host_a, proposed
):
    _move(login(org_a), proposed, "activate", on=f"{TODAY:%Y-%m-%d}")
    client = login(host_a)
    assert client.get(proposed.get_absolute_url()).status_code == 200
    assert "诸葛拟派" in client.get(reverse("postings:list")).content.decode()


def test_host_leader_still_reads_a_completed_posting_and_files_only_open_months(
    login, org_a, host_a, world
):
    posting = world.a.posting
    # This month's note is still open to its author (older months lock).
    fresh = MonthlyNoteFactory(
        posting=posting, month=timezone.localdate().replace(day=1), author=host_a
    )
    client = login(host_a)
    body = client.get(posting.get_absolute_url()).content.decode()
    assert reverse("cadres:note_create", args=[posting.pk]) in body
    assert reverse("cadres:note_edit", args=[fresh.pk]) in body
    assert reverse("cadres:note_edit", args=[world.a.note.pk]) not in body  # locked

    _move(login(org_a), _due_on(posting, TODAY), "complete", on=_due(posting))
    response = client.get(posting.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "期满" in body
    assert world.a.note.work_done[:10] in body  # the notes stay readable
    # The host-write rule: the last months' notes within the lock window stay
    # open after the end (this month's here); locked ones do not.
    assert reverse("cadres:note_create", args=[posting.pk]) in body
    assert reverse("cadres:note_edit", args=[fresh.pk]) in body
    assert reverse("cadres:note_edit", args=[world.a.note.pk]) not in body


def test_host_leader_cannot_file_a_locked_months_note_on_a_completed_posting(
    login, org_a, host_a, world
):
    posting = _due_on(world.a.posting, TODAY)
    _move(login(org_a), posting, "complete", on=_due(posting))
    response = login(host_a).post(
        reverse("cadres:note_create", args=[posting.pk]),
        {
            "month": f"{months_ago(3):%Y-%m}",  # locked by itself long since
            "days_present": 20,
            "days_absent": 0,
            "days_leave": 0,
            "work_done": "补报",
            "conduct": "良好",
        },
    )
    assert "接收单位只能查阅记录、填写组织鉴定" in form_errors(response)
    assert MonthlyNote.objects.filter(posting=posting).count() == 1


def test_host_leader_of_another_unit_sees_nothing_of_the_posting(login, tree, world):
    other = UserFactory(role=Role.HOST_LEADER, unit=UnitFactory(parent=tree.county_a))
    assert login(other).get(world.a.posting.get_absolute_url()).status_code == 404


def test_the_relay_chain_shows_only_postings_the_viewer_may_see(
    login, org_a, cadre_user, tree, world
):
    before = PostingFactory(
        cadre=CadreFactory(name="上官前任", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2024, 3, 1),
        status=STATUS.COMPLETED,
    )
    Posting.objects.filter(pk=world.a.posting.pk).update(predecessor=before)
    staff_view = login(org_a).get(world.a.posting.get_absolute_url())
    assert 'id="relay-chain"' in staff_view.content.decode()
    assert "上官前任" in staff_view.content.decode()
    own_view = login(cadre_user).get(world.a.posting.get_absolute_url())
    assert own_view.status_code == 200
    assert "上官前任" not in own_view.content.decode()
