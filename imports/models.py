from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An upload is its uploader's alone: it holds their file."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class ImportJob(models.Model):
    """One uploaded roster: kept until committed so that the preview, the
    mapping of unknown units and the commit read the same file."""

    class Kind(models.TextChoices):
        UNITS = "units", _("单位")
        CADRES = "cadres", _("干部")
        POSTINGS = "postings", _("挂职")
        USERS = "users", _("用户")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("待确认")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("导入失败")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("导入内容"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("文件名"), max_length=255)
    data = models.BinaryField(_("文件内容"))
    # key(unit name as written) -> unit id, chosen on the preview page
    mapping = models.JSONField(_("单位对应"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    reason = models.CharField(_("理由"), max_length=300, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入")
        verbose_name_plural = _("导入")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                name="importjob_kind_valid",
                violation_error_message=_("导入内容无效。"),
                condition=models.Q(kind__in=["units", "cadres", "postings", "users"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"

    def get_absolute_url(self):
        return reverse("imports:preview", args=[self.pk])
