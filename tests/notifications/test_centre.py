"""The notification centre: the user's reminders, the unread badge, marking
read, following one to the form that fulfils it; a reminder whose obligation
is done or out of scope neither shows nor counts."""

import datetime as dt
import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from notifications.models import Mode, Notification, Preference
from notifications.services import unread_count
from tests.factories import CadreFactory, PostingFactory
from tests.notifications.conftest import day, make_obligation


def _notify(obligation, user, step="before3"):
    return Notification.objects.create(
        obligation=obligation,
        step=step,
        audience="owner",
        step_on=day(-3),
        recipient=user,
        channel="app",
        status="sent",
        sent_at=dt.datetime(2027, 3, 7, tzinfo=dt.UTC),
    )


@pytest.fixture
def reminded(postings, host_a):
    note = make_obligation(postings[0])
    return _notify(note, host_a)


def test_the_centre_lists_the_reminder_and_the_badge_counts_it(
    login, reminded, host_a, postings
):
    response = login(host_a).get(reverse("notifications:centre"))
    body = response.content.decode()
    assert postings[0].cadre.name in body
    assert "月小结" in body
    assert 'id="unread-count">1<' in body


def test_following_a_reminder_marks_it_read_and_opens_its_form(
    login, reminded, host_a, postings
):
    client = login(host_a)
    response = client.post(reverse("notifications:read", args=[reminded.pk]))
    assert response.status_code == 302
    assert response.url == reminded.obligation.get_fulfil_url(host_a)
    assert str(postings[0].pk) in response.url
    reminded.refresh_from_db()
    assert reminded.read_at is not None
    assert unread_count(host_a) == 0


def test_mark_all_read_clears_the_badge(login, postings, host_a):
    for i in range(3):
        _notify(make_obligation(postings[0], period=day(i)), host_a)
    client = login(host_a)
    assert unread_count(host_a) == 3
    client.post(reverse("notifications:read_all"))
    assert unread_count(host_a) == 0


def test_another_user_cannot_read_or_see_it(login, reminded, host_b, org_a):
    for user in (host_b, org_a):
        client = login(user)
        url = reverse("notifications:read", args=[reminded.pk])
        assert client.post(url).status_code == 404
        body = client.get(reverse("notifications:centre")).content.decode()
        assert reminded.obligation.posting.cadre.name not in body
    reminded.refresh_from_db()
    assert reminded.read_at is None


def test_a_done_obligation_stops_showing_and_counting(login, reminded, host_a):
    note = reminded.obligation
    note.status, note.done_on = "done", day(-1)
    note.save(update_fields=["status", "done_on"])
    assert unread_count(host_a) == 0
    body = login(host_a).get(reverse("notifications:centre")).content.decode()
    assert note.posting.cadre.name not in body


def test_a_reminder_out_of_the_recipients_scope_stops_showing(
    login, reminded, host_a, tree
):
    """The host leader moved to another unit: the posting left their scope."""
    host_a.unit = tree.township_b1
    host_a.save(update_fields=["unit"])
    assert unread_count(host_a) == 0
    client = login(host_a)
    url = reverse("notifications:read", args=[reminded.pk])
    assert client.post(url).status_code == 404


def test_the_centre_runs_the_same_queries_for_5_and_50_reminders(login, tree, host_a):
    client = login(host_a)

    def add(n):
        for _ in range(n):
            posting = PostingFactory(
                cadre=CadreFactory(unit=tree.organ_a),
                receiving_unit=tree.township_a1,
            )
            _notify(make_obligation(posting), host_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("notifications:centre"))
        assert response.status_code == 200
        return len(queries), response.content.decode().count("data-notification=")

    add(5)
    client.get(reverse("notifications:centre"))
    five, shown = count()
    assert shown == 5
    add(45)
    fifty, shown = count()
    assert shown == 50
    assert fifty == five


def test_preferences_are_saved_per_kind(login, host_a):
    client = login(host_a)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "尚未登记电子邮箱" in page
    client.post(
        reverse("notifications:preferences"),
        {"monthly_note": Mode.DIGEST, "work_log": Mode.APP},
    )
    assert dict(Preference.objects.filter(user=host_a).values_list("kind", "mode")) == {
        "monthly_note": Mode.DIGEST,
        "work_log": Mode.APP,
    }


def test_the_daily_sweep_is_a_beat_entry_at_seven_in_shanghai(db):
    # Run again (a flush of an earlier transactional test removes its row);
    # it is idempotent, and it switches the old hourly sweep off.
    from django.apps import apps

    migration = importlib.import_module(
        "notifications.migrations.0002_daily_sweep_schedule"
    )
    PeriodicTask.objects.create(
        name="reminders-midterm-sweep",
        task="postings.tasks.sweep_midterm_reminders",
        interval=IntervalSchedule.objects.create(every=1, period="hours"),
    )
    migration.forwards(apps, None)
    migration.forwards(apps, None)
    assert not PeriodicTask.objects.get(name="reminders-midterm-sweep").enabled
    task = PeriodicTask.objects.get(name="notifications-sweep")
    assert task.task == "notifications.tasks.sweep_notifications"
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("7", "0")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_the_home_page_box_shows_the_ladders_unread_reminders(
    login, reminded, host_a, postings
):
    body = login(host_a).get(reverse("home")).content.decode()
    assert f"月小结 · {postings[0].cadre.name}，应于{day(0):%Y-%m-%d}完成" in body
    reminded.mark_read()
    body = login(host_a).get(reverse("home")).content.decode()
    assert f"月小结 · {postings[0].cadre.name}，应于" not in body


def test_the_badge_is_one_query_counting_both_kinds_of_reminder(
    reminded, host_a, org_city, django_assert_num_queries
):
    from tests.factories import ReminderFactory

    ReminderFactory(recipient=host_a)
    with django_assert_num_queries(1):
        assert unread_count(host_a) == 2
    with django_assert_num_queries(1):
        assert unread_count(org_city) == 0


def test_the_home_page_counts_the_badge_with_its_box_and_other_pages_once(
    login, reminded, host_a, monkeypatch
):
    """The home page reads the latest unread reminders and, by a window count
    over the same rows, how many there are: the badge shows that number, all
    of them, not the eight listed, and is not counted a second time. Other
    pages count it once, though the navbar reads it twice."""
    import guazhi.access
    from tests.factories import ReminderFactory

    for _ in range(9):
        ReminderFactory(recipient=host_a)
    counted = []
    real = guazhi.access.unread_count
    monkeypatch.setattr(
        guazhi.access, "unread_count", lambda user: counted.append(user) or real(user)
    )
    client = login(host_a)
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'id="unread-count">(\d+)<', home).group(1) == "10"
    assert counted == []
    centre = client.get(reverse("notifications:centre")).content.decode()
    assert re.search(r'id="unread-count">(\d+)<', centre).group(1) == "10"
    assert counted == [host_a]
