"""月小结: editable by its author until the month locks; concurrent edits conflict."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cadres.models import Role
from records.models import MonthlyNote, NoteMonthLock
from records.services import monthly_note_update, note_locked, note_month_lock
from tests.conftest import form_errors, months_ago
from tests.factories import MonthlyNoteFactory, UserFactory

# An emptied month filter: every month (the list defaults to last month).
ALL_MONTHS = {"month": ""}


def _form(note, **changes) -> dict:
    data = {
        "month": f"{note.month:%Y-%m}",
        "days_present": note.days_present,
        "days_absent": note.days_absent,
        "days_leave": note.days_leave,
        "work_done": note.work_done,
        "learning": note.learning,
        "conduct": note.conduct,
        "comment": note.comment,
        "version": note.version,
    }
    data.update(changes)
    return data


@pytest.fixture
def fresh_note(world, host_a) -> MonthlyNote:
    """This month's note by host_a: it cannot have locked by itself yet."""
    return MonthlyNoteFactory(
        posting=world.a.posting, month=months_ago(0), author=host_a
    )


def _edit_url(note) -> str:
    return reverse("cadres:note_edit", args=[note.pk])


def test_two_clients_editing_the_same_note_second_save_gets_a_conflict(
    login, host_a, fresh_note
):
    first, second = login(host_a), login(host_a)
    # Both open the form at version 1.
    for client in (first, second):
        page = client.get(_edit_url(fresh_note))
        assert 'name="version" value="1"' in page.content.decode()
    mine = "第一位：完成了三个村的道路验收。"
    theirs = "第二位：组织了两次产业对接会。"
    assert (
        first.post(_edit_url(fresh_note), _form(fresh_note, work_done=mine)).status_code
        == 302
    )
    response = second.post(_edit_url(fresh_note), _form(fresh_note, work_done=theirs))
    # The second save is refused with a clear message ...
    assert response.status_code == 200
    assert "保存前，这份月小结已被修改过" in form_errors(response)
    body = response.content.decode()
    # ... that shows both versions: the saved one and the user's own, kept.
    saved_panel = body.split('id="conflict-saved"')[1].split("</div></div>")[0]
    assert mine in saved_panel
    assert theirs in body.split('id="conflict-saved"')[1]  # in the form below
    # The first text is what is saved; nothing of either was lost.
    fresh_note.refresh_from_db()
    assert fresh_note.work_done == mine
    assert fresh_note.version == 2
    # The form now builds on version 2: saving again deliberately works.
    assert 'name="version" value="2"' in body
    again = second.post(
        _edit_url(fresh_note), _form(fresh_note, work_done=theirs, version=2)
    )
    assert again.status_code == 302
    fresh_note.refresh_from_db()
    assert fresh_note.work_done == theirs
    # Both texts are in the note's history.
    texts = list(fresh_note.history.values_list("work_done", flat=True))
    assert mine in texts and theirs in texts


def test_the_service_refuses_a_stale_version_and_writes_nothing(host_a, fresh_note):
    monthly_note_update(note=fresh_note, by=host_a, version=1, comment="第一次")
    stale = MonthlyNote.objects.get(pk=fresh_note.pk)
    with pytest.raises(ValidationError) as exc:
        monthly_note_update(note=stale, by=host_a, version=1, comment="第二次")
    assert exc.value.code == "edit_conflict"
    assert MonthlyNote.objects.get(pk=fresh_note.pk).comment == "第一次"


def test_only_the_author_may_edit_a_note(login, tree, fresh_note):
    colleague = UserFactory(role=Role.HOST_LEADER, unit=tree.township_a1)
    client = login(colleague)
    assert client.get(_edit_url(fresh_note)).status_code == 403
    response = client.post(_edit_url(fresh_note), _form(fresh_note, comment="改"))
    assert response.status_code == 403
    fresh_note.refresh_from_db()
    assert fresh_note.comment != "改"


def test_a_note_locks_by_itself_days_after_its_month_ends(
    login, host_a, world, settings
):
    settings.MONTHLY_NOTE_LOCK_DAYS = 10
    note = world.a.note  # two months ago: well past month end + 10 days
    client = login(host_a)
    page = client.get(_edit_url(note), follow=True)
    assert "自动锁定" in page.content.decode()
    response = client.post(_edit_url(note), _form(note, comment="锁定后修改"))
    assert response.status_code == 200
    assert "自动锁定，不能再修改" in form_errors(response)
    assert "锁定后修改" in response.content.decode()  # the input is kept
    note.refresh_from_db()
    assert note.comment != "锁定后修改"


def test_the_automatic_lock_follows_the_setting(host_a, world, settings):
    note = world.a.note
    settings.MONTHLY_NOTE_LOCK_DAYS = 400  # longer than the note's age
    monthly_note_update(note=note, by=host_a, version=note.version, comment="可改")
    assert MonthlyNote.objects.get(pk=note.pk).comment == "可改"


def test_org_staff_lock_a_month_for_their_jurisdiction(
    login, org_a, host_a, host_b, world, settings
):
    settings.MONTHLY_NOTE_LOCK_DAYS = 400  # only the manual lock counts here
    month = world.a.note.month
    response = login(org_a).post(
        reverse("cadres:note_month_lock"), {"month": f"{month:%Y-%m}"}
    )
    assert response.status_code == 302
    lock = NoteMonthLock.objects.get()
    assert (lock.unit, lock.month, lock.locked_by) == (org_a.unit, month, org_a)
    # County A's note is locked ...
    with pytest.raises(ValidationError, match="锁定"):
        monthly_note_update(
            note=world.a.note, by=host_a, version=world.a.note.version, comment="x"
        )
    # ... county B's note of the same month is not.
    monthly_note_update(
        note=world.b.note, by=host_b, version=world.b.note.version, comment="乙县"
    )
    assert MonthlyNote.objects.get(pk=world.b.note.pk).comment == "乙县"


def test_a_month_cannot_be_locked_twice_or_before_it_ends(org_a, world):
    month = months_ago(1)
    note_month_lock(month=month, by=org_a)
    with pytest.raises(ValidationError, match="已于"):
        note_month_lock(month=month, by=org_a)
    with pytest.raises(ValidationError, match="只能锁定已经结束的月份"):
        note_month_lock(month=months_ago(0), by=org_a)
    assert NoteMonthLock.objects.count() == 1


def test_a_refused_lock_shows_a_message_and_locks_nothing(login, org_a, world):
    response = login(org_a).post(
        reverse("cadres:note_month_lock"), {"month": "not-a-month"}, follow=True
    )
    assert "输入一个有效的日期" in response.content.decode()
    assert not NoteMonthLock.objects.exists()


def test_host_leaders_and_cadres_cannot_lock_months(login, host_a, cadre_user, world):
    for user in (host_a, cadre_user):
        response = login(user).post(
            reverse("cadres:note_month_lock"), {"month": f"{months_ago(1):%Y-%m}"}
        )
        assert response.status_code == 403
    assert not NoteMonthLock.objects.exists()


def test_note_changes_keep_who_and_when(login, host_a, org_a, fresh_note):
    login(host_a).post(_edit_url(fresh_note), _form(fresh_note, comment="表现突出"))
    versions = list(fresh_note.history.order_by("history_date"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert versions[-1].history_user == host_a
    page = login(org_a).get(reverse("cadres:history", args=["note", fresh_note.pk]))
    body = page.content.decode()
    assert "表现突出" in body and "领导评语" in body and str(host_a) in body


def test_late_filing_of_an_auto_locked_month_is_still_possible(login, host_a, world):
    """The lock freezes what was filed; a missing note may still be filed late."""
    month = months_ago(3)
    response = login(host_a).post(
        reverse("cadres:note_create", args=[world.a.posting.pk]),
        {
            "month": f"{month:%Y-%m}",
            "days_present": 20,
            "days_absent": 0,
            "days_leave": 0,
            "work_done": "补报。",
            "conduct": "良好。",
        },
    )
    assert response.status_code == 302
    late = MonthlyNote.objects.get(posting=world.a.posting, month=month)
    assert "自动锁定" in note_locked(late)  # filed, and at once read-only


def test_the_note_list_shows_which_notes_are_locked(login, host_a, world, fresh_note):
    response = login(host_a).get(reverse("cadres:note_list"), ALL_MONTHS)
    states = {n.pk: bool(n.lock_reason) for n in response.context["notes"]}
    assert states == {world.a.note.pk: True, fresh_note.pk: False}
    assert "已锁定" in response.content.decode()


def test_the_note_list_shows_a_manual_lock_only_where_it_covers(
    login, org_a, org_city, world, settings
):
    settings.MONTHLY_NOTE_LOCK_DAYS = 400  # only the manual lock counts here
    assert world.a.note.month == world.b.note.month
    note_month_lock(month=world.a.note.month, by=org_a)
    response = login(org_city).get(reverse("cadres:note_list"), ALL_MONTHS)
    reasons = {n.pk: n.lock_reason for n in response.context["notes"]}
    assert reasons == {
        world.a.note.pk: note_locked(world.a.note),
        world.b.note.pk: "",
    }
    assert str(org_a) in reasons[world.a.note.pk]
    body = response.content.decode()
    assert "已锁定" in body and "可修改" in body
