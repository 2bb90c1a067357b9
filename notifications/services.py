"""The reminder ladder's sweep and delivery (issue 18).

- `sweep(today)`: finds the ladder steps that fell due with a few set-based
  queries (none per posting or obligation), claims each by inserting its
  `Notification` (the unique key decides between concurrent sweeps), then
  queues the emails after commit. After downtime only the latest missed step
  of each recipient goes out; the older ones are stored as skipped, so the
  history stays complete. Escalations are never skipped.
- `deliver_email(ids)`: one email to one recipient for the notifications
  given, under row locks, marked sent only once the mail server took it.
- `resend(notifications)`: failed deliveries back in the queue (admin).
- `preferences_save(user, modes)`: how a user wants each kind.

The database is the source of truth; Celery only triggers. Every task may run
twice or never: the next sweep queues what is still pending.
"""

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field

from constance.utils import get_values
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, F, Max, Q, Window
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Role, User
from obligations import registry
from obligations.models import Obligation
from obligations.rules import JURISDICTION_FIELDS, managing_jurisdictions
from postings.models import Reminder

from . import ladder
from .ladder import Audience, Step
from .models import DeliveryAttempt, Mode, Notification, Preference, SweepRun

log = logging.getLogger(__name__)

# The window of step days of the first sweep ever (which also takes every
# open obligation as new); after downtime the next sweep's window is at most
# CATCH_UP_MAX_DAYS (obligations known before with every step older than that
# are the history's loss, not a burst of mail).
FIRST_LOOKBACK_DAYS = 7
CATCH_UP_MAX_DAYS = 60
BATCH = 1000
EMAILED = (Notification.Channel.EMAIL, Notification.Channel.DIGEST)


@dataclass
class SweepResult:
    claimed: int = 0
    sent_in_app: int = 0
    skipped: int = 0
    queued: int = 0
    by_step: dict = field(default_factory=dict)


# --- Finding what is due -------------------------------------------------------


def _window(today: dt.date) -> tuple[dt.date, int | None]:
    """(since, last obligation id): steps on days after `since` and up to
    today are this run's, the days since the last run before today (a run
    today again sees the same); obligations above the id are new since it.
    The first run ever finds every open obligation new (each recipient gets
    its latest step, escalations all)."""
    last = SweepRun.objects.filter(day__lt=today).order_by("-day").first()
    if last is None:
        since, last_id = today - dt.timedelta(days=FIRST_LOOKBACK_DAYS), 0
    else:
        since, last_id = last.day, last.last_obligation_id
    return max(since, today - dt.timedelta(days=CATCH_UP_MAX_DAYS)), last_id


def _candidates_q(ladders: dict, since: dt.date, today: dt.date, last_id: int) -> Q:
    """Open obligations with a step in (since, today], or new since the last
    run (their earlier steps are caught up): one filter, each part served by
    an index (kind, status, due day; the primary key). The new ones are found
    by the primary key alone, whatever their kind (`_plan` passes over a kind
    without a ladder): with the kinds, the database would read every open
    obligation of those kinds for them."""
    parts = Q(pk__gt=last_id)
    for kind, steps in ladders.items():
        for step in steps:
            # step day = due_on + offset, in (since, today]
            parts |= Q(
                kind=kind,
                due_on__gt=since - dt.timedelta(days=step.offset),
                due_on__lte=today - dt.timedelta(days=step.offset),
            )
    return Q(status=Obligation.Status.OPEN) & parts


_FIELDS = (
    "pk",
    "kind",
    "due_on",
    "owed_by",
    "unit_id",
    "posting__cadre_id",
    "posting__sending_unit_id",
)


class _People:
    """The active users a run may remind, looked up by (role, unit) and by
    cadre: one query."""

    def __init__(self, unit_ids: set, cadre_ids: set):
        self.by_unit: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.by_cadre: dict[int, list[int]] = defaultdict(list)
        self.email: dict[int, str] = {}
        rows = User.objects.filter(is_active=True).filter(
            Q(
                role__in=[Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT],
                unit_id__in=unit_ids,
            )
            | Q(role=Role.CADRE, cadre_id__in=cadre_ids)
        )
        for pk, role, unit_id, cadre_id, email in rows.values_list(
            "pk", "role", "unit_id", "cadre_id", "email"
        ):
            self.email[pk] = email
            if role == Role.CADRE:
                self.by_cadre[cadre_id].append(pk)
            else:
                self.by_unit[(role, unit_id)].append(pk)

    def owners(self, owed_by: str, unit_id, cadre_id) -> list[int]:
        if owed_by == Role.CADRE:
            return self.by_cadre.get(cadre_id, [])
        return self.by_unit.get((owed_by, unit_id), [])


def _plan(rows, ladders, jurisdiction, people, claimed, today):
    """[(obligation pk, kind, step, recipient, status)] for the steps due on
    `today` and not claimed: per recipient the latest owner step, the older
    ones skipped; every escalation."""
    planned = []
    for pk, kind, due_on, owed_by, unit_id, cadre_id, sending_unit_id in rows:
        due_steps = [
            s
            for s in ladders.get(kind, ())
            if due_on + dt.timedelta(days=s.offset) <= today
        ]
        if not due_steps:
            continue
        have = claimed.get(pk, {})
        for step in due_steps:
            if not step.escalation:
                continue
            if step.audience == Audience.ORG:
                where = jurisdiction.get(pk)
                to = people.by_unit.get((Role.ORG_STAFF, where[0]), []) if where else []
            else:
                to = people.by_unit.get((Role.HOME_CONTACT, sending_unit_id), [])
            for user_id in to:
                if step.code not in have.get(user_id, ()):
                    planned.append((pk, kind, due_on, step, user_id, "due"))
        owner_steps = [s for s in due_steps if not s.escalation]
        if not owner_steps:
            continue
        for user_id in people.owners(owed_by, unit_id, cadre_id):
            mine = have.get(user_id, set())
            latest_claimed = max(
                (s.offset for s in owner_steps if s.code in mine), default=None
            )
            open_steps = [s for s in owner_steps if s.code not in mine]
            for step in open_steps:
                newest = step == open_steps[-1] and (
                    latest_claimed is None or step.offset > latest_claimed
                )
                planned.append(
                    (pk, kind, due_on, step, user_id, "due" if newest else "skip")
                )
    return planned


def _modes(user_ids) -> dict[tuple[int, str], str]:
    return {
        (user_id, kind): mode
        for user_id, kind, mode in Preference.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "kind", "mode")
    }


def _channel(step: Step, kind: str, user_id: int, people, modes) -> str:
    if not people.email.get(user_id):
        return Notification.Channel.APP
    if step.escalation:
        return Notification.Channel.DIGEST  # always, in the day's one list
    mode = modes.get((user_id, kind), Mode.IMMEDIATE)
    return {
        Mode.IMMEDIATE: Notification.Channel.EMAIL,
        Mode.DIGEST: Notification.Channel.DIGEST,
    }.get(mode, Notification.Channel.APP)


def sweep(today: dt.date | None = None) -> SweepResult:
    """Claim and queue the ladder steps due on `today` (Asia/Shanghai)."""
    today = today or timezone.localdate()
    now = timezone.now()
    result = SweepResult()
    kinds = list(registry.KINDS)
    ladders = {k: v for k, v in ladder.ladders(get_values(), kinds).items() if v}
    with transaction.atomic():
        since, last_id = _window(today)
        top = Obligation.objects.aggregate(top=Max("pk"))["top"] or 0
        candidates = Obligation.objects.filter(
            _candidates_q(ladders, since, today, last_id)
        )
        rows = list(
            candidates.order_by().values_list(
                *_FIELDS, *(f"posting__{f}" for f in JURISDICTION_FIELDS)
            )
        )
        if rows:
            # The managing jurisdiction: stored as the unit of what org staff
            # owe, found from the posting for the rest.
            jurisdiction = managing_jurisdictions(
                (row[0], *row[len(_FIELDS) :]) for row in rows
            )
            rows = [row[: len(_FIELDS)] for row in rows]
            units = {row[4] for row in rows} | {row[6] for row in rows}
            units |= {where[0] for where in jurisdiction.values()}
            people = _People(units - {None}, {row[5] for row in rows})
            claimed: dict[int, dict[int, set]] = defaultdict(lambda: defaultdict(set))
            for obligation_id, user_id, step in Notification.objects.filter(
                obligation__in=candidates
            ).values_list("obligation_id", "recipient_id", "step"):
                claimed[obligation_id][user_id].add(step)
            planned = _plan(rows, ladders, jurisdiction, people, claimed, today)
            modes = _modes({p[4] for p in planned})
            new = []
            for pk, kind, due_on, step, user_id, what in planned:
                channel = _channel(step, kind, user_id, people, modes)
                status = Notification.Status.PENDING
                if what == "skip":
                    status = Notification.Status.SKIPPED
                    result.skipped += 1
                elif channel == Notification.Channel.APP:
                    status = Notification.Status.SENT
                    result.sent_in_app += 1
                new.append(
                    Notification(
                        obligation_id=pk,
                        step=step.code,
                        audience=step.audience,
                        step_on=due_on + dt.timedelta(days=step.offset),
                        recipient_id=user_id,
                        channel=channel,
                        status=status,
                        created_at=now,
                        sent_at=now if status == Notification.Status.SENT else None,
                    )
                )
                result.by_step[step.code] = result.by_step.get(step.code, 0) + 1
            # A concurrent sweep may have claimed some meanwhile: the
            # constraint decides, and theirs stand.
            Notification.objects.bulk_create(
                new, batch_size=BATCH, ignore_conflicts=True
            )
            result.claimed = len(new)
        SweepRun.objects.update_or_create(
            day=today,
            defaults={
                "finished_at": now,
                "claimed": result.claimed,
                "last_obligation_id": top,
            },
        )
        result.queued = queue_pending()
    log.info(
        "notifications sweep %s: %s claimed (%s skipped), %s emails queued",
        today,
        result.claimed,
        result.skipped,
        result.queued,
    )
    return result


def queue_pending() -> int:
    """Queue, after commit, an email task for every pending notification:
    one task per immediate one, one per recipient for the day's list (digest
    and escalations). What a lost task left pending goes out with the next
    sweep; a task that runs twice sends once (`deliver_email` locks)."""
    from .tasks import send_notifications

    lists: dict[int, list[int]] = defaultdict(list)
    singles = []
    for pk, user_id, channel in Notification.objects.filter(
        status=Notification.Status.PENDING, channel__in=EMAILED
    ).values_list("pk", "recipient_id", "channel"):
        if channel == Notification.Channel.EMAIL:
            singles.append([pk])
        else:
            lists[user_id].append(pk)
    batches = singles + list(lists.values())
    for ids in batches:
        transaction.on_commit(lambda ids=ids: send_notifications.delay(ids))
    return len(batches)


# --- Delivering ----------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _items(notifications, user, today) -> list[dict]:
    """What an email or the centre shows of each notification: plain values,
    the fulfil links in one go per kind."""
    obligations = [n.obligation for n in notifications]
    urls = registry.fulfil_urls(obligations, user)
    items = []
    for n in notifications:
        o = n.obligation
        items.append(
            {
                "notification": n,
                "kind": o.kind_label,
                "cadre": o.posting.cadre.name,
                "unit": o.posting.receiving_unit.name,
                "due_on": o.due_on,
                "days_late": (today - o.due_on).days,
                "days_left": (o.due_on - today).days,
                "escalation": n.escalation,
                "url": urls.get(o.pk, ""),
            }
        )
    return items


def _live(notifications, recipient) -> set[int]:
    """The obligations among these still open and in the recipient's scope."""
    return set(
        Obligation.objects.visible_to(recipient)
        .open()
        .filter(pk__in=[n.obligation_id for n in notifications])
        .values_list("pk", flat=True)
    )


class DeliveryFailed(Exception):
    pass


def deliver_email(*, ids: list[int], final: bool = False) -> int:
    """Email the pending notifications `ids` (one recipient's) as one
    message; mark them sent only once the mail server took it. Those whose
    obligation is done or out of the recipient's scope meanwhile are skipped;
    a recipient without an address now has them in the app. On a failure
    every try is recorded and DeliveryFailed raised for the task to retry;
    `final` marks them failed (admins resend). Returns the number sent."""
    error = None
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, status=Notification.Status.PENDING)
            .select_related(
                "recipient",
                "obligation__posting__cadre",
                "obligation__posting__receiving_unit",
            )
            .order_by("obligation__due_on", "pk")
        )
        if not rows:
            return 0
        recipient = rows[0].recipient
        now = timezone.now()
        live = _live(rows, recipient) if recipient.is_active else set()
        gone = [n for n in rows if n.obligation_id not in live]
        rows = [n for n in rows if n.obligation_id in live]
        if gone:
            Notification.objects.filter(pk__in=[n.pk for n in gone]).update(
                status=Notification.Status.SKIPPED
            )
        if rows and not recipient.email:
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                status=Notification.Status.SENT,
                channel=Notification.Channel.APP,
                sent_at=now,
            )
            return 0
        if not rows:
            return 0
        subject, body = _email(rows, recipient)
        message = EmailMessage(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [recipient.email],
            # Which notifications the message carries: the delivery log's
            # cross-check (and the fault tests') that none went twice.
            headers={"X-Guazhi-Notifications": ",".join(str(n.pk) for n in rows)},
        )
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:  # the transport's: retry
            error = f"{type(exc).__name__}: {exc}"[:300]
            failed = [n.pk for n in rows]
        else:
            pks = [n.pk for n in rows]
            Notification.objects.filter(pk__in=pks).update(
                status=Notification.Status.SENT,
                sent_at=now,
                last_error="",
                attempts=F("attempts") + 1,
            )
            DeliveryAttempt.objects.bulk_create(
                DeliveryAttempt(notification_id=pk, at=now, ok=True) for pk in pks
            )
            return len(pks)
    _record_failure(failed, error, final)
    raise DeliveryFailed(error)


@transaction.atomic
def _record_failure(pks: list[int], error: str, final: bool) -> None:
    now = timezone.now()
    rows = Notification.objects.select_for_update().filter(
        pk__in=pks, status=Notification.Status.PENDING
    )
    for n in rows:
        n.attempts += 1
        n.last_error = error
        if final:
            n.status = Notification.Status.FAILED
        n.save(update_fields=["attempts", "last_error", "status"])
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(notification_id=pk, at=now, ok=False, error=error) for pk in pks
    )


def _email(rows, recipient) -> tuple[str, str]:
    today = timezone.localdate()
    items = _items(rows, recipient, today)
    for item in items:
        item["url"] = _site_url(item["url"]) if item["url"] else ""
    if len(items) == 1:
        subject = _("【挂职干部管理系统】提醒：%(kind)s（%(cadre)s）") % items[0]
    else:
        subject = _("【挂职干部管理系统】您有%(n)d项待办事项提醒") % {"n": len(items)}
    body = render_to_string(
        "notifications/email.txt",
        {
            "user": recipient,
            "items": items,
            "today": today,
            "centre_url": _site_url("/notifications/"),
        },
    )
    return subject, body


@transaction.atomic
def resend(notifications) -> int:
    """Put failed deliveries back in the queue (admins), sent after commit."""
    n = Notification.objects.filter(
        pk__in=[x.pk for x in notifications], status=Notification.Status.FAILED
    ).update(status=Notification.Status.PENDING)
    if n:
        queue_pending()
    return n


# --- Preferences -----------------------------------------------------------------


@transaction.atomic
def preferences_save(*, user: User, modes: dict[str, str]) -> None:
    """Store how `user` wants each kind's reminders ({kind: Mode})."""
    for kind, mode in modes.items():
        if kind not in registry.KINDS or mode not in Mode.values:
            continue
        Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"mode": mode}
        )


def preferences_of(user: User) -> dict[str, str]:
    stored = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return {kind: stored.get(kind, Mode.IMMEDIATE) for kind in registry.KINDS}


def _per_recipient(qs):
    """`qs`'s rows counted as one row (none when it has none)."""
    return qs.order_by().values("recipient").annotate(n=Count("*")).values_list("n")


def unread_count(user) -> int:
    """The navbar's badge: the ladder's unread reminders in scope, and the
    unread reminders of before it (postings.Reminder: warnings), counted by
    one query on every page (two plain COUNTs joined by UNION ALL: cheaper to
    build than one query with a subquery per count)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    ladder = _per_recipient(Notification.objects.visible_to(user).unread())
    legacy = _per_recipient(Reminder.objects.visible_to(user).unread())
    return sum(n for (n,) in ladder.union(legacy, all=True))


def latest_unread(user, n: int) -> tuple[list[tuple[str, dt.datetime]], int]:
    """The home page's box: (text, time) of the user's latest `n` unread
    reminders, the ladder's first, then those of before it (warnings); and
    how many unread there are in all, the badge's number (`unread_count`),
    counted over the same rows by a window count before the limit."""
    total = Window(Count("*"))
    rows = list(
        Notification.objects.visible_to(user)
        .unread()
        .order_by("-created_at", "-pk")
        .values_list(
            "obligation__kind",
            "obligation__posting__cadre__name",
            "obligation__due_on",
            "audience",
            "created_at",
            total,
        )[:n]
    )
    latest = [
        (
            _("%(escalation)s%(kind)s · %(cadre)s，应于%(due)s完成")
            % {
                "escalation": _("【督办】") if audience != Audience.OWNER else "",
                "kind": registry.label(kind),
                "cadre": cadre,
                "due": f"{due_on:%Y-%m-%d}",
            },
            created_at,
        )
        for kind, cadre, due_on, audience, created_at, _total in rows
    ]
    legacy = list(
        Reminder.objects.visible_to(user)
        .unread()
        .values_list("message", "created_at", total)[:n]
    )
    unread = sum(row[-1] for found in (rows, legacy) for row in found[:1])
    return (latest + [(m, at) for m, at, _total in legacy])[:n], unread


def centre_items(notifications, user) -> list[dict]:
    """The centre's rows: plain values, fulfil links in one go."""
    return _items(notifications, user, timezone.localdate())
