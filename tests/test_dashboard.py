"""The dashboard (工作台): counts that follow every write, and the latest
unread reminders."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from postings.models import Posting
from tests.factories import PostingFactory, ReminderFactory, UnitFactory


def _counts(html: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'data-status="(\w+)">(\d+)<', html)}


def test_the_counts_follow_every_write(login, tree, org_a):
    client = login(org_a)
    url = reverse("home")
    posting = PostingFactory(
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        status=Posting.Status.PROPOSED,
    )
    assert _counts(client.get(url).content.decode())["proposed"] == 1
    # A save (signal) and an update() (no signal) both show at once.
    posting.status = Posting.Status.ACTIVE
    posting.save()
    counts = _counts(client.get(url).content.decode())
    assert (counts["proposed"], counts["active"]) == (0, 1)
    Posting.objects.filter(pk=posting.pk).update(
        status=Posting.Status.COMPLETED, ended_on=posting.planned_end_date
    )
    counts = _counts(client.get(url).content.decode())
    assert (counts["active"], counts["completed"]) == (0, 1)
    # A posting moved out of the scope is gone from the counts.
    elsewhere = UnitFactory(parent=tree.city)
    Posting.objects.filter(pk=posting.pk).update(
        sending_unit=elsewhere, receiving_unit=elsewhere
    )
    assert sum(_counts(client.get(url).content.decode()).values()) == 0


def test_the_latest_eight_unread_reminders_escaped(login, tree, org_a):
    now = timezone.now()
    for i in range(10):
        reminder = ReminderFactory(recipient=org_a, message=f"提醒{i}号")
        reminder.created_at = now - dt.timedelta(days=10 - i)
        reminder.save(update_fields=["created_at"])
    read = ReminderFactory(recipient=org_a, message="已读的提醒")
    read.mark_read()
    ReminderFactory(recipient=org_a, message="<script>alert(1)</script>")
    body = login(org_a).get(reverse("home")).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    shown = re.findall(r"提醒(\d+)号", body)
    assert shown == ["9", "8", "7", "6", "5", "4", "3"]  # newest first, 8 in all
    assert "已读的提醒" not in body
    assert f"{timezone.localdate(now - dt.timedelta(days=1)):%Y-%m-%d}" in body
