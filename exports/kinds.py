"""The exports that may run in the background: how each rebuilds, from the
user and the list's query parameters, exactly the rows its page exported."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, QueryDict

from cadres import idcard
from guazhi.excel import Sheet
from portal import exports as portal_exports
from portal.views import filtered_cadres
from postings import exports as posting_exports
from postings.views import filtered_postings


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # the file name's stem and the audit trail's target
    sheets: Callable[[HttpRequest], list[Sheet]]


def _roster(request) -> list[Sheet]:
    _form, qs, _sort = filtered_postings(request)
    return [posting_exports.roster_sheet(qs)]


def _cadres(request) -> list[Sheet]:
    _form, qs, _sort = filtered_cadres(request)
    shown = idcard.shown_to(request.user)
    return [portal_exports.cadre_sheet(qs, shown=shown)]


KINDS = {
    "roster": Kind("roster", posting_exports.ROSTER_TITLE, _roster),
    "cadres": Kind("cadres", portal_exports.CADRE_LIST_TITLE, _cadres),
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
