"""Mid-term reminders: who gets them, exactly once, and how they are read."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.urls import reverse

from cadres.models import Role
from postings.models import Posting, Reminder
from postings.services import reminders_sweep_midterm
from postings.tasks import sweep_midterm_reminders
from tests.factories import PostingFactory, ReminderFactory, UserFactory

TODAY = dt.date.today()


def _posting(sending, receiving, *, midterm_in_days, status=Posting.Status.ACTIVE):
    """A posting whose stored mid-term date is today + midterm_in_days."""
    midterm = TODAY + dt.timedelta(days=midterm_in_days)
    posting = PostingFactory(
        sending_unit=sending,
        receiving_unit=receiving,
        start_date=midterm - dt.timedelta(days=180),
        planned_end_date=midterm + dt.timedelta(days=180),
        status=status,
    )
    assert posting.midterm_date == midterm
    return posting


@pytest.fixture
def due(tree, org_city, org_a, org_b, host_a, host_b, home_a, admin):
    """Postings around the 14-day window and who must be reminded of each."""
    second_leader_a = UserFactory(role=Role.HOST_LEADER, unit=tree.township_a1)
    UserFactory(role=Role.HOST_LEADER, unit=tree.township_a1, is_active=False)
    UserFactory(role=Role.ORG_STAFF, unit=tree.county_a, is_active=False)
    in_a = _posting(tree.organ_a, tree.township_a1, midterm_in_days=7)
    # Sent from county B to a village of county A: both counties co-manage it.
    cross = _posting(tree.organ_b, tree.village_a1, midterm_in_days=14)
    in_b_today = _posting(tree.organ_b, tree.township_b1, midterm_in_days=0)
    not_due = [
        _posting(tree.organ_a, tree.township_a1, midterm_in_days=15),
        _posting(tree.organ_a, tree.township_a1, midterm_in_days=-1),
        _posting(
            tree.organ_a,
            tree.township_a1,
            midterm_in_days=3,
            status=Posting.Status.PROPOSED,
        ),
        _posting(
            tree.organ_b,
            tree.township_b1,
            midterm_in_days=3,
            status=Posting.Status.COMPLETED,
        ),
        _posting(
            tree.organ_b,
            tree.township_b1,
            midterm_in_days=3,
            status=Posting.Status.ENDED_EARLY,
        ),
    ]
    expected = {
        in_a: {org_city, org_a, host_a, second_leader_a},
        cross: {org_city, org_a, org_b},
        in_b_today: {org_city, org_b, host_b},
    }
    pairs = {(p.pk, u.pk) for p, users in expected.items() for u in users}
    return {"expected": expected, "pairs": pairs, "not_due": not_due}


def _pairs() -> set[tuple[int, int]]:
    return set(Reminder.objects.values_list("posting_id", "recipient_id"))


def test_sweep_reminds_org_staff_of_both_sides_and_the_host_leaders(due):
    reminders_sweep_midterm(today=TODAY)
    assert _pairs() == due["pairs"]
    assert Reminder.objects.count() == len(due["pairs"])


def test_sweep_leaves_out_other_units_leaders_contacts_and_admins(
    due, host_a, host_b, home_a, admin
):
    reminders_sweep_midterm(today=TODAY)
    in_a = next(p for p, users in due["expected"].items() if host_a in users)
    recipients = set(
        Reminder.objects.filter(posting=in_a).values_list("recipient_id", flat=True)
    )
    assert host_b.pk not in recipients
    assert home_a.pk not in recipients
    assert admin.pk not in recipients
    assert not Reminder.objects.filter(recipient__is_active=False).exists()


def test_sweep_skips_postings_outside_the_window_or_not_in_progress(due):
    reminders_sweep_midterm(today=TODAY)
    assert not Reminder.objects.filter(posting__in=due["not_due"]).exists()


def test_reminders_carry_the_midterm_date_and_the_cadre(due):
    reminders_sweep_midterm(today=TODAY)
    for posting in due["expected"]:
        for reminder in Reminder.objects.filter(posting=posting):
            assert reminder.kind == Reminder.Kind.MIDTERM
            assert reminder.due_date == posting.midterm_date
            assert posting.cadre.name in reminder.message
            assert reminder.read_at is None


def test_running_the_sweep_twice_adds_nothing(due):
    reminders_sweep_midterm(today=TODAY)
    first = Reminder.objects.count()
    reminders_sweep_midterm(today=TODAY)
    assert Reminder.objects.count() == first == len(due["pairs"])
    assert _pairs() == due["pairs"]


def test_the_window_moves_with_today(due):
    # Sixteen days ago the 14-day window ended two days ago: nothing due yet.
    assert reminders_sweep_midterm(today=TODAY - dt.timedelta(days=16)) == 0
    assert Reminder.objects.count() == 0


def test_the_celery_task_runs_the_sweep(due):
    result = sweep_midterm_reminders.apply()
    assert result.successful()
    assert result.get() == len(due["pairs"])
    assert _pairs() == due["pairs"]
    sweep_midterm_reminders()  # called in-process, a second time
    assert Reminder.objects.count() == len(due["pairs"])


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers on one shared database: the SQLite test "
    "database is in memory and its threads lock each other out; runs on "
    "PostgreSQL (DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_create_each_reminder_once(due):
    assert not connection.in_atomic_block  # real commits, seen by other threads
    threads_n = 4
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def sweep():
        try:
            barrier.wait(timeout=30)
            reminders_sweep_midterm(today=TODAY)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert Reminder.objects.count() == len(due["pairs"])
    assert _pairs() == due["pairs"]


# --- Reading reminders ---------------------------------------------------------


def _badge(response) -> int:
    match = re.search(r'id="unread-count">(\d+)<', response.content.decode())
    assert match, "unread badge missing from the header"
    return int(match.group(1))


def test_notifications_page_shows_the_reminder_and_the_unread_badge(login, due, host_a):
    reminders_sweep_midterm(today=TODAY)
    client = login(host_a)
    response = client.get(reverse("postings:notifications"))
    reminder = Reminder.objects.get(recipient=host_a)
    assert reminder.message in response.content.decode()
    assert _badge(response) == 1
    assert _badge(client.get(reverse("home"))) == 1


def test_marking_a_reminder_read_lowers_the_badge(login, tree, host_a):
    first, second = ReminderFactory.create_batch(2, recipient=host_a)
    client = login(host_a)
    assert _badge(client.get(reverse("postings:notifications"))) == 2
    response = client.post(reverse("postings:notification_read", args=[first.pk]))
    assert response.status_code == 302
    assert response["Location"] == first.posting.get_absolute_url()
    first.refresh_from_db()
    assert first.read_at is not None
    assert _badge(client.get(reverse("postings:notifications"))) == 1
    unread = client.get(reverse("postings:notifications"), {"show": "unread"})
    assert second.message in unread.content.decode()
    assert first.message not in unread.content.decode()


def test_marking_all_read_clears_the_badge(login, tree, host_a):
    ReminderFactory.create_batch(3, recipient=host_a)
    other = ReminderFactory(recipient=UserFactory())
    client = login(host_a)
    response = client.post(reverse("postings:notifications_read_all"), follow=True)
    assert _badge(response) == 0
    assert "已将3条提醒标为已读" in response.content.decode()
    other.refresh_from_db()
    assert other.read_at is None  # someone else's reminder is untouched


def test_another_user_cannot_mark_a_reminder_read(login, tree, host_a, org_a):
    reminder = ReminderFactory(recipient=host_a)
    response = login(org_a).post(
        reverse("postings:notification_read", args=[reminder.pk])
    )
    assert response.status_code == 404
    reminder.refresh_from_db()
    assert reminder.read_at is None
    assert _badge(login(host_a).get(reverse("home"))) == 1


def test_notifications_page_lists_only_ones_own_reminders(login, tree, host_a, org_a):
    mine = ReminderFactory(recipient=host_a)
    theirs = ReminderFactory(recipient=org_a)
    body = login(host_a).get(reverse("postings:notifications")).content.decode()
    assert mine.message in body
    assert theirs.message not in body
