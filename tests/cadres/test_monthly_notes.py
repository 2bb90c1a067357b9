"""月小结: the receiving unit's leader files one note per posting per month."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cadres.models import Role
from guazhi.dates import month_days
from postings.models import Posting
from records.models import MonthlyNote
from records.services import monthly_note_file
from tests.conftest import form_errors, months_ago
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    UserFactory,
)

# An emptied month filter: every month (the list defaults to last month).
ALL_MONTHS = {"month": ""}


def _form(month, **changes) -> dict:
    data = {
        "month": f"{month:%Y-%m}",
        "days_present": 20,
        "days_absent": 1,
        "days_leave": 1,
        "work_done": "牵头完成产业园区招商对接三次。",
        "conduct": "严守纪律，按时到岗。",
        "comment": "表现良好。",
    }
    data.update(changes)
    return data


def _note_url(posting) -> str:
    return reverse("cadres:note_create", args=[posting.pk])


def _free_month(posting, *, shorter_than_31=False):
    """A past month in the posting's term with no note yet."""
    taken = set(posting.monthly_notes.values_list("month", flat=True))
    for n in range(1, 12):
        month = months_ago(n)
        if month < posting.start_date.replace(day=1) or month in taken:
            continue
        if shorter_than_31 and month_days(month) == 31:
            continue
        return month
    raise AssertionError("no free month in the posting's term")


def test_host_leader_files_a_note_for_a_posting_at_their_unit(login, host_a, world):
    posting = world.a.posting
    month = _free_month(posting)
    response = login(host_a).post(_note_url(posting), _form(month))
    assert response.status_code == 302
    assert response["Location"] == posting.get_absolute_url()
    note = MonthlyNote.objects.get(posting=posting, month=month)
    assert note.author == host_a
    assert (note.days_present, note.days_absent, note.days_leave) == (20, 1, 1)
    assert note.month.day == 1


def test_a_second_note_for_the_same_month_is_refused(login, host_a, world):
    posting = world.a.posting
    month = world.a.note.month
    response = login(host_a).post(_note_url(posting), _form(month, days_present=3))
    assert response.status_code == 200
    assert f"{month:%Y年%m月}的月小结已经填报过，请修改已有的那份。" in form_errors(
        response
    )
    notes = MonthlyNote.objects.filter(posting=posting, month=month)
    assert notes.count() == 1
    assert notes.get().days_present != 3


def test_another_units_leader_gets_404_and_nothing_is_written(login, host_b, world):
    posting = world.a.posting
    client = login(host_b)
    assert client.get(_note_url(posting)).status_code == 404
    response = client.post(_note_url(posting), _form(_free_month(posting)))
    assert response.status_code == 404
    assert MonthlyNote.objects.filter(posting=posting).count() == 1


def test_org_staff_cannot_file_notes(login, org_a, world):
    posting = world.a.posting
    response = login(org_a).post(_note_url(posting), _form(_free_month(posting)))
    assert response.status_code == 404
    assert MonthlyNote.objects.filter(posting=posting).count() == 1


def test_a_note_for_a_proposed_posting_is_refused(login, host_a, tree):
    proposed = PostingFactory(
        receiving_unit=tree.township_a1,
        status=Posting.Status.PROPOSED,
        start_date=months_ago(3),
        planned_end_date=months_ago(-9),
    )
    # The host's access starts at activation: a proposed posting does not exist
    # for them yet, and the service refuses it for anyone else too.
    response = login(host_a).post(_note_url(proposed), _form(months_ago(1)))
    assert response.status_code == 404
    assert not MonthlyNote.objects.filter(posting=proposed).exists()
    with pytest.raises(ValidationError, match="不在岗|尚未到岗"):
        monthly_note_file(
            posting=proposed,
            author=host_a,
            month=months_ago(1).replace(day=1),
            days_present=20,
            work_done="走访",
            conduct="良好",
        )


def test_a_note_for_a_future_month_is_refused(login, host_a, world):
    posting = world.a.posting
    response = login(host_a).post(_note_url(posting), _form(months_ago(-1)))
    assert "不能填报未来月份的月小结。" in form_errors(response)
    assert MonthlyNote.objects.filter(posting=posting).count() == 1


def test_a_note_for_a_month_before_the_posting_is_refused(login, host_a, world):
    posting = world.a.posting
    before = months_ago(1, today=posting.start_date)
    response = login(host_a).post(_note_url(posting), _form(before))
    assert "月份不在该挂职的期限内。" in form_errors(response)
    assert MonthlyNote.objects.filter(posting=posting).count() == 1


def test_days_exceeding_the_month_are_refused(login, host_a, world):
    posting = world.a.posting
    month = _free_month(posting, shorter_than_31=True)
    days = month_days(month)
    response = login(host_a).post(
        _note_url(posting),
        _form(month, days_present=days - 1, days_absent=1, days_leave=1),
    )
    assert f"出勤、缺勤、请假合计{days + 1}天，超过该月的{days}天。" in form_errors(
        response
    )
    assert not MonthlyNote.objects.filter(posting=posting, month=month).exists()


def test_days_filling_the_month_exactly_are_accepted(login, host_a, world):
    posting = world.a.posting
    month = _free_month(posting, shorter_than_31=True)
    days = month_days(month)
    response = login(host_a).post(
        _note_url(posting),
        _form(month, days_present=days - 2, days_absent=1, days_leave=1),
    )
    assert response.status_code == 302
    assert MonthlyNote.objects.filter(posting=posting, month=month).exists()


def test_the_form_remembers_the_input_after_an_error(login, host_a, world):
    response = login(host_a).post(
        _note_url(world.a.posting), _form(months_ago(-1), work_done="走访农户四十户。")
    )
    assert "走访农户四十户。" in response.content.decode()


def test_the_database_allows_one_note_per_posting_and_month(world):
    note = world.a.note
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyNote.objects.create(
            posting=note.posting,
            month=note.month,
            days_present=1,
            work_done="重复",
            conduct="重复",
            author=note.author,
        )
    assert MonthlyNote.objects.filter(posting=note.posting).count() == 1


def test_host_leader_edits_their_note(login, host_a, world):
    # This month's note: it cannot have locked yet (world.a.note has).
    note = MonthlyNoteFactory(
        posting=world.a.posting, month=months_ago(0), author=host_a
    )
    response = login(host_a).post(
        reverse("cadres:note_edit", args=[note.pk]),
        _form(note.month, work_done="补充：完成村级道路硬化验收。", version=1),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.work_done == "补充：完成村级道路硬化验收。"
    assert note.version == 2


def test_host_leader_cannot_edit_other_units_notes(login, host_a, world):
    note = world.b.note
    before = note.work_done
    response = login(host_a).post(
        reverse("cadres:note_edit", args=[note.pk]), _form(note.month, work_done="x")
    )
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.work_done == before


def test_host_leader_cannot_see_other_units_notes(login, host_a, world):
    MonthlyNoteFactory(posting=world.b.posting, month=months_ago(3))
    response = login(host_a).get(reverse("cadres:note_list"), ALL_MONTHS)
    assert [n.pk for n in response.context["notes"]] == [world.a.note.pk]
    assert world.b.cadre.name not in response.content.decode()


def test_note_list_filters_by_month(login, org_city, world):
    client = login(org_city)
    month = world.a.note.month
    shown = client.get(reverse("cadres:note_list"), {"month": f"{month:%Y-%m}"})
    assert {n.pk for n in shown.context["notes"]} == {world.a.note.pk, world.b.note.pk}
    empty = client.get(
        reverse("cadres:note_list"), {"month": f"{months_ago(-1, month):%Y-%m}"}
    )
    assert list(empty.context["notes"]) == []


def test_the_note_list_escapes_what_users_typed(login, org_city, tree):
    posting = PostingFactory(
        cadre=CadreFactory(name="<b>王</b>", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    MonthlyNoteFactory(
        posting=posting,
        author=UserFactory(
            role=Role.HOST_LEADER,
            unit=tree.township_a1,
            last_name='"><script>x()</script>',
        ),
    )
    body = login(org_city).get(reverse("cadres:note_list"), ALL_MONTHS).content.decode()
    assert "<script>x()" not in body and "<b>王</b>" not in body
    assert f'<a href="{posting.get_absolute_url()}">&lt;b&gt;王&lt;/b&gt;</a>' in body
    assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in body


def test_the_note_list_names_authors_and_counts_new_notes(login, org_city, world):
    client = login(org_city)
    first = client.get(reverse("cadres:note_list"), ALL_MONTHS)
    assert len(first.context["notes"]) == 2
    note = MonthlyNoteFactory(
        posting=world.a.posting,
        month=months_ago(2, world.a.note.month),
        author=UserFactory(
            role=Role.HOST_LEADER,
            unit=world.a.posting.receiving_unit,
            username="nameless",
            last_name="",
        ),
    )
    second = client.get(reverse("cadres:note_list"), ALL_MONTHS)
    assert {n.pk for n in second.context["notes"]} == {
        world.a.note.pk,
        world.b.note.pk,
        note.pk,
    }
    # An author without a name shows as their username (User.__str__).
    assert [n.author for n in second.context["notes"] if n.pk == note.pk] == [
        "nameless"
    ]
    assert str(world.a.note.author) in second.content.decode()
