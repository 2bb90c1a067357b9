import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long a finished file is kept (the issue: removed after a day).
KEEP = dt.timedelta(days=1)

# The key of a job's parameters that holds its cut-off (exports.kinds.Kind
# .cutoff): no list's query parameter; not shown, digested or requested.
CUTOFF = "@cutoff"


def _expires_at():
    return timezone.now() + KEEP


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its requester's alone: the file holds what they may see,
        which is not what anyone else may."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def expired(self, now: dt.datetime | None = None):
        return self.filter(expires_at__lte=now or timezone.now())


class ExportJob(models.Model):
    """One export written in the background: what was asked (kind and the
    list's filters), how far it got, and the file while it is kept."""

    class Kind(models.TextChoices):
        ROSTER = "roster", _("挂职名册")
        CADRES = "cadres", _("干部名单")
        OVERDUE = "overdue", _("逾期待办事项")
        AUDIT = "audit", _("审计日志")
        COMPLIANCE = "compliance", _("月小结填报情况")
        ROUND = "round", _("考核结果")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期删除")
        # The requester's scope changed: the file is withheld and removed.
        WITHDRAWN = "withdrawn", _("已撤回")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("导出内容"), max_length=20, choices=Kind.choices)
    # The list's query parameters, name -> values, as the page had them.
    parameters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    # The parameters' digest (services.parameters_digest): one queued or
    # running job per user, kind and digest (a second click joins the first).
    digest = models.CharField(_("筛选条件摘要"), max_length=64, blank=True)
    # What decided the requester's scope when the job was queued
    # (services.scope_of): the file is withheld once it no longer matches.
    scope = models.CharField(_("数据范围标识"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("已写行数"), default=0)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/", blank=True)
    filename = models.CharField(_("文件名"), max_length=200)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), default=_expires_at)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="exportjob_user_recent"),
            models.Index(fields=["expires_at"], name="exportjob_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                name="exportjob_status_known",
                condition=Q(
                    status__in=[
                        "queued",
                        "running",
                        "done",
                        "failed",
                        "expired",
                        "withdrawn",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="exportjob_expires_after_created",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
            # A repeated request joins the job it repeats (services).
            models.UniqueConstraint(
                fields=["user", "kind", "digest"],
                condition=Q(status__in=["queued", "running"]),
                name="exportjob_one_running_per_request",
            ),
            # A file exists only for a finished job.
            models.CheckConstraint(
                name="exportjob_file_only_when_done",
                condition=Q(status="done") | Q(file=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self):
        return reverse("exports:status", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def filters(self) -> str:
        """The list's filters as asked, for the job list: "q=王；status=active"."""
        return "；".join(
            f"{name}={'、'.join(v if isinstance(v, list) else [v])}"
            for name, v in sorted(self.parameters.items())
            if name != CUTOFF
        )

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def downloadable(self) -> bool:
        return (
            self.status == self.Status.DONE
            and bool(self.file)
            and self.expires_at > timezone.now()
        )
