"""The host-write rule (cadres.host_write): after a posting ends the host
leader still writes the appraisal, the last months' notes within the lock
window and their evaluations in a collecting round; nothing else."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment import evaluations
from assessment.models import Evaluation, Round
from postings.models import Posting
from records import services
from records.host_write import HostWrite, ended_refusal, host_write_refusal
from records.models import (
    Appraisal,
    MonthlyNote,
    NoteMonthLock,
    SupportNeed,
    Symposium,
    Talk,
    Warning,
)
from records.rules import month_end
from tests.assessment.factories import make_round
from tests.conftest import form_errors, months_ago
from tests.factories import MonthlyNoteFactory, SupportNeedFactory

TODAY = timezone.localdate
STILL_POSSIBLE = (
    "接收单位只能查阅记录、填写组织鉴定、在锁定期内补填或修改最后几个月的月小结"
)
FULL = {"de": "88", "neng": "85.5", "qin": "90", "ji": "92", "lian": "80"}


@pytest.fixture
def ended(world, settings) -> Posting:
    """Cadre A's posting, ended early on the last day of last month; a month
    locks 40 days after its end, so last month is open and three months ago
    is locked, whatever today's day of the month."""
    settings.MONTHLY_NOTE_LOCK_DAYS = 40
    posting = world.a.posting
    posting.status = Posting.Status.ENDED_EARLY
    posting.ended_on = month_end(months_ago(1))
    posting.save(update_fields=["status", "ended_on"])
    return posting


def _note(month) -> dict:
    return {
        "month": f"{month:%Y-%m}",
        "days_present": 20,
        "days_absent": 0,
        "days_leave": 1,
        "work_done": "完成年度考核材料。",
        "conduct": "遵规守纪。",
    }


def _dossier(client, posting) -> str:
    url = reverse("cadres:detail", args=[posting.cadre_id])
    return client.get(url).content.decode()


# --- What is refused after the end ----------------------------------------------


def test_a_host_leader_cannot_resolve_a_support_need_after_the_end(
    login, host_a, world
):
    need = SupportNeedFactory(posting=world.a.posting, author=host_a)
    posting = world.a.posting
    posting.status = Posting.Status.COMPLETED
    posting.ended_on = TODAY()
    posting.save(update_fields=["status", "ended_on"])
    client = login(host_a)
    url = reverse("cadres:support_resolve", args=[need.pk])
    response = client.post(url, {"resolution": "已协调周转住房。"})
    assert response.status_code == 200
    assert ended_refusal() in form_errors(response)
    assert STILL_POSSIBLE in form_errors(response)
    need.refresh_from_db()
    assert (need.status, need.resolved_by) == (SupportNeed.Status.OPEN, None)
    # The dossier offers no link that leads there.
    assert url not in _dossier(client, posting)


def test_other_roles_still_resolve_after_the_end(login, org_a, ended):
    need = SupportNeedFactory(posting=ended)
    url = reverse("cadres:support_resolve", args=[need.pk])
    assert url in _dossier(login(org_a), ended)
    response = login(org_a).post(url, {"resolution": "已协调。"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.RESOLVED


def test_a_host_leader_cannot_file_a_talk_after_the_end(login, host_a, ended):
    client = login(host_a)
    url = reverse("cadres:talk_create", args=[ended.pk])
    response = client.post(
        url,
        {
            "talked_on": ended.ended_on.isoformat(),
            "talker": "镇党委书记",
            "talkee": ended.cadre.name,
            "content": "谈期满打算。",
        },
    )
    assert response.status_code == 200
    assert ended_refusal() in form_errors(response)
    assert not Talk.objects.exists()
    page = _dossier(client, ended)
    assert url not in page
    assert reverse("cadres:warning_create", args=[ended.pk]) not in page
    # What is still possible is offered.
    assert reverse("cadres:appraisal_edit", args=[ended.pk]) in page
    assert reverse("cadres:note_create", args=[ended.pk]) in page


def test_the_services_refuse_records_warnings_and_symposia(host_a, ended):
    with pytest.raises(ValidationError, match=STILL_POSSIBLE) as refused:
        services.warning_file(
            posting=ended,
            author=host_a,
            dimension=Warning.Dimension.DISCIPLINE,
            occurred_on=ended.ended_on,
            points=2,
            description="迟到。",
        )
    assert refused.value.code == "host_read_only"
    with pytest.raises(ValidationError, match=STILL_POSSIBLE):
        services.symposium_hold(
            author=host_a,
            held_on=TODAY(),
            title="期满座谈会",
            host="甲一镇",
            minutes="交流。",
            attendees=[ended],
        )
    assert not Warning.objects.exists() and not Symposium.objects.exists()


def test_a_host_leaders_own_talk_is_no_longer_editable_after_the_end(
    login, host_a, world
):
    client = login(host_a)
    talk = services.record_file(
        model=Talk,
        posting=world.a.posting,
        author=host_a,
        talked_on=TODAY(),
        talker="镇党委书记",
        talkee=world.a.cadre.name,
        content="谈工作。",
    )
    edit = reverse("cadres:talk_edit", args=[talk.pk])
    assert edit in _dossier(client, world.a.posting)
    world.a.posting.status = Posting.Status.COMPLETED
    world.a.posting.ended_on = TODAY()
    world.a.posting.save(update_fields=["status", "ended_on"])
    assert edit not in _dossier(client, world.a.posting)
    response = client.post(
        edit,
        {
            "talked_on": TODAY(),
            "talker": "镇长",
            "talkee": world.a.cadre.name,
            "content": "改写。",
        },
    )
    assert ended_refusal() in form_errors(response)
    talk.refresh_from_db()
    assert talk.talker == "镇党委书记"


# --- Monthly notes within the lock window -----------------------------------------


def test_the_last_months_note_is_filed_and_edited_after_the_end(login, host_a, ended):
    client = login(host_a)
    last = months_ago(1)
    response = client.post(reverse("cadres:note_create", args=[ended.pk]), _note(last))
    assert response.status_code == 302
    note = MonthlyNote.objects.get(posting=ended, month=last)
    edit = reverse("cadres:note_edit", args=[note.pk])
    assert edit in client.get(ended.get_absolute_url()).content.decode()
    assert edit in _dossier(client, ended)
    data = {**_note(last), "days_present": 19, "version": note.version}
    assert client.post(edit, data).status_code == 302
    note.refresh_from_db()
    assert note.days_present == 19


def test_an_older_locked_month_or_one_after_the_end_is_refused(login, host_a, ended):
    client = login(host_a)
    url = reverse("cadres:note_create", args=[ended.pk])
    before = MonthlyNote.objects.count()
    old = months_ago(3)
    response = client.post(url, _note(old))
    assert response.status_code == 200
    errors = form_errors(response)
    assert f"{old:%Y年%m月}的月小结在月末40天后已自动锁定" in errors
    assert ended_refusal() in errors
    after_end = client.post(url, _note(months_ago(0)))
    assert ended_refusal() in form_errors(after_end)
    assert MonthlyNote.objects.count() == before


def test_a_month_locked_by_org_staff_is_refused_after_the_end(host_a, org_a, ended):
    last = months_ago(1)
    for month in (months_ago(2), last):  # the months the window may leave open
        NoteMonthLock.objects.create(unit=org_a.unit, month=month, locked_by=org_a)
    with pytest.raises(ValidationError, match="锁定") as refused:
        services.monthly_note_file(
            posting=ended, author=host_a, month=last, days_present=20
        )
    assert refused.value.code == "host_read_only"
    assert not MonthlyNote.objects.filter(month=last).exists()
    # No month is open any more: the page offers no note.
    assert host_write_refusal(ended, host_a, what=HostWrite.NOTE) == ended_refusal()


def test_an_older_note_is_not_editable_after_the_end(login, host_a, ended):
    note = MonthlyNoteFactory(posting=ended, month=months_ago(3), author=host_a)
    client = login(host_a)
    edit = reverse("cadres:note_edit", args=[note.pk])
    assert edit not in _dossier(client, ended)
    response = client.post(edit, {**_note(note.month), "version": note.version})
    assert "已自动锁定" in form_errors(response)
    note.refresh_from_db()
    assert note.version == 1


# --- The appraisal and evaluations --------------------------------------------------


def test_the_appraisal_is_saved_after_the_end(login, host_a, ended):
    response = login(host_a).post(
        reverse("cadres:appraisal_edit", args=[ended.pk]),
        {
            "political": "政治坚定。",
            "performance": "完成招商任务。",
            "conduct": "遵规守纪。",
            "overall": "优秀。",
        },
    )
    assert response.status_code == 302
    assert Appraisal.objects.get(posting=ended).status == Appraisal.Status.DRAFT


def _evaluate(client, assessment):
    data = {f"score_{d}": v for d, v in FULL.items()} | {"submit": ""}
    url = reverse("assessment:evaluate", args=[assessment.pk, "host"])
    return client.post(url, data)


def test_an_evaluation_is_submitted_in_a_collecting_round_after_the_end(
    login, host_a, org_a, ended
):
    assessment = make_round(org_a, [ended]).assessments.get()
    response = _evaluate(login(host_a), assessment)
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(assessment=assessment, source="host")
    assert evaluation.status == Evaluation.Status.SUBMITTED


def test_an_evaluation_in_a_closed_round_is_refused_after_the_end(
    login, host_a, org_a, ended
):
    round_ = make_round(org_a, [ended], status=Round.Status.CLOSED)
    assessment = round_.assessments.get()
    response = _evaluate(login(host_a), assessment)
    assert response.status_code == 200
    assert "接收单位只能在评分中的考核轮次里填写和提交评价" in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        evaluations.evaluation_save(
            assessment=assessment,
            source="host",
            by=host_a,
            scores={"de": 80},
            comments={},
            indicator_scores={},
            submit=False,
        )
    assert refused.value.code == "host_read_only"
    assert not Evaluation.objects.exists()


# --- The rule itself --------------------------------------------------------------


def test_the_rule_does_not_touch_other_roles(org_a, home_a, cadre_user, ended):
    for user in (org_a, home_a, cadre_user):
        for what in HostWrite:
            assert host_write_refusal(ended, user, what=what) == ""


def test_while_active_the_host_writes_everything_but_a_closed_rounds_evaluation(
    host_a, world
):
    posting = world.a.posting
    for what in (HostWrite.APPRAISAL, HostWrite.NOTE, HostWrite.RECORD):
        assert host_write_refusal(posting, host_a, what=what) == ""
    assert host_write_refusal(posting, host_a, what=HostWrite.EVALUATION)
    assert not host_write_refusal(
        posting, host_a, what=HostWrite.EVALUATION, round_collecting=True
    )


def test_a_proposed_posting_refuses_the_host_even_the_appraisal(host_a, world):
    posting = world.a.posting
    posting.status = Posting.Status.PROPOSED
    for what in (HostWrite.APPRAISAL, HostWrite.NOTE, HostWrite.RECORD):
        assert "尚未到岗" in host_write_refusal(posting, host_a, what=what)


def test_after_the_end_the_appraisal_is_allowed_and_records_refused(host_a, ended):
    assert host_write_refusal(ended, host_a, what=HostWrite.APPRAISAL) == ""
    assert host_write_refusal(ended, host_a, what=HostWrite.RECORD) == ended_refusal()
    assert host_write_refusal(
        ended, host_a, what=HostWrite.NOTE, month=months_ago(1)
    ) == ("")
    assert host_write_refusal(
        ended, host_a, what=HostWrite.NOTE, month=months_ago(1) + dt.timedelta(days=40)
    )
