"""The exports that may run in the background: how each rebuilds, from the
user and the list's query parameters, exactly the rows its page exported."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from audit.admin import AUDIT_TITLE, EntryAdmin, entry_sheet
from audit.models import Entry
from cadres import idcard
from guazhi.excel import Sheet
from portal import exports as portal_exports
from portal.views import filtered_cadres
from portal.views_obligations import overdue_obligations, overdue_sheets
from postings import exports as posting_exports
from postings.views import filtered_postings


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # the file name's stem and the audit trail's target
    sheets: Callable[[HttpRequest], list[Sheet]]
    # Beyond the scope (services.in_scope): whether the user may still have
    # this kind at all, asked when the job runs and before its download.
    allowed: Callable[[HttpRequest], bool] = lambda request: True


def _roster(request) -> list[Sheet]:
    _form, qs, _sort = filtered_postings(request)
    return [posting_exports.roster_sheet(qs)]


def _cadres(request) -> list[Sheet]:
    _form, qs, _sort = filtered_cadres(request)
    shown = idcard.shown_to(request.user)
    return [portal_exports.cadre_sheet(qs, shown=shown)]


def _overdue(request) -> list[Sheet]:
    qs, today = overdue_obligations(request)
    return overdue_sheets(qs, today)


def _audit_allowed(request) -> bool:
    """The admin's own checks (admin_view, has_view_permission), asked again."""
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and EntryAdmin(Entry, admin.site).has_view_permission(request)
    )


def _audit(request) -> list[Sheet]:
    """The trail as the admin's list filtered it, if the requester still may
    read it when the job runs."""
    if not _audit_allowed(request):
        raise PermissionDenied(_("已无查看审计日志的权限，未导出。"))
    entries = EntryAdmin(Entry, admin.site)
    # IncorrectLookupParameters cannot happen here: the page checked the
    # same filters before it queued the job.
    return [entry_sheet(entries.exported_entries(request))]


KINDS = {
    "roster": Kind("roster", posting_exports.ROSTER_TITLE, _roster),
    "cadres": Kind("cadres", portal_exports.CADRE_LIST_TITLE, _cadres),
    "overdue": Kind("overdue", portal_exports.OVERDUE_TITLE, _overdue),
    "audit": Kind("audit", AUDIT_TITLE, _audit, _audit_allowed),
}


def request_for(user, parameters: dict) -> HttpRequest:
    """A GET request of `user` with the page's query parameters: the views'
    own filter functions read it as they read the page's."""
    request = HttpRequest()
    request.method = "GET"
    query = QueryDict(mutable=True)
    for name, values in parameters.items():
        query.setlist(name, values if isinstance(values, list) else [values])
    query._mutable = False
    request.GET = query
    request.user = user
    return request
