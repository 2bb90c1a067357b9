"""The audit trail of what leaves the building (issue 16): exports, attachment
downloads, searches by ID number, logins and failed logins, changes of a
user's role or unit; who, when, from which address.

At the bottom of the apps: it imports none of them. The apps call `record`
where the action happens (views and services); logins and user changes are
caught by signals (audit.signals), whatever code path makes them.
"""

from django.http import HttpRequest


def record(
    request: HttpRequest | None,
    action: str,
    *,
    target: str = "",
    details: dict | None = None,
    rows: int | None = None,
    username: str | None = None,
):
    """Write one audit row (audit.services.record); `action` is one of
    audit.models.Entry.Action's values."""
    # Imported here: the package is imported before the app registry is ready.
    from .services import record as write

    return write(
        request, action, target=target, details=details, rows=rows, username=username
    )


def query_of(request: HttpRequest) -> dict:
    """The request's query parameters as a dict (an export's filters): one
    value as itself, several as a list."""
    return {
        key: values[0] if len(values) == 1 else values
        for key, values in request.GET.lists()
    }
