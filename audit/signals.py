"""Logins, failed logins and changes of a user's role or unit, caught where
Django announces them: whatever code path logs in or saves a user (the login
page, django-axes' refusals, the admin, a shell), the row is written."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save

from . import services
from .middleware import current_request
from .models import Entry

# The fields of settings.AUTH_USER_MODEL that decide what a user sees.
WATCHED = {"role", "unit", "unit_id"}


def _logged_in(sender, request, user, **kwargs):
    services.record(request, Entry.Action.LOGIN, user=user, target=user.get_username())


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    services.record(
        request, Entry.Action.LOGIN_FAILED, username=username, target=username
    )


NOTHING = {"role": None, "unit": None, "unit__name": None}


def _values(model, pk) -> dict:
    """role, unit id and unit name of the stored user."""
    row = model._default_manager.filter(pk=pk).values(*NOTHING).first()
    return row or NOTHING


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if update_fields is not None and not WATCHED & set(update_fields):
        return  # a login's last_login, a password: nothing watched is written
    stored = instance.pk is not None and not instance._state.adding
    instance._audit_before = _values(sender, instance.pk) if stored else NOTHING


def _after_save(sender, instance, created=False, raw=False, **kwargs):
    before = instance.__dict__.pop("_audit_before", None)
    if before is None:
        return
    request = current_request()
    target = f"{instance.get_username()}（#{instance.pk}）"
    if instance.role != before["role"]:
        services.record(
            request,
            Entry.Action.ROLE_CHANGE,
            target=target,
            details={
                "user_id": instance.pk,
                "old": before["role"],
                "new": instance.role,
            },
        )
    if instance.unit_id != before["unit"]:
        new_name = _values(sender, instance.pk)["unit__name"]
        services.record(
            request,
            Entry.Action.UNIT_CHANGE,
            target=target,
            details={
                "user_id": instance.pk,
                "old": before["unit"],
                "old_name": before["unit__name"],
                "new": instance.unit_id,
                "new_name": new_name,
            },
        )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="audit_login")
    user_login_failed.connect(_login_failed, dispatch_uid="audit_login_failed")
    model = settings.AUTH_USER_MODEL
    pre_save.connect(_before_save, sender=model, dispatch_uid="audit_user_before")
    post_save.connect(_after_save, sender=model, dispatch_uid="audit_user_after")
