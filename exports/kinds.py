"""The exports that may run in the background: how each rebuilds, from the
user and the list's query parameters, exactly the rows its page exported."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from assessment import exports as assessment_exports
from assessment import views_results
from audit.admin import AUDIT_TITLE, EntryAdmin, entry_sheet
from audit.models import Entry
from cadres import idcard
from cadres.forms import CadreFilterForm
from guazhi.excel import Sheet
from portal import compliance
from portal import exports as portal_exports
from portal.forms import ComplianceFilterForm, ObligationFilterForm
from portal.views import filtered_cadres
from portal.views_obligations import note_matrix, overdue_obligations, overdue_sheets
from postings import exports as posting_exports
from postings.forms import PostingFilterForm
from postings.views import filtered_postings

from .models import CUTOFF


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # the file name's stem and the audit trail's target
    sheets: Callable[[HttpRequest], list[Sheet]]
    # Beyond the scope (services.in_scope): whether the user may still have
    # this kind at all, asked when the job runs and before its download.
    allowed: Callable[[HttpRequest], bool] = lambda request: True
    # What of the query decides the rows and their order (name -> value): the
    # same request however spelt (empty or unknown parameters, the page)
    # joins the job that runs (services.export_job_queue).
    reads: Callable[[QueryDict], dict] = lambda query: dict(query.lists())
    # Taken when the job is queued and handed to `sheets` as `cutoff=`: where
    # a list that grows while the job waits ends (the audit trail).
    cutoff: Callable[[], int] | None = None


def _form_reads(form_class, *, sort: bool) -> Callable[[QueryDict], dict]:
    """What a list's filter form reads of the query, as its widgets read it,
    empty values dropped; and the sort, if it orders the file."""

    def reads(query: QueryDict) -> dict:
        read = {}
        for name, field in form_class.base_fields.items():
            value = field.widget.value_from_datadict(query, {}, name)
            if isinstance(value, list | tuple):
                value = sorted({v.strip() for v in value if v and v.strip()})
            elif isinstance(value, str):
                value = value.strip()
            if value not in ("", None, [], False):
                read[name] = value
        if sort and (order := query.get("sort", "").strip()):
            read["sort"] = order
        return read

    return reads


def _admin_reads(query: QueryDict) -> dict:
    """What the audit admin's list reads: every parameter but its page and
    error flag (an unknown one is refused before a job is queued)."""
    read = {
        name: values
        for name, values in query.lists()
        if name not in (PAGE_VAR, ALL_VAR, ERROR_FLAG)
    }
    if not "".join(read.get("q", [])).strip():  # an empty search is none
        read.pop("q", None)
    return read


def _roster(request) -> list[Sheet]:
    _form, qs, _sort = filtered_postings(request)
    return [posting_exports.roster_sheet(qs)]


def _cadres(request) -> list[Sheet]:
    _form, qs, _sort = filtered_cadres(request)
    shown = idcard.shown_to(request.user)
    return [portal_exports.cadre_sheet(qs, shown=shown)]


def _overdue(request) -> list[Sheet]:
    _form, qs, today = overdue_obligations(request)
    return overdue_sheets(qs, today)


def _compliance(request) -> list[Sheet]:
    _form, months, postings, today = note_matrix(request)
    return compliance.matrix_sheets(request.user, postings, months, today)


def _round_reads(query: QueryDict) -> dict:
    """The round (from the URL's path, services.queue_for) and its cohort."""
    return {"round": query.get("round", ""), "cohort": views_results.cohort_of(query)}


def _round(request) -> list[Sheet]:
    """The round's results as its page exported them, if the round is still
    the requester's to see when the job runs (as its page would 404)."""
    pk = request.GET.get("round", "")
    round_ = views_results.round_in_scope(request.user, pk) if pk.isdigit() else None
    if round_ is None:
        raise PermissionDenied(_("考核轮次不存在或不在您的数据范围内，未导出。"))
    context = views_results.results_context(
        round_, views_results.cohort_of(request.GET), request.user
    )
    return views_results.export_sheets(context)


def _audit_allowed(request) -> bool:
    """The admin's own checks (admin_view, has_view_permission), asked again."""
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and EntryAdmin(Entry, admin.site).has_view_permission(request)
    )


def _last_entry() -> int:
    return Entry.objects.aggregate(last=Max("pk"))["last"] or 0


def _audit(request, *, cutoff: int | None = None) -> list[Sheet]:
    """The trail as the admin's list filtered it, up to the last entry when
    the job was queued (as the page's own file ends before its export's
    record), if the requester still may read it when the job runs."""
    if not _audit_allowed(request):
        raise PermissionDenied(_("已无查看审计日志的权限，未导出。"))
    try:
        entries = EntryAdmin(Entry, admin.site).exported_entries(request)
    except IncorrectLookupParameters as exc:  # the page refuses them first
        raise ValidationError(_("筛选条件无效，未导出。")) from exc
    if cutoff is not None:
        entries = entries.filter(pk__lte=cutoff)
    return [entry_sheet(entries)]


KINDS = {
    "roster": Kind(
        "roster",
        posting_exports.ROSTER_TITLE,
        _roster,
        reads=_form_reads(PostingFilterForm, sort=True),
    ),
    "cadres": Kind(
        "cadres",
        portal_exports.CADRE_LIST_TITLE,
        _cadres,
        reads=_form_reads(CadreFilterForm, sort=True),
    ),
    # The overdue file has an order of its own (portal.views_obligations).
    "overdue": Kind(
        "overdue",
        portal_exports.OVERDUE_TITLE,
        _overdue,
        reads=_form_reads(ObligationFilterForm, sort=False),
    ),
    # The matrix's rows are every posting filtered, in a fixed order.
    "compliance": Kind(
        "compliance",
        compliance.NOTE_COMPLIANCE_TITLE,
        _compliance,
        reads=_form_reads(ComplianceFilterForm, sort=False),
    ),
    # The export ranks its rows itself (no sort); the round is the URL's.
    "round": Kind(
        "round",
        assessment_exports.ROUND_TITLE,
        _round,
        reads=_round_reads,
    ),
    "audit": Kind(
        "audit",
        AUDIT_TITLE,
        _audit,
        _audit_allowed,
        reads=_admin_reads,
        cutoff=_last_entry,
    ),
}


def query_of(parameters: dict) -> QueryDict:
    """The page's query parameters (name -> values) as the page had them,
    without the job's own (CUTOFF)."""
    query = QueryDict(mutable=True)
    for name, values in parameters.items():
        if name != CUTOFF:
            query.setlist(name, values if isinstance(values, list) else [values])
    query._mutable = False
    return query


def request_for(user, parameters: dict) -> HttpRequest:
    """A GET request of `user` with the page's query parameters: the views'
    own filter functions read it as they read the page's."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = query_of(parameters)
    request.user = user
    return request


def sheets_of(kind: str, user, parameters: dict) -> list[Sheet]:
    """The sheets of a job of export `kind` of `user` with `parameters`."""
    found = KINDS[kind]
    request = request_for(user, parameters)
    if found.cutoff is None:
        return found.sheets(request)
    return found.sheets(request, cutoff=parameters.get(CUTOFF))
