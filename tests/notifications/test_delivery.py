"""Email: immediately, as the day's digest, or the app only; escalations
always; a failed email retried with backoff and counted delivered only once
sent; admins resend what failed."""

import smtplib
from unittest import mock

import pytest
from django.core import mail

from notifications import services
from notifications.models import DeliveryAttempt, Mode, Notification, Preference
from tests.notifications.conftest import DUE, day, make_obligation, steps_of

SENT = Notification.Status.SENT


@pytest.fixture
def with_email(host_a, org_a, home_a):
    for user in (host_a, org_a, home_a):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])


def test_an_immediate_reminder_is_emailed_in_chinese_with_a_link(
    db, postings, sweep_on, host_a, with_email
):
    note = make_obligation(postings[0])
    sweep_on(day(-3))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["host_a@example.cn"]
    assert "月小结" in message.subject
    assert postings[0].cadre.name in message.body
    assert "还有3天到期" in message.body
    assert "https://guazhi.example.cn/cadres/" in message.body
    n = Notification.objects.get(obligation=note, recipient=host_a)
    assert (n.status, n.channel, n.attempts) == (SENT, "email", 1)
    assert n.sent_at is not None
    assert DeliveryAttempt.objects.filter(notification=n, ok=True).count() == 1


def test_a_digest_puts_the_days_reminders_in_one_email(
    db, postings, sweep_on, host_a, with_email
):
    Preference.objects.create(user=host_a, kind="monthly_note", mode=Mode.DIGEST)
    a = postings[0]
    first = make_obligation(a)
    second = make_obligation(a, period=day(1), due_on=DUE)
    sweep_on(day(-3))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("您有2项待办事项提醒")
    assert steps_of(host_a, first) == steps_of(host_a, second) == {"before3": SENT}


def test_immediately_means_one_email_each(db, postings, sweep_on, host_a, with_email):
    make_obligation(postings[0])
    make_obligation(postings[0], period=day(1))
    sweep_on(day(-3))
    assert len(mail.outbox) == 2


def test_app_only_sends_no_email_but_shows_in_the_app(
    db, postings, sweep_on, host_a, with_email
):
    Preference.objects.create(user=host_a, kind="monthly_note", mode=Mode.APP)
    note = make_obligation(postings[0])
    sweep_on(day(-3))
    assert mail.outbox == []
    n = Notification.objects.get(obligation=note)
    assert (n.status, n.channel) == (SENT, "app")


def test_escalations_always_arrive_by_email_whatever_the_preference(
    db, postings, sweep_on, org_a, with_email
):
    Preference.objects.create(user=org_a, kind="monthly_note", mode=Mode.APP)
    a = postings[0]
    make_obligation(a)
    make_obligation(a, period=day(1))
    sweep_on(day(-10))
    sweep_on(day(7))
    # One list of everything overdue in the jurisdiction.
    to_org = [m for m in mail.outbox if m.to == ["org_a@example.cn"]]
    assert len(to_org) == 1
    assert "【督办】" in to_org[0].body
    assert to_org[0].body.count("已逾期7天") == 2


def test_a_user_without_email_has_the_app_only(db, postings, sweep_on, host_a):
    note = make_obligation(postings[0])
    sweep_on(day(-3))
    assert mail.outbox == []
    assert Notification.objects.get(obligation=note).channel == "app"


def test_a_failed_email_is_retried_and_counted_only_when_sent(
    db, postings, sweep_on, host_a, with_email
):
    note = make_obligation(postings[0])
    real = mail.get_connection

    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise smtplib.SMTPServerDisconnected("连接断开")
        return real(*args, **kwargs)

    with mock.patch("django.core.mail.get_connection", side_effect=flaky):
        sweep_on(day(-3))
    n = Notification.objects.get(obligation=note)
    assert (n.status, n.attempts) == (SENT, 3)
    assert len(mail.outbox) == 1
    tries = list(DeliveryAttempt.objects.filter(notification=n).order_by("pk"))
    assert [t.ok for t in tries] == [False, False, True]
    assert "SMTPServerDisconnected" in tries[0].error


def test_an_email_that_keeps_failing_is_marked_failed_and_resent_by_an_admin(
    db, postings, sweep_on, host_a, with_email, django_capture_on_commit_callbacks
):
    note = make_obligation(postings[0])
    down = mock.patch(
        "django.core.mail.get_connection",
        side_effect=ConnectionRefusedError("拒绝连接"),
    )
    with down:
        sweep_on(day(-3))
    n = Notification.objects.get(obligation=note)
    assert n.status == Notification.Status.FAILED
    assert n.sent_at is None and mail.outbox == []
    assert n.attempts == 6  # the first try and five retries
    # The next sweep leaves it to the admins (no endless retries).
    with down:
        sweep_on(day(-2))
    n.refresh_from_db()
    assert n.attempts == 6
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resend(Notification.objects.filter(pk=n.pk)) == 1
    n.refresh_from_db()
    assert n.status == SENT and len(mail.outbox) == 1


def test_the_retry_backs_off_and_stays_under_the_visibility_timeout():
    from notifications.tasks import MAX_RETRIES, RETRY_BACKOFF_MAX

    assert RETRY_BACKOFF_MAX < 3600
    assert min(RETRY_BACKOFF_MAX, 30 * 2 ** (MAX_RETRIES - 1)) <= RETRY_BACKOFF_MAX


def test_an_email_for_an_obligation_done_meanwhile_is_not_sent(
    db, postings, host_a, with_email
):
    note = make_obligation(postings[0])
    n = Notification.objects.create(
        obligation=note,
        step="before3",
        audience="owner",
        step_on=day(-3),
        recipient=host_a,
        channel="email",
    )
    note.status, note.done_on = "done", day(-4)
    note.save(update_fields=["status", "done_on"])
    assert services.deliver_email(ids=[n.pk]) == 0
    n.refresh_from_db()
    assert n.status == Notification.Status.SKIPPED and mail.outbox == []


def test_an_obligation_out_of_the_recipients_scope_is_never_reminded(
    db, postings, sweep_on, host_a, with_email
):
    """The host sees a posting only from its activation on: a proposed one's
    obligation reaches neither their mail nor their centre."""
    from notifications.services import unread_count
    from postings.models import Posting

    a = postings[0]
    note = make_obligation(a)
    Posting.objects.filter(pk=a.pk).update(status=Posting.Status.PROPOSED)
    sweep_on(day(-3))
    assert mail.outbox == []
    assert unread_count(host_a) == 0
    assert not Notification.objects.filter(obligation=note, status=SENT).exists()
