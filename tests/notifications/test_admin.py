"""Admins: the email field on the user pages, who has none, the failed
deliveries and their resend action."""

from django.core import mail
from django.urls import reverse

from notifications.models import Notification
from tests.notifications.conftest import day, make_obligation


def test_the_user_pages_have_the_email_field(login, admin, host_a):
    client = login(admin)
    add = client.get(reverse("admin:cadres_user_add")).content.decode()
    assert 'name="email"' in add
    change = client.get(reverse("admin:cadres_user_change", args=[host_a.pk]))
    assert 'name="email"' in change.content.decode()


def test_admins_see_who_has_no_email(login, admin, host_a, org_a):
    org_a.email = "org_a@example.cn"
    org_a.save(update_fields=["email"])
    body = login(admin).get(reverse("admin:notifications_userwithoutemail_changelist"))
    text = body.content.decode()
    assert "host_a" in text and "org_a" not in text


def test_admins_resend_failed_deliveries(
    login, admin, postings, host_a, django_capture_on_commit_callbacks
):
    host_a.email = "host_a@example.cn"
    host_a.save(update_fields=["email"])
    failed = Notification.objects.create(
        obligation=make_obligation(postings[0]),
        step="before3",
        audience="owner",
        step_on=day(-3),
        recipient=host_a,
        channel="email",
        status="failed",
        attempts=6,
        last_error="ConnectionRefusedError",
    )
    client = login(admin)
    listed = client.get(
        reverse("admin:notifications_notification_changelist"), {"status": "failed"}
    ).content.decode()
    assert "ConnectionRefusedError" in listed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
