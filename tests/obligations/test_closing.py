"""Filing a record closes what it fulfils, on time or late, with a link to
it; org staff of the managing jurisdiction waive with a reason; scope follows
the posting; the catch-up fills a populated database; the sweep's queries do
not grow with the postings."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadres.models import Role
from obligations import services
from obligations.models import Obligation
from records import services as records
from records.models import MonthlyNote, SupportNeed
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    SupportNeedFactory,
    UserFactory,
    WorkLogFactory,
)

from .conftest import START
from .helpers import clock, of_kind, sweep_at

D = dt.date
APRIL = D(2026, 4, 1)
NOTE = {
    "days_present": 20,
    "work_done": "完成了驻村入户走访。",
    "conduct": "遵守纪律。",
}


def _file_note(posting, leader, month):
    return records.monthly_note_file(
        posting=posting, author=leader, month=month, **NOTE
    )


@pytest.mark.parametrize(
    ("filed_on", "on_time"), [(D(2026, 5, 10), True), (D(2026, 5, 11), False)]
)
def test_filing_the_note_closes_it_on_time_or_late_with_a_link(
    posting, host_a, filed_on, on_time
):
    sweep_at(D(2026, 5, 1))
    with clock(filed_on, 0, 0):
        note = _file_note(posting, host_a, APRIL)
    obligation = of_kind("monthly_note", posting).get(period=APRIL)
    assert obligation.status == Obligation.Status.DONE
    assert obligation.done_on == filed_on
    assert obligation.on_time is on_time
    assert obligation.shown() == ("on_time" if on_time else "late")
    assert obligation.fulfilled == note
    assert obligation.fulfilled_url
    assert obligation.history.first().status == Obligation.Status.DONE


def test_a_note_filed_before_the_sweep_knows_it_is_closed_by_the_sweep(posting, host_a):
    with clock(D(2026, 4, 20)):
        note = MonthlyNoteFactory(posting=posting, month=APRIL, author=host_a)
    sweep_at(D(2026, 5, 1))
    obligation = of_kind("monthly_note", posting).get(period=APRIL)
    assert obligation.status == Obligation.Status.DONE
    assert obligation.on_time and obligation.done_on == D(2026, 4, 20)
    assert (obligation.fulfilled_type, obligation.fulfilled_id) == (
        ContentType.objects.get_for_model(MonthlyNote),
        note.pk,
    )


def test_a_work_log_closes_the_gap_and_the_next_gap_starts_after_it(posting, cadre_of):
    WorkLogFactory(posting=posting, date=D(2026, 4, 1))
    sweep_at(D(2026, 4, 10))
    # Entered lately, the posting is swept whole: its start (03-01) to its
    # first log was a gap, met late by that log.
    first = of_kind("work_log", posting).get(period=START)
    assert first.done_late and first.due_on == D(2026, 3, 7)
    gap = of_kind("work_log", posting).get(status="open")
    assert (gap.period, gap.due_on) == (D(2026, 4, 2), D(2026, 4, 8))
    with clock(D(2026, 4, 10), 9):
        records.record_file(
            model=records.WorkLog,
            posting=posting,
            author=cadre_of,
            date=D(2026, 4, 10),
            content="走访。",
        )
    gap.refresh_from_db()
    assert gap.done_late and gap.done_on == D(2026, 4, 10)
    sweep_at(D(2026, 4, 17))
    assert of_kind("work_log", posting).filter(status="open").get().due_on == D(
        2026, 4, 17
    )


def test_resolving_a_support_need_closes_it(posting, org_a, host_a):
    need = SupportNeedFactory(posting=posting, raised_on=D(2026, 4, 1))
    sweep_at(D(2026, 4, 2))
    with clock(D(2026, 4, 20)):
        records.support_resolve(
            need=SupportNeed.objects.get(pk=need.pk), by=host_a, resolution="已安排。"
        )
    obligation = of_kind("support_need", posting).get()
    assert obligation.on_time and obligation.subject == need


def test_submitting_the_host_evaluation_closes_it(posting, host_a):
    from assessment.evaluations import evaluation_save  # noqa: F401  (exists)
    from assessment.models import Assessment, Evaluation

    from .test_falls_due import _in_collecting_round

    _in_collecting_round(posting)
    sweep_at(D(2026, 7, 1))
    assessment = Assessment.objects.get(posting=posting)
    with clock(D(2026, 7, 20)):
        Evaluation.objects.create(
            assessment=assessment,
            source="host",
            author=host_a,
            scores={"de": 80},
            status="submitted",
            submitted_at=dt.datetime(2026, 7, 20, 2, tzinfo=dt.UTC),
        )
    obligation = of_kind("host_evaluation", posting).get()
    assert obligation.done_late and obligation.done_on == D(2026, 7, 20)


# --- Waiving -------------------------------------------------------------------


@pytest.fixture
def open_note(posting):
    sweep_at(D(2026, 5, 1))
    return of_kind("monthly_note", posting).get(period=APRIL)


def test_org_staff_of_the_jurisdiction_waive_with_a_reason(open_note, org_a):
    waived = services.waive(open_note, org_a, "  该月挂职干部脱产培训。 ")
    assert waived.status == Obligation.Status.WAIVED
    assert (waived.waived_by, waived.waived_reason) == (org_a, "该月挂职干部脱产培训。")
    assert waived.history.first().history_user == org_a
    with pytest.raises(ValidationError, match="已经完成或免除"):
        services.waive(waived, org_a, "再次免除")


def test_org_staff_above_may_waive_too(open_note, org_city):
    assert services.waive(open_note, org_city, "市里统一安排。").status == "waived"


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("host_a", "只有组织部工作人员"),
        ("org_b", "不在您的管辖范围内"),
    ],
)
def test_others_cannot_waive(open_note, personas, who, message):
    with pytest.raises(ValidationError, match=message):
        services.waive(open_note, personas[who], "理由")
    open_note.refresh_from_db()
    assert open_note.status == Obligation.Status.OPEN


def test_waiving_needs_a_reason(open_note, org_a):
    with pytest.raises(ValidationError) as caught:
        services.waive(open_note, org_a, "   ")
    assert caught.value.message_dict == {"reason": ["请写明免除理由。"]}
    open_note.refresh_from_db()
    assert open_note.status == Obligation.Status.OPEN


def test_org_staff_of_a_county_inside_but_not_managing_cannot_waive(tree, org_a):
    """A posting sent by the city's organ into county A: managed by the city;
    county A's staff see it (received in their county) but do not waive it."""
    from tests.factories import UnitFactory

    city_organ = UnitFactory(name="市财政局", kind="organ", parent=tree.city)
    posting = PostingFactory(
        cadre=CadreFactory(unit=city_organ),
        receiving_unit=tree.township_a1,
        start_date=D(2026, 3, 1),
    )
    sweep_at(D(2026, 5, 1))
    note = of_kind("monthly_note", posting).get(period=APRIL)
    assert Obligation.objects.visible_to(org_a).filter(pk=note.pk).exists()
    with pytest.raises(ValidationError, match="所属管辖范围"):
        services.waive(note, org_a, "理由")


# --- Scope ---------------------------------------------------------------------


def test_a_posting_moved_out_of_the_jurisdiction_takes_its_obligations(
    open_note, posting, tree, org_a, org_b, host_a
):
    assert Obligation.objects.visible_to(org_a).filter(pk=open_note.pk).exists()
    assert Obligation.objects.owed_by_user(host_a).filter(pk=open_note.pk).exists()
    posting.sending_unit = tree.organ_b
    posting.receiving_unit = tree.township_b1
    posting.save()
    assert not Obligation.objects.visible_to(org_a).filter(pk=open_note.pk).exists()
    assert not Obligation.objects.owed_by_user(host_a).exists()
    assert Obligation.objects.visible_to(org_b).filter(pk=open_note.pk).exists()


def test_an_evaluation_needs_its_round_in_scope_for_org_staff(posting, tree):
    """A city round holding a county-A posting: county A's staff see the
    posting but not the round, so not the round's obligations."""
    from .test_falls_due import _in_collecting_round

    _in_collecting_round(posting)  # held by county A
    org_a = UserFactory(role=Role.ORG_STAFF, unit=tree.county_a)
    sweep_at(D(2026, 7, 1))
    obligation = of_kind("org_evaluation", posting).get()
    assert Obligation.objects.visible_to(org_a).filter(pk=obligation.pk).exists()
    from assessment.models import Round

    Round.objects.update(unit=tree.city)
    assert not Obligation.objects.visible_to(org_a).filter(pk=obligation.pk).exists()
    assert of_kind("monthly_note", posting).visible_to(org_a).exists()


# --- The catch-up and the cost of a sweep ---------------------------------------


def _populate(tree, n: int, leader):
    postings = []
    for _ in range(n):
        posting = PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a),
            receiving_unit=tree.township_a1,
            start_date=D(2025, 1, 1),
            planned_end_date=D(2026, 1, 1),
            status="completed",
        )
        for month in (D(2025, 1, 1), D(2025, 2, 1)):
            with clock(month.replace(month=month.month + 1, day=5)):
                MonthlyNoteFactory(posting=posting, month=month, author=leader)
        postings.append(posting)
    return postings


def test_the_catch_up_fills_every_past_month_and_ended_posting(tree, host_a):
    _populate(tree, 3, host_a)
    with clock(D(2026, 12, 3)):
        result = services.catch_up(batch_size=2)
    notes = of_kind("monthly_note")
    assert notes.count() == 3 * 13  # 2025-01 to the month it ended, 2026-01
    assert notes.filter(status="done").count() == 3 * 2
    assert all(o.on_time for o in notes.filter(status="done"))
    assert of_kind("follow_up_visit").count() == 3  # due 2026-07-01
    assert of_kind("final_assessment").count() == 3
    assert result.created == Obligation.objects.count()
    with clock(D(2026, 12, 3)):
        assert services.catch_up(batch_size=2).created == 0
        assert services.sweep().created == 0


def test_the_command_runs_the_catch_up_and_the_sweep(tree, host_a, capsys):
    _populate(tree, 1, host_a)
    with clock(D(2026, 12, 3)):
        call_command("sweep_obligations", "--catch-up")
        call_command("sweep_obligations")
    out = capsys.readouterr().out
    assert "0 created" in out.splitlines()[-1]
    assert of_kind("monthly_note").count() == 13


def test_the_sweep_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["obligations-sweep"]
    assert entry["task"] == "obligations.tasks.sweep_obligations"
    assert entry["schedule"] == 24 * 3600.0


def _active_postings(tree, n):
    return [
        PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a),
            receiving_unit=tree.township_a1,
            start_date=D(2026, 3, 1),
        )
        for _ in range(n)
    ]


def _reads(day):
    with clock(day), CaptureQueriesContext(connection) as queries:
        result = services.sweep()
    writes = ("INSERT", "UPDATE", "SAVEPOINT", "RELEASE")
    return [q for q in queries if not q["sql"].startswith(writes)], result


@pytest.mark.parametrize("day", [D(2026, 5, 1), D(2026, 5, 20)])
def test_the_sweeps_queries_do_not_grow_with_the_postings(tree, host_a, day):
    services.sweep()  # constance stores its defaults on the first read
    few = _active_postings(tree, 5)
    with clock(D(2026, 4, 1)):
        services.sweep()
    for posting in few:
        MonthlyNoteFactory(posting=posting, month=APRIL, author=host_a)
    five, result = _reads(day)
    assert result.created >= (5 if day.day == 1 else 0)
    many = _active_postings(tree, 45)
    with clock(D(2026, 4, 1)):
        services.sweep()
    for posting in many:
        MonthlyNoteFactory(posting=posting, month=APRIL, author=host_a)
    Obligation.objects.filter(period=APRIL).delete()
    Obligation.history.all().delete()
    fifty, result = _reads(day)
    assert result.created >= (50 if day.day == 1 else 0)
    assert len(fifty) == len(five), [q["sql"][:90] for q in fifty]


def test_the_catch_up_records_the_past_work_log_gaps_met_late(posting, cadre_of):
    """Every run of seven days without a log, from the start or between two
    logs, was owed a log on its seventh day and met late by the next log;
    shorter runs owed nothing; the gap still open is owed as on any day."""
    for day in (D(2026, 3, 5), D(2026, 3, 6), D(2026, 3, 20), D(2026, 3, 25)):
        WorkLogFactory(posting=posting, date=day)
    with clock(D(2026, 4, 10)):
        services.catch_up()
    gaps = {(o.period, o.due_on, o.status) for o in of_kind("work_log", posting)}
    assert gaps == {
        # 03-07 to 03-19 (13 days), ended by the log of 03-20
        (D(2026, 3, 7), D(2026, 3, 13), "done"),
        # from the last log on, still open (due 03-31, overdue on 04-10)
        (D(2026, 3, 26), D(2026, 4, 1), "open"),
    }
    # The start to the first log was four days: nothing owed; nor 03-20..03-25.
    met = of_kind("work_log", posting).get(period=D(2026, 3, 7))
    assert met.done_late and met.fulfilled_id is not None
    with clock(D(2026, 4, 10)):
        assert services.catch_up().created == 0  # idempotent
