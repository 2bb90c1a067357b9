"""The ladder: each step on its Asia/Shanghai day, to its people only, once;
after downtime only the latest missed step per recipient (escalations never
skipped)."""

import pytest
from constance import config
from django.core.exceptions import ValidationError

from notifications import ladder
from notifications.forms import LadderField
from notifications.models import Notification, SweepRun
from tests.notifications.conftest import day, make_obligation, steps_of

SENT, SKIPPED = Notification.Status.SENT, Notification.Status.SKIPPED


def test_a_ladder_reads_its_steps_in_day_order():
    steps = ladder.parse("逾期3，提前14、组织部7,派出单位 14,提前3")
    assert [(s.offset, s.code, s.audience) for s in steps] == [
        (-14, "before14", "owner"),
        (-3, "before3", "owner"),
        (3, "after3", "owner"),
        (7, "org7", "org"),
        (14, "home14", "home"),
    ]
    assert ladder.parse("") == ()


@pytest.mark.parametrize("text", ["提前", "前14", "提前14;逾期3", "逾期400", "14,3"])
def test_the_settings_form_refuses_a_malformed_ladder_in_chinese(text):
    with pytest.raises(ValidationError) as caught:
        LadderField(required=False).clean(text)
    assert "提醒阶段" in str(caught.value)


def test_each_step_goes_out_on_its_day_to_its_people_only(
    db, postings, sweep_on, host_a, host_b, org_a, org_b, org_city, home_a, admin
):
    a, b = postings
    note = make_obligation(a)  # 提前3,逾期3,组织部7,派出单位14
    make_obligation(b, due_on=day(30))  # county B's: never reaches side A
    first_day = {}
    for offset in range(-20, 20):
        sweep_on(day(offset))
        for user in (host_a, org_a, home_a):
            for step in steps_of(user, note):
                first_day.setdefault((user.username, step), offset)
    assert first_day == {
        ("host_a", "before3"): -3,
        ("host_a", "after3"): 3,
        ("org_a", "org7"): 7,
        ("home_a", "home14"): 14,
    }
    everyone = set(Notification.objects.values_list("recipient__username", flat=True))
    assert everyone == {"host_a", "org_a", "home_a"}
    assert not Notification.objects.exclude(obligation=note).exists()
    assert Notification.objects.count() == 4  # each once, however many sweeps


def test_a_step_begins_at_midnight_in_shanghai_not_utc(db, postings, sweep_on, host_a):
    note = make_obligation(postings[0])
    sweep_on(day(-4), 23, 59)  # 15:59 UTC of day -4
    assert steps_of(host_a, note) == {}
    sweep_on(day(-3), 0, 0)  # 16:00 UTC of day -4
    assert steps_of(host_a, note) == {"before3": SENT}


def test_the_cadre_is_reminded_of_what_they_owe(db, postings, sweep_on, cadre_a):
    report = make_obligation(postings[0], kind="report_semiannual")
    sweep_on(day(-14))
    assert steps_of(cadre_a, report) == {"before14": SENT}


def test_after_downtime_only_the_latest_missed_step_goes_out(
    db, postings, sweep_on, host_a, org_a, home_a
):
    note = make_obligation(postings[0])
    sweep_on(day(-10))
    sweep_on(day(8))  # down from day -9 to day 7
    # before3 and after3 were missed: after3 goes out, before3 is history.
    assert steps_of(host_a, note) == {"before3": SKIPPED, "after3": SENT}
    assert steps_of(org_a, note) == {"org7": SENT}  # never skipped
    assert steps_of(home_a, note) == {}
    sweep_on(day(20))
    assert steps_of(home_a, note) == {"home14": SENT}


def test_escalations_are_never_skipped_even_when_both_were_missed(
    db, postings, sweep_on, org_a, home_a, host_a
):
    note = make_obligation(postings[0])
    sweep_on(day(-10))
    sweep_on(day(15))
    assert steps_of(org_a, note) == {"org7": SENT}
    assert steps_of(home_a, note) == {"home14": SENT}
    assert steps_of(host_a, note) == {"before3": SKIPPED, "after3": SENT}


def test_running_the_sweep_twice_a_day_adds_nothing(db, postings, sweep_on, host_a):
    make_obligation(postings[0])
    first = sweep_on(day(3))
    again = sweep_on(day(3), 8)
    assert first.claimed > 0 and again.claimed == 0
    assert Notification.objects.filter(recipient=host_a).count() == 2


def test_a_done_or_waived_obligation_is_not_reminded(
    db, postings, sweep_on, host_a, org_a
):
    note = make_obligation(postings[0], status="done", done_on=day(-5))
    sweep_on(day(-3))
    assert not Notification.objects.filter(obligation=note).exists()


def test_the_ladder_is_a_setting(db, postings, sweep_on, host_a):
    config.NOTIFY_LADDER_MONTHLY_NOTE = "提前5"
    note = make_obligation(postings[0])
    sweep_on(day(-3))
    assert steps_of(host_a, note) == {"before5": SENT}
    config.NOTIFY_LADDER_MONTHLY_NOTE = ""
    other = make_obligation(postings[0], period=day(1), due_on=day(1))
    sweep_on(day(1))
    assert steps_of(host_a, other) == {}


def test_an_inactive_user_is_not_reminded(db, postings, sweep_on, host_a):
    host_a.is_active = False
    host_a.save(update_fields=["is_active"])
    make_obligation(postings[0])
    sweep_on(day(-3))
    assert not Notification.objects.exists()


def test_the_sweep_runs_the_same_queries_for_5_and_50_postings(
    db, tree, sweep_on, host_a, org_a, home_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CadreFactory, PostingFactory

    def add(n):
        for _ in range(n):
            posting = PostingFactory(
                cadre=CadreFactory(unit=tree.organ_a),
                receiving_unit=tree.township_a1,
            )
            make_obligation(posting)
            make_obligation(posting, kind="report_semiannual")

    def count(offset):
        with CaptureQueriesContext(connection) as queries:
            result = sweep_on(day(offset))
        # INSERTs left out: bulk_create's batches (SQLite's variable limit
        # splits them) grow with the rows written, the reads must not.
        reads = [q for q in queries if not q["sql"].startswith("INSERT")]
        return len(reads), result.claimed

    add(5)
    count(-20)
    five, claimed_five = count(8)  # owner skip + send, org escalation
    assert claimed_five > 10
    # The same runs again (their SweepRun rows made anew, as the first time).
    Notification.objects.all().delete()
    SweepRun.objects.all().delete()
    add(45)
    count(-20)
    fifty, claimed_fifty = count(8)
    assert claimed_fifty > claimed_five
    assert fifty == five, f"{five} queries for 5 postings, {fifty} for 50"


def test_an_obligation_known_after_its_steps_gets_the_latest_one_next_run(
    db, postings, sweep_on, host_a, org_a
):
    """Entered late (a posting recorded after it began): its steps fell
    before the window, yet the next run sends the latest of them."""
    sweep_on(day(4))
    note = make_obligation(postings[0])
    sweep_on(day(5))
    assert steps_of(host_a, note) == {"before3": SKIPPED, "after3": SENT}
    assert steps_of(org_a, note) == {}  # org7 falls on day 7
    sweep_on(day(7))
    assert steps_of(org_a, note) == {"org7": SENT}


def test_the_first_run_ever_takes_every_open_obligation_as_new(
    db, postings, sweep_on, host_a, org_a, home_a
):
    note = make_obligation(postings[0])
    sweep_on(day(30))
    assert steps_of(host_a, note) == {"before3": SKIPPED, "after3": SENT}
    assert steps_of(org_a, note) == {"org7": SENT}
    assert steps_of(home_a, note) == {"home14": SENT}
