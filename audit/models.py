"""One row per audited action. Rows are only ever added; the retention purge
(audit.services.purge_expired) is the one thing that removes them.

Where that is enforced:
- here, in the app: `Entry.save` refuses to change a stored row, `Entry.delete`
  and the queryset's `update`/`delete` refuse outright (the admin offers no
  add, change or delete either, audit.admin);
- in the database, by triggers (migration 0002): on PostgreSQL every UPDATE
  and DELETE of a row is refused unless the purge's transaction has marked
  itself (`guazhi.audit_purge`); on SQLite every UPDATE is refused, while
  DELETE is left to the app's guard, since Django's test flush empties SQLite
  tables with DELETE. TRUNCATE is not guarded on either (the test flush on
  PostgreSQL uses it).
Whoever holds the database owner's credentials can drop a trigger: the
guard is against the application's own code paths and mistakes, not against
the database's administrator.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """A stored audit row was to be changed or removed."""


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志不能修改。")

    def delete(self):
        raise AppendOnlyError("审计日志不能删除，只会在保存期满后自动清理。")

    def purge(self) -> int:
        """Remove these rows: for audit.services.purge_expired only, inside
        the transaction that marked itself as the purge."""
        deleted, _by_model = models.QuerySet.delete(self)
        return deleted


class Entry(models.Model):
    class Action(models.TextChoices):
        EXPORT = "export", _("导出")
        DOWNLOAD = "download", _("下载附件")
        ID_SEARCH = "id_search", _("按身份证号查询")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        ROLE_CHANGE = "role_change", _("角色变更")
        UNIT_CHANGE = "unit_change", _("单位变更")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    # Who did it; None for a failed login and for what no request set off.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's username when the row was written, or the name typed at a
    # failed login.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    # The URL name of the page that did it ("postings:export"): which export.
    view = models.CharField(_("页面"), max_length=100, blank=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("行数"), null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-pk"]
        # Each action's rows by time (the admin's filter); `at` alone for the purge.
        indexes = [models.Index(fields=["action", "at"], name="audit_action_at")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计日志不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志不能删除，只会在保存期满后自动清理。")
