"""Reminders that reach people (issue 18).

A `Notification` is one step of an obligation's ladder for one recipient:
its unique key (obligation, step, recipient) is the claim that makes each
step go out once, however many sweeps run. Its status follows the delivery
(the app is always a channel; email when the recipient has an address and
wants it); `DeliveryAttempt` keeps every try. What the recipient sees is
filtered when it is read: only while the obligation is open and in their
scope.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import User
from obligations.models import Obligation, obligation_scope_q

from .ladder import Audience


class Mode(models.TextChoices):
    """How a user wants the reminders of one kind (escalations always come
    by email when they have an address)."""

    IMMEDIATE = "immediate", _("立即发送邮件")
    DIGEST = "digest", _("每日汇总邮件")
    APP = "app", _("仅在系统内提醒")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own, in the app: while the obligation is open and in
        their scope (Obligation.visible_to), never the skipped steps."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        # A recipient's own notifications are few: the posting's units joined.
        return self.filter(
            obligation_scope_q(user, prefix="obligation__", joined=True),
            recipient=user,
            obligation__status=Obligation.Status.OPEN,
        ).exclude(status=Notification.Status.SKIPPED)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("已跳过")

    class Channel(models.TextChoices):
        APP = "app", _("系统内")
        EMAIL = "email", _("邮件")
        DIGEST = "digest", _("汇总邮件")

    class AudienceChoice(models.TextChoices):
        OWNER = Audience.OWNER, _("责任人")
        ORG = Audience.ORG, _("管辖组织部")
        HOME = Audience.HOME, _("派出单位联系人")

    obligation = models.ForeignKey(
        Obligation,
        verbose_name=_("待办事项"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The ladder step, e.g. "before14", "after3", "org7", "home14".
    step = models.CharField(_("提醒阶段"), max_length=20)
    audience = models.CharField(
        _("提醒对象"), max_length=10, choices=AudienceChoice.choices
    )
    # The Asia/Shanghai day the step fell on.
    step_on = models.DateField(_("提醒日期"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    channel = models.CharField(_("发送方式"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("提醒通知")
        verbose_name_plural = _("提醒通知")
        ordering = ["-step_on", "-pk"]
        constraints = [
            # The claim: a step goes to a recipient once, whoever inserts it.
            models.UniqueConstraint(
                fields=["recipient", "obligation", "step"],
                name="notification_once",
                violation_error_message=_("该提醒已存在。"),
            ),
            models.CheckConstraint(
                name="notification_status_valid",
                condition=Q(status__in=["pending", "sent", "failed", "skipped"]),
            ),
            models.CheckConstraint(
                name="notification_sent_at_when_sent",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["obligation", "step"], name="notification_claims"),
            models.Index(fields=["status", "channel"], name="notification_queue"),
        ]

    def __str__(self):
        return f"{self.obligation} · {self.step} · {self.recipient_id}"

    @property
    def escalation(self) -> bool:
        return self.audience != Audience.OWNER

    def mark_read(self) -> None:
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])


class DeliveryAttempt(models.Model):
    """One try at emailing a notification: the history of its delivery."""

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("提醒通知"),
        on_delete=models.PROTECT,
        related_name="delivery_attempts",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    ok = models.BooleanField(_("成功"))
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.notification_id} · {self.at:%Y-%m-%d %H:%M}"


class Preference(models.Model):
    """How one user wants the reminders of one obligation kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("待办类型"), max_length=40)
    mode = models.CharField(
        _("提醒方式"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE
    )

    class Meta:
        verbose_name = _("提醒偏好")
        verbose_name_plural = _("提醒偏好")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notification_preference_once"
            )
        ]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · {self.mode}"


class SweepRun(models.Model):
    """A day the sweep ran: the next run catches up the steps that fell on
    the days since (after downtime, only the latest of each recipient)."""

    day = models.DateField(_("日期"), unique=True)
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)
    claimed = models.PositiveIntegerField(_("新建提醒数"), default=0)
    # The highest obligation id the run saw: the next run catches up the
    # earlier steps of those created since (found through the primary key).
    last_obligation_id = models.BigIntegerField(_("最大待办编号"), default=0)

    class Meta:
        verbose_name = _("提醒扫描记录")
        verbose_name_plural = _("提醒扫描记录")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day}"


class UserWithoutEmail(User):
    """Active users with no email address (admin list): they get reminders
    in the app only."""

    class Meta:
        proxy = True
        verbose_name = _("无邮箱用户")
        verbose_name_plural = _("无邮箱用户")
