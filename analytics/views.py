"""The statistics pages (统计分析, issue 21): 挂职结构, 工作成效, 干部交流.
Org staff and admins (cadres.policy), every query from the user's scope."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

import audit
from cadres.models import Role, Unit
from guazhi.excel import xlsx_response
from guazhi.forms import apply_errors
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import page_context, paginate
from postings.forms import PostingFilterForm
from postings.models import Posting, cadres_visible_to

from . import effect, exports, services, structure
from .forms import ExchangeFilterForm, ExchangeForm, StatsFilterForm
from .models import ExchangeRecord


def _charts(tables) -> list[dict]:
    return [table.chart_data() for table in tables if table.chart and table.rows]


def _structure(request: AuthenticatedHttpRequest):
    user, today = request.user, timezone.localdate()
    form = StatsFilterForm(request.GET or None, user=user)
    params = form.params()
    data = QueryDict(urlencode(params))
    postings = PostingFilterForm(data, user=user).filter(
        Posting.objects.visible_to(user), today=today
    )
    root = form.values()["within"]
    if root is None and user.role == Role.ORG_STAFF:
        root = user.unit
    stats = structure.build(postings, params=params, root=root, today=today)
    return form, params, stats


def structure_page(request: AuthenticatedHttpRequest):
    form, params, stats = _structure(request)
    return render(
        request,
        "analytics/structure.html",
        {
            "form": form,
            "stats": stats,
            "charts": _charts(stats.tables),
            "query": urlencode(params),
            "total_url": structure.Links(params).url(),
            "year_links": _year_links(request, stats.years),
        },
    )


def _year_links(request, years: list[int]) -> list[tuple[int, str]]:
    """Links that set the year filter, keeping the others."""
    query = request.GET.copy()
    out = []
    for year in years:
        for name in ("year", "start_from", "start_to"):
            query.pop(name, None)
        query["year"] = str(year)
        out.append((year, f"?{query.urlencode()}"))
    return out


def structure_export(request: AuthenticatedHttpRequest):
    _form, params, stats = _structure(request)
    body = exports.workbook(stats.tables)
    audit.record(
        request,
        "export",
        target=_("挂职结构统计"),
        details={"filters": audit.query_of(request)},
        rows=stats.total,
    )
    return xlsx_response(body, _stamped(_("挂职结构统计")))


def _stamped(name: str) -> str:
    return f"{name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


def _effect(request: AuthenticatedHttpRequest):
    user, today = request.user, timezone.localdate()
    form = StatsFilterForm(request.GET or None, user=user)
    sel = effect.selection(user, form.params(), today)
    return form, sel, effect.build(sel, today)


def effect_page(request: AuthenticatedHttpRequest):
    form, sel, tables = _effect(request)
    return render(
        request,
        "analytics/effect.html",
        {
            "form": form,
            "tables": tables,
            "charts": _charts(tables),
            "query": urlencode(sel.params),
        },
    )


def effect_export(request: AuthenticatedHttpRequest):
    _form, _sel, tables = _effect(request)
    body = exports.workbook(tables)
    audit.record(
        request,
        "export",
        target=_("工作成效统计"),
        details={"filters": audit.query_of(request)},
        rows=sum(len(table.rows) for table in tables),
    )
    return xlsx_response(body, _stamped(_("工作成效统计")))


def _picked(request, kind: effect.RecordKind) -> dict:
    """The record list's own filters; a value it cannot read is no filter."""
    picked = {}
    for name in kind.fields:
        value = request.GET.get(name, "")
        if name in ("round", "rank"):
            value = value if value.isdigit() else ""
        if value:
            picked[name] = value
    return picked


def record_list(request: AuthenticatedHttpRequest):
    # A kind it cannot read is the first kind, as a bad filter is no filter.
    kind = effect.RECORD_KINDS.get(request.GET.get("what", ""))
    kind = kind or next(iter(effect.RECORD_KINDS.values()))
    user, today = request.user, timezone.localdate()
    form = StatsFilterForm(request.GET, user=user)
    sel = effect.selection(user, form.params(), today)
    qs = effect.records(kind, sel, _picked(request, kind))
    qs = qs.select_related("posting__cadre", "posting__receiving_unit")
    if kind.key == "assessment":
        qs = qs.select_related("round")
    page = paginate(request, qs.order_by("-pk"))
    page.object_list = [exports.record_row(kind.key, r) for r in page.object_list]
    return render(
        request,
        "analytics/record_list.html",
        {
            "kind": kind,
            "head": exports.RECORD_HEADS[kind.key],
            **page_context(request, page),
        },
    )


# --- Exchange (干部交流, rule 13) ----------------------------------------------


def _exchange(request: AuthenticatedHttpRequest):
    user, today = request.user, timezone.localdate()
    form = ExchangeFilterForm(request.GET or None, user=user)
    values = form.values(today)
    # Rule 13 is about a jurisdiction's own cadre force: the cadres whose
    # unit lies in it (a cadre another county merely hosts is counted there,
    # not here, so that the counties' numbers add up to the city's).
    cadres = cadres_visible_to(user)
    home = values["within"] or (user.unit if user.role != Role.ADMIN else None)
    if home is not None:
        cadres = cadres.filter(unit__in=Unit.objects.subtree(home).values("pk"))
    sets = services.exchange_sets(
        cadres=cadres, year=values["year"], reference=values["reference"]
    )
    query = [("year", str(values["year"])), ("reference", str(values["reference"]))]
    if values["within"]:
        query.append(("within", str(values["within"].pk)))
    return form, sets, query


def exchange_page(request: AuthenticatedHttpRequest):
    form, sets, query = _exchange(request)
    rows = services.exchange_report(sets)
    names = reverse("analytics:exchange_names")

    def url(which: str, category: str) -> str:
        return f"{names}?{urlencode([*query, ('set', which), ('category', category)])}"

    lines = [
        (row, {w: url(w, row.category.key) for w in services.EXCHANGE_LISTS})
        for row in rows
    ]
    return render(
        request,
        "analytics/exchange.html",
        {
            "form": form,
            "sets": sets,
            "lines": lines,
            "seed": services.SEED,
            "query": urlencode(query),
            "charts": [exports.exchange_chart(rows)],
        },
    )


def exchange_export(request: AuthenticatedHttpRequest):
    _form, sets, _query = _exchange(request)
    rows = services.exchange_report(sets)
    body = exports.exchange_workbook(sets, rows)
    audit.record(
        request,
        "export",
        target=_("干部交流统计"),
        details={"filters": audit.query_of(request)},
        rows=sum(row.eligible for row in rows),
    )
    return xlsx_response(body, _stamped(_("干部交流统计")))


def exchange_names(request: AuthenticatedHttpRequest):
    _form, sets, _query = _exchange(request)
    which = request.GET.get("set", "")
    which = which if which in services.EXCHANGE_LISTS else "staying"
    category = request.GET.get("category", "")
    qs = services.exchange_list(sets, which, category)
    if which == "exchanged":
        qs = qs.select_related("cadre", "from_unit", "to_unit").order_by("-on", "-pk")
    else:
        qs = qs.select_related("unit").order_by("position_since", "pk")
    page = paginate(request, qs)
    labels = {c.key: c.label for c in services.CATEGORIES}
    return render(
        request,
        "analytics/exchange_names.html",
        {
            "which": which,
            "category": labels.get(category, ""),
            "sets": sets,
            **page_context(request, page),
        },
    )


@require_http_methods(["GET", "POST"])
def exchange_create(request: AuthenticatedHttpRequest):
    form = ExchangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.exchange_record(**data, by=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已记录干部交流。"))
            return redirect(record.get_absolute_url())
    return render(request, "analytics/exchange_form.html", {"form": form})


def exchange_history(request: AuthenticatedHttpRequest, pk: int):
    cadre = get_object_or_404(cadres_visible_to(request.user), pk=pk)
    records = (
        ExchangeRecord.objects.visible_to(request.user)
        .filter(cadre=cadre)
        .select_related("from_unit", "to_unit", "created_by")
    )
    return render(
        request,
        "analytics/exchange_history.html",
        {"cadre": cadre, "records": records},
    )
