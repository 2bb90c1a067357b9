"""Dossier records: who may file, edit and read each kind (DOMAIN.md roles)."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from postings.models import Posting
from records.models import (
    Commendation,
    FollowUpVisit,
    SupportNeed,
    Symposium,
    Talk,
    Training,
    Warning,
    WorkLog,
)
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, form_errors
from tests.factories import (
    PostingFactory,
    SupportNeedFactory,
    TalkFactory,
    WorkLogFactory,
)

TODAY = timezone.localdate


def _url(name, obj) -> str:
    return reverse(name, args=[obj.pk])


def _dossier(client, cadre) -> str:
    return client.get(reverse("cadres:detail", args=[cadre.pk])).content.decode()


# --- 日记录: the cadre writes, others read ---------------------------------------


def test_the_cadre_writes_a_daily_log_that_everyone_in_scope_reads(
    login, cadre_user, host_a, home_a, org_a, world
):
    response = login(cadre_user).post(
        _url("cadres:worklog_create", world.a.posting),
        {"date": TODAY().isoformat(), "content": "走访甲一村脱贫户十二户。"},
    )
    assert response.status_code == 302
    log = WorkLog.objects.get()
    assert (log.author, log.posting, log.date) == (cadre_user, world.a.posting, TODAY())
    for reader in (cadre_user, host_a, home_a, org_a):
        assert "走访甲一村脱贫户十二户。" in _dossier(login(reader), world.a.cadre)


@pytest.mark.parametrize("persona", ["host_a", "home_a", "org_a", "admin"])
def test_no_one_but_the_cadre_writes_daily_logs(login, personas, world, persona):
    client = login(personas[persona])
    url = _url("cadres:worklog_create", world.a.posting)
    assert client.get(url).status_code == 404
    assert client.post(url, {"date": TODAY(), "content": "代写"}).status_code == 404
    assert not WorkLog.objects.exists()


def test_a_log_for_a_day_already_written_or_ahead_is_refused(login, cadre_user, world):
    client = login(cadre_user)
    url = _url("cadres:worklog_create", world.a.posting)
    WorkLogFactory(posting=world.a.posting, date=TODAY())
    again = client.post(url, {"date": TODAY(), "content": "第二篇"})
    assert "这一天的日记录已经写过" in form_errors(again)
    assert "第二篇" in again.content.decode()  # the form keeps the text
    ahead = client.post(
        url, {"date": TODAY() + dt.timedelta(days=1), "content": "明天"}
    )
    assert "日期不能是将来的日期。" in form_errors(ahead)
    assert WorkLog.objects.count() == 1


def test_logs_stop_when_the_posting_has_ended(login, cadre_user, world, tree):
    ended = PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        start_date=dt.date(2024, 1, 1),
        status=Posting.Status.COMPLETED,
    )
    response = login(cadre_user).post(
        _url("cadres:worklog_create", ended), {"date": "2024-05-06", "content": "补写"}
    )
    assert "只有在岗期间才能写日记录。" in form_errors(response)
    assert not WorkLog.objects.exists()


def test_the_cadre_edits_their_own_log_and_nobody_elses(
    login, cadre_user, cadre_b, world
):
    mine = WorkLogFactory(posting=world.a.posting, date=TODAY())
    theirs = WorkLogFactory(posting=world.b.posting, date=TODAY())
    client = login(cadre_user)
    response = client.post(
        _url("cadres:worklog_edit", mine), {"date": TODAY(), "content": "改过的日志"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.content == "改过的日志"
    assert client.get(_url("cadres:worklog_edit", theirs)).status_code == 404


# --- 谈心谈话, 培训, 表扬: host leaders and org staff file ------------------------


@pytest.mark.parametrize("persona", ["host_a", "org_a"])
def test_host_leaders_and_org_staff_record_talks(login, personas, world, persona):
    user = personas[persona]
    client = login(user)
    url = _url("cadres:talk_create", world.a.posting)
    form = client.get(url).content.decode()
    assert CADRE_A_NAME in form  # the cadre is suggested as the one talked with
    response = client.post(
        url,
        {
            "talked_on": TODAY(),
            "talker": str(user),
            "talkee": CADRE_A_NAME,
            "content": "了解思想动态。",
            "outcome": "工作安排清楚。",
            "follow_up": "下月回访。",
        },
    )
    assert response.status_code == 302
    talk = Talk.objects.get()
    assert (talk.author, talk.outcome) == (user, "工作安排清楚。")


@pytest.mark.parametrize(
    "name", ["talk_create", "training_create", "commendation_create"]
)
@pytest.mark.parametrize("persona", ["home_a", "cadre_user", "admin"])
def test_others_cannot_file_talks_trainings_or_commendations(
    login, personas, world, name, persona
):
    client = login(personas[persona])
    assert client.post(_url(f"cadres:{name}", world.a.posting), {}).status_code == 404


def test_only_the_author_edits_a_talk(login, host_a, org_a, world):
    talk = TalkFactory(posting=world.a.posting, author=host_a)
    url = _url("cadres:talk_edit", talk)
    assert login(org_a).get(url).status_code == 403  # in scope, read-only
    assert login(org_a).post(url, {"content": "x"}).status_code == 403
    response = login(host_a).post(
        url,
        {
            "talked_on": talk.talked_on,
            "talker": talk.talker,
            "talkee": talk.talkee,
            "content": "补充内容。",
        },
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.content == "补充内容。"


def test_a_talk_before_the_posting_started_is_refused(login, host_a, world):
    before = world.a.posting.start_date - dt.timedelta(days=1)
    response = login(host_a).post(
        _url("cadres:talk_create", world.a.posting),
        {
            "talked_on": before,
            "talker": "书记",
            "talkee": CADRE_A_NAME,
            "content": "谈",
        },
    )
    assert "谈话日期不能早于挂职开始日期。" in form_errors(response)
    assert not Talk.objects.exists()


def test_trainings_and_commendations_are_filed(login, org_a, host_a, world):
    training = login(org_a).post(
        _url("cadres:training_create", world.a.posting),
        {
            "name": "乡村振兴专题培训",
            "organiser": "市委党校",
            "start_date": TODAY(),
            "end_date": TODAY() - dt.timedelta(days=1),
        },
    )
    assert "结束日期不能早于开始日期。" in form_errors(training)
    assert not Training.objects.exists()
    login(org_a).post(
        _url("cadres:training_create", world.a.posting),
        {
            "name": "乡村振兴专题培训",
            "organiser": "市委党校",
            "start_date": TODAY(),
            "end_date": TODAY(),
            "hours": 16,
        },
    )
    login(host_a).post(
        _url("cadres:commendation_create", world.a.posting),
        {"awarded_on": TODAY(), "title": "防汛先进个人", "issuer": "甲一镇党委"},
    )
    assert Training.objects.get().hours == 16
    assert Commendation.objects.get().author == host_a


# --- 回访: the sending unit, after the posting ends ------------------------------


@pytest.fixture
def completed_a(world, tree) -> Posting:
    return PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        start_date=dt.date(2024, 1, 1),
        status=Posting.Status.COMPLETED,
    )


def _visit(day) -> dict:
    return {"visited_on": day, "visitors": "县委组织部", "findings": "工作积极。"}


def test_follow_up_visits_come_after_the_posting_ends(
    login, home_a, org_a, world, completed_a
):
    active = login(org_a).post(
        _url("cadres:visit_create", world.a.posting), _visit(TODAY())
    )
    assert "挂职结束后才能登记回访。" in form_errors(active)
    early = login(home_a).post(
        _url("cadres:visit_create", completed_a),
        _visit(completed_a.ended_on - dt.timedelta(days=1)),
    )
    assert "回访日期不能早于挂职结束日期。" in form_errors(early)
    assert not FollowUpVisit.objects.exists()
    ok = login(home_a).post(_url("cadres:visit_create", completed_a), _visit(TODAY()))
    assert ok.status_code == 302
    assert FollowUpVisit.objects.get().author == home_a


def test_host_leaders_and_cadres_do_not_record_visits(
    login, host_a, cadre_user, completed_a
):
    for user in (host_a, cadre_user):
        response = login(user).post(
            _url("cadres:visit_create", completed_a), _visit(TODAY())
        )
        assert response.status_code == 404
    assert not FollowUpVisit.objects.exists()


# --- 后勤保障: open until resolved, with who resolved it -------------------------


def test_a_support_need_is_raised_and_resolved_with_who_resolved_it(
    login, cadre_user, host_a, world
):
    response = login(cadre_user).post(
        _url("cadres:support_create", world.a.posting),
        {"category": "school", "raised_on": TODAY(), "description": "孩子转学。"},
    )
    assert response.status_code == 302
    need = SupportNeed.objects.get()
    assert need.status == SupportNeed.Status.OPEN
    client = login(host_a)
    empty = client.post(_url("cadres:support_resolve", need), {"resolution": "  "})
    assert empty.status_code == 200
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.OPEN
    client.post(
        _url("cadres:support_resolve", need), {"resolution": "已联系镇中心小学。"}
    )
    need.refresh_from_db()
    assert (need.status, need.resolved_by) == (SupportNeed.Status.RESOLVED, host_a)
    assert need.resolved_at is not None
    again = client.post(_url("cadres:support_resolve", need), {"resolution": "再次"})
    assert "这项需求已经解决过了。" in form_errors(again)


def test_the_database_refuses_a_resolved_need_without_a_resolver(world):
    need = SupportNeedFactory(posting=world.a.posting)
    need.status = SupportNeed.Status.RESOLVED
    need.resolution = "已解决"
    with pytest.raises(IntegrityError), transaction.atomic():
        need.save()


def test_the_cadre_cannot_resolve_their_own_needs(login, cadre_user, world):
    need = SupportNeedFactory(posting=world.a.posting)
    response = login(cadre_user).post(
        _url("cadres:support_resolve", need), {"resolution": "自己解决"}
    )
    assert response.status_code == 404
    need.refresh_from_db()
    assert need.status == SupportNeed.Status.OPEN


# --- 座谈会: many attendees, on each one's dossier --------------------------------


def test_a_symposium_shows_on_every_attendees_dossier(login, org_city, org_a, world):
    client = login(org_city)
    response = client.post(
        reverse("cadres:symposium_create"),
        {
            "held_on": TODAY(),
            "title": "全市挂职干部座谈会",
            "host": "市委组织部",
            "minutes": "交流挂职体会。",
            "attendees": [world.a.posting.pk, world.b.posting.pk],
        },
    )
    assert response.status_code == 302
    symposium = Symposium.objects.get()
    assert set(symposium.attendees.all()) == {world.a.posting, world.b.posting}
    for cadre in (world.a.cadre, world.b.cadre):
        page = _dossier(client, cadre)
        assert "全市挂职干部座谈会" in page
        assert CADRE_A_NAME in page and CADRE_B_NAME in page
    # County A's staff see the symposium, and of its attendees only their own.
    page = _dossier(login(org_a), world.a.cadre)
    assert "全市挂职干部座谈会" in page
    assert CADRE_B_NAME not in page


def test_a_host_leader_cannot_pick_attendees_outside_their_scope(login, host_a, world):
    client = login(host_a)
    url = reverse("cadres:symposium_create")
    # Attendees are searched, not listed: the suggestions follow the scope.
    mine = client.get(url, {"suggest": "attendees", "attendees": CADRE_A_NAME})
    assert CADRE_A_NAME in mine.content.decode()
    theirs = client.get(url, {"suggest": "attendees", "attendees": CADRE_B_NAME})
    assert CADRE_B_NAME not in theirs.content.decode()
    response = client.post(
        reverse("cadres:symposium_create"),
        {
            "held_on": TODAY(),
            "title": "座谈会",
            "host": "甲一镇",
            "minutes": "纪要",
            "attendees": [world.b.posting.pk],
        },
    )
    assert response.status_code == 200
    assert "不是可选的参会挂职" in form_errors(response)
    assert not Symposium.objects.exists()


# --- Nothing is ever deleted -------------------------------------------------------


def test_a_posting_with_records_cannot_be_deleted(world):
    TalkFactory(posting=world.a.posting)
    with pytest.raises(ProtectedError):
        world.a.posting.delete()


@pytest.mark.parametrize(
    "model",
    [WorkLog, Talk, Training, Commendation, FollowUpVisit, SupportNeed, Warning],
)
def test_the_admin_never_deletes_dossier_records(admin, model):
    request = RequestFactory().get("/")
    request.user = admin
    assert site._registry[model].has_delete_permission(request) is False
