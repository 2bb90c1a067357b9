"""Every change of a setting: which, from what to what, who and when.

Written by the settings page's form (siteconfig.admin), in the transaction
that saves the change; nothing else changes a setting in the app.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SettingChange(models.Model):
    key = models.CharField(_("设置项"), max_length=255)
    # Values as constance stores them (its JSON codec), so types survive.
    old_value = models.TextField(_("原值"))
    new_value = models.TextField(_("新值"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("设置修改记录")
        verbose_name_plural = _("设置修改记录")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.key} {self.changed_at:%Y-%m-%d %H:%M}"
