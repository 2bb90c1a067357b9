"""Settings that admins change in the app (django-constance), with the
history of every change. Below every app: it imports none of them."""

from constance import apps as constance_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteconfigConfig(AppConfig):
    verbose_name = _("系统设置修改记录")
    name = "siteconfig"
    default_auto_field = "django.db.models.BigAutoField"


class SettingsConfig(constance_apps.ConstanceConfig):
    """constance itself, under a Chinese name in the admin (Django's way to
    rename a third-party app: a subclass of its AppConfig in INSTALLED_APPS)."""

    default = False  # listed by its dotted path, not found for "siteconfig"
    verbose_name = _("系统设置")
