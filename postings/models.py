import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cadres.models import Role


def midpoint(start: dt.date, end: dt.date) -> dt.date:
    return start + (end - start) / 2


class PostingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(Posting.scope_q(user))

    def active(self):
        return self.filter(status=Posting.Status.ACTIVE)


class Posting(models.Model):
    """挂职: one secondment of one cadre."""

    class Kind(models.TextChoices):
        OUTWARD = "outward", _("外派")
        DOWNWARD = "downward", _("下派")
        UPWARD = "upward", _("上派")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟派")
        ACTIVE = "active", _("在岗")
        COMPLETED = "completed", _("期满")
        ENDED_EARLY = "ended_early", _("提前结束")

    cadre = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    kind = models.CharField(_("挂职类型"), max_length=20, choices=Kind.choices)
    sending_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("派出单位"),
        on_delete=models.PROTECT,
        related_name="sent_postings",
    )
    receiving_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("接收单位"),
        on_delete=models.PROTECT,
        related_name="received_postings",
    )
    title = models.CharField(_("挂任职务"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    planned_end_date = models.DateField(_("计划结束日期"))
    # Derived from the two dates by the services and stored, indexed, because
    # date arithmetic in F() expressions silently matches nothing on SQLite.
    midterm_date = models.DateField(_("中期考核日期"), editable=False, db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PostingQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("挂职")
        verbose_name_plural = _("挂职")
        ordering = ["-start_date", "-pk"]
        constraints = [
            # Rule 1: one posting in progress per cadre, decided by the database.
            models.UniqueConstraint(
                fields=["cadre"],
                condition=Q(status="active"),
                name="posting_one_active_per_cadre",
                violation_error_message=_("该干部已有一项在岗的挂职。"),
            ),
            models.CheckConstraint(
                name="posting_end_after_start",
                violation_error_message=_("计划结束日期必须晚于开始日期。"),
                condition=Q(planned_end_date__gt=models.F("start_date")),
            ),
            models.CheckConstraint(
                name="posting_midterm_within_term",
                condition=Q(midterm_date__gte=models.F("start_date"))
                & Q(midterm_date__lte=models.F("planned_end_date")),
            ),
            models.CheckConstraint(
                name="posting_status_valid",
                condition=Q(
                    status__in=["proposed", "active", "completed", "ended_early"]
                ),
            ),
            models.CheckConstraint(
                name="posting_kind_valid",
                condition=Q(kind__in=["outward", "downward", "upward"]),
            ),
        ]
        indexes = [models.Index(fields=["status", "midterm_date"])]

    def __str__(self):
        return f"{self.cadre} · {self.receiving_unit} {self.title}"

    def get_absolute_url(self):
        return reverse("postings:detail", args=[self.pk])

    @staticmethod
    def scope_q(user, prefix: str = "") -> Q:
        """The postings `user` may see, as a filter on `prefix` + Posting fields.

        The one place that decides posting scope; notes, reminders and exports
        reach postings through it.
        """
        role = getattr(user, "role", None)
        if not getattr(user, "is_authenticated", False) or role is None:
            return Q(pk__in=[])
        if role == Role.ADMIN:
            return Q()
        if role == Role.ORG_STAFF:
            path = user.unit.path
            return Q(**{f"{prefix}sending_unit__path__startswith": path}) | Q(
                **{f"{prefix}receiving_unit__path__startswith": path}
            )
        if role == Role.HOST_LEADER:
            return Q(**{f"{prefix}receiving_unit_id": user.unit_id})
        if role == Role.HOME_CONTACT:
            return Q(**{f"{prefix}sending_unit_id": user.unit_id})
        if role == Role.CADRE:
            return Q(**{f"{prefix}cadre_id": user.cadre_id})
        return Q(pk__in=[])

    def set_midterm_date(self) -> None:
        self.midterm_date = midpoint(self.start_date, self.planned_end_date)


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Reminder(models.Model):
    """An in-app reminder to one user about one posting's due review."""

    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("中期考核")
        FINAL = "final", _("期满考核")
        ANNUAL = "annual", _("年度评议")
        WARNING = "warning", _("预警")
        RECORD_DUE = "record_due", _("材料待交")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    posting = models.ForeignKey(
        Posting, verbose_name=_("挂职"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("到期日期"))
    message = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Decides duplicates when sweeps run twice or concurrently.
            models.UniqueConstraint(
                fields=["recipient", "posting", "kind", "due_date"],
                name="reminder_once_per_recipient",
                violation_error_message=_("该提醒已存在。"),
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.message

    def mark_read(self) -> None:
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])
