"""Writing the trail, and the retention purge."""

import datetime as dt
import ipaddress

from constance import config
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from guazhi.http import client_address

from .models import Entry

# The transaction-local setting that marks the purge to the PostgreSQL
# trigger (migration 0002); a name with a dot, as custom settings need.
PURGE_MARK = "guazhi.audit_purge"


def _address(request: HttpRequest | None) -> str | None:
    """The client's address (guazhi.http.client_address), None if there is
    no request or what it holds is not an address (a Unix socket's "")."""
    if request is None:
        return None
    try:
        return ipaddress.ip_address(client_address(request)).compressed
    except ValueError:
        return None


def record(
    request: HttpRequest | None,
    action: str,
    *,
    target: str = "",
    details: dict | None = None,
    rows: int | None = None,
    username: str | None = None,
    user=None,
) -> Entry:
    """One audit row: who (`user`, else the request's user), when, from which
    address, which page, what. `username` names whoever is not signed in (a
    failed login). Written at once, in the request's transaction: what is
    undone (a rolled-back change) leaves no row, what was done always does."""
    if action not in Entry.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if user is None:
        user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    if username is None:
        username = actor.get_username() if actor else ""
    match = getattr(request, "resolver_match", None)
    return Entry.objects.create(
        action=action,
        user=actor,
        username=username[:150],
        address=_address(request),
        view=(match.view_name if match else "")[:100],
        target=str(target)[:200],
        details=details or {},
        rows=rows,
    )


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Rows written before this moment are past the retention period
    (the AUDIT_RETENTION_DAYS setting)."""
    return (now or timezone.now()) - dt.timedelta(days=config.AUDIT_RETENTION_DAYS)


@transaction.atomic
def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Remove the rows past the retention period; the number removed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_MARK])
    return Entry.objects.filter(at__lt=retention_cutoff(now)).purge()
