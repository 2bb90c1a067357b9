"""Obligations: what each party owes in the secondment cycle (issue 17).

Stored rows, so that what was owed, when it was done and by whom it was
waived survive as history. The sweep (`obligations.services.sweep`) creates
them as they become known and closes those whose record has been filed;
records' post_save closes them at once (`obligations.services`). Who sees an
obligation follows its posting (and its kind's own parents): whoever loses
sight of the posting loses its obligations with it.
"""

import datetime as dt
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cadres.models import Role
from postings.models import Posting

from . import registry


class Shown:
    """The five states an obligation is shown in, the one place that says
    what overdue and late mean: open past its due day (Asia/Shanghai; due
    today is not overdue), done after its due day."""

    OPEN = "open"
    OVERDUE = "overdue"
    ON_TIME = "on_time"
    LATE = "late"
    WAIVED = "waived"
    CANCELLED = "cancelled"


def shown_state(
    status: str, due_on: dt.date, done_on: dt.date | None, today=None
) -> str:
    """The `Shown` state of an obligation from its stored values."""
    if status == "waived":
        return Shown.WAIVED
    if status == "cancelled":
        return Shown.CANCELLED
    if status == "done":
        return (
            Shown.ON_TIME if done_on is not None and done_on <= due_on else Shown.LATE
        )
    return Shown.OVERDUE if due_on < (today or timezone.localdate()) else Shown.OPEN


def shown_q(shown: str, today: dt.date | None = None) -> Q:
    """The obligations in state `shown` on `today`, as a filter: the same
    rule as `shown_state`, in the database. OPEN means open at all (overdue
    or not), as the lists filter it."""
    today = today or timezone.localdate()
    if shown == Shown.OPEN:
        return Q(status="open")
    if shown == Shown.OVERDUE:
        return Q(status="open", due_on__lt=today)
    if shown == Shown.ON_TIME:
        return Q(status="done", done_on__lte=F("due_on"))
    if shown == Shown.LATE:
        return Q(status="done", done_on__gt=F("due_on"))
    if shown == Shown.WAIVED:
        return Q(status="waived")
    if shown == Shown.CANCELLED:
        return Q(status="cancelled")
    return Q()


def obligation_scope_q(user, prefix: str = "", *, joined: bool = False) -> Q:
    """The obligations `user` may see, as a filter on `prefix` + Obligation
    fields: through the posting (Posting.scope_q) and every other parent its
    kind names (Kind.scope_q): an evaluation's obligation needs its round in
    scope too. A notification tests it through its obligation (a join, not a
    subquery); `joined` as Posting.scope_parts has it."""
    q = Posting.scope_q(user, prefix=f"{prefix}posting__", joined=joined)
    # Kinds sharing a parent share its filter: built once, not per kind.
    by_rule: dict = {}
    for key, kind in registry.KINDS.items():
        if kind.scope_q:
            by_rule.setdefault(kind.scope_q, []).append(key)
    if not by_rule:
        return q
    hooked = [key for keys in by_rule.values() for key in keys]
    parts = [~Q(**{f"{prefix}kind__in": hooked})]
    parts += [
        Q(**{f"{prefix}kind__in": keys}) & scope_q(user, prefix)
        for scope_q, keys in by_rule.items()
    ]
    return q & reduce(or_, parts)


class ObligationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one scope of obligations: `obligation_scope_q`."""
        return self.filter(obligation_scope_q(user))

    def owed_by_user(self, user):
        """What `user` personally owes, among what they see: a host leader
        their unit's, a home contact their unit's, org staff their own
        jurisdiction's (levels above see others' on the compliance pages), a
        cadre their own postings'."""
        role = getattr(user, "role", None)
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if role == Role.CADRE:
            mine = Q(owed_by=Role.CADRE, posting__cadre_id=user.cadre_id)
        elif role in (Role.HOST_LEADER, Role.HOME_CONTACT, Role.ORG_STAFF):
            mine = Q(owed_by=role, unit_id=user.unit_id)
        else:
            return self.none()
        return self.visible_to(user).filter(mine)

    def open(self):
        return self.filter(status=Obligation.Status.OPEN)

    def overdue(self, today: dt.date | None = None):
        """Open past their due day (Asia/Shanghai): due today is not overdue."""
        return self.filter(shown_q(Shown.OVERDUE, today))

    def due_within(self, today: dt.date | None, days: int):
        """Open and due from today to `days` days ahead (not yet overdue)."""
        today = today or timezone.localdate()
        return self.open().filter(
            due_on__gte=today, due_on__lte=today + dt.timedelta(days=days)
        )


class Obligation(models.Model):
    """One thing one party owes about one posting, by a due day."""

    class Status(models.TextChoices):
        OPEN = "open", _("待完成")
        DONE = "done", _("已完成")
        WAIVED = "waived", _("已免除")
        # No longer owed: the posting's dates moved (extended, ended early)
        # and the sweep expects it no more; kept, with the reason, as history.
        CANCELLED = "cancelled", _("不再应交")

    kind = models.CharField(_("类型"), max_length=40)
    # Foreign keys without an index of their own: the composite indexes below
    # serve the reads, and each index costs the sweep's inserts.
    posting = models.ForeignKey(
        Posting,
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="obligations",
        db_index=False,
    )
    # The month for notes, the due slot for reports, the anniversary for
    # annual reviews, else the due day.
    period = models.DateField(_("所属期间"))
    subject_type = models.ForeignKey(
        ContentType,
        verbose_name=_("对象类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    subject_id = models.PositiveBigIntegerField(_("对象编号"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # "app.model:pk" of the subject, "" when it is the posting itself: part of
    # the unique key, which a nullable column could not be.
    subject_key = models.CharField(
        _("对象"), max_length=80, blank=True, default="", editable=False
    )
    owed_by = models.CharField(_("责任方"), max_length=20, choices=Role.choices)
    # The unit whose people owe it: the receiving unit (host leaders), the
    # managing jurisdiction (org staff), the sending unit (home contacts);
    # none for the cadre, who is the posting's.
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    due_on = models.DateField(_("应完成日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    fulfilled_type = models.ForeignKey(
        ContentType,
        verbose_name=_("完成记录类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    fulfilled_id = models.PositiveBigIntegerField(
        _("完成记录编号"), null=True, blank=True
    )
    fulfilled = GenericForeignKey("fulfilled_type", "fulfilled_id")
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("免除人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    waived_reason = models.CharField(_("免除理由"), max_length=300, blank=True)
    waived_at = models.DateTimeField(_("免除时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ObligationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "posting", "period", "subject_key"],
                name="obligation_once",
                violation_error_message=_("该事项已存在。"),
            ),
            models.CheckConstraint(
                name="obligation_status_valid",
                condition=Q(status__in=["open", "done", "waived", "cancelled"]),
            ),
            models.CheckConstraint(
                name="obligation_done_on_when_done",
                condition=Q(status="done", done_on__isnull=False)
                | (~Q(status="done") & Q(done_on__isnull=True)),
            ),
            models.CheckConstraint(
                name="obligation_waived_with_reason",
                condition=~Q(status="waived")
                | (Q(waived_by__isnull=False) & ~Q(waived_reason="")),
                violation_error_message=_("免除须写明理由。"),
            ),
        ]
        indexes = [
            # What one party owes: the home pages.
            models.Index(
                fields=["owed_by", "unit", "status", "due_on"],
                name="obligation_owed",
            ),
            # The sweep: the open ones of a kind; the catch-up's look-ups.
            models.Index(fields=["kind", "status", "due_on"], name="obligation_kind"),
            # The stored keys of the periods a run expects.
            models.Index(fields=["kind", "period"], name="obligation_period"),
            models.Index(fields=["posting", "status"], name="obligation_posting"),
        ]

    def __str__(self):
        return f"{self.kind_label} · {self.posting_id} · {self.due_on:%Y-%m-%d}"

    @property
    def kind_label(self) -> str:
        return registry.label(self.kind)

    @property
    def on_time(self) -> bool:
        """Done by its due day."""
        return shown_state(self.status, self.due_on, self.done_on) == Shown.ON_TIME

    @property
    def done_late(self) -> bool:
        return shown_state(self.status, self.due_on, self.done_on) == Shown.LATE

    def overdue(self, today: dt.date | None = None) -> bool:
        return shown_state(self.status, self.due_on, self.done_on, today) == (
            Shown.OVERDUE
        )

    def shown(self, today: dt.date | None = None) -> str:
        """How it stands on `today`: one of `Shown`."""
        return shown_state(self.status, self.due_on, self.done_on, today)

    @property
    def fulfilled_url(self) -> str:
        """The record that fulfilled it, or "" while none did."""
        if self.fulfilled_id is None:
            return ""
        kind = registry.KINDS.get(self.kind)
        if kind and kind.record_url:
            return kind.record_url(self)
        return reverse("postings:detail", args=[self.posting_id])

    def get_fulfil_url(self, user) -> str:
        """The form that fulfils it, for `user`."""
        kind = registry.KINDS.get(self.kind)
        if kind is None:
            return reverse("postings:detail", args=[self.posting_id])
        return kind.fulfil_url(self, user)
