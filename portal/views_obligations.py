"""The obligations pages: the list (filterable, org staff waive from it), the
monthly-note compliance matrix with its export, and the jurisdiction's share
met on time by kind and month. Every query starts from a scope."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Min
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

import audit
from cadres.models import Role
from guazhi.dates import add_months
from guazhi.excel import Sheet, build_sheets, in_background, xlsx_response
from guazhi.forms import apply_errors
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import (
    columns,
    page_context,
    paginate,
    querystring,
    sorted_queryset,
)
from obligations import services as obligation_services
from obligations.models import Obligation, Shown, shown_q
from postings.models import Posting

from . import compliance, duties, exports
from .forms import ComplianceFilterForm, ObligationFilterForm, RegionForm, WaiveForm

SORTS = {
    "due": "due_on",
    "kind": "kind",
    "cadre": "posting__cadre__name",
    "unit": "unit__name",
}


def filter_obligations(qs, values: dict, *, user, today: dt.date):
    """The list's filters (ObligationFilterForm.values()) applied to `qs`."""
    if values["mine"]:
        qs = qs.owed_by_user(user)
    for name in ("kind", "owed_by", "unit"):
        if values[name]:
            qs = qs.filter(**{name: values[name]})
    if values["region"]:
        qs = qs.filter(Posting.in_subtree_q(values["region"], prefix="posting__"))
    if values["batch"]:
        qs = qs.filter(posting__batch=values["batch"])
    if values["status"]:
        qs = qs.filter(shown_q(values["status"], today))
    if month := values["due_month"]:
        qs = qs.filter(due_on__gte=month, due_on__lt=add_months(month, 1))
    # The statistics pages' filters (analytics): the posting's kind, due dates.
    if values.get("posting_kind"):
        qs = qs.filter(posting__kind=values["posting_kind"])
    if values.get("due_from"):
        qs = qs.filter(due_on__gte=values["due_from"])
    if values.get("due_to"):
        qs = qs.filter(due_on__lte=values["due_to"])
    return qs


def obligation_list(request: AuthenticatedHttpRequest):
    user, today = request.user, timezone.localdate()
    form = ObligationFilterForm(
        request.GET or None,
        user=user,
        kinds=duties.kind_choices(),
        statuses=duties.SHOWN_CHOICES,
    )
    qs = filter_obligations(
        Obligation.objects.visible_to(user), form.values(), user=user, today=today
    )
    qs, sort = sorted_queryset(request, qs, SORTS, "due")
    page = paginate(request, qs.select_related(*duties.ROW_RELATED))
    page.object_list = duties.rows(page.object_list, user, today)
    head = [
        (_("事项"), "kind"),
        (_("干部"), "cadre"),
        (_("期间"), ""),
        (_("责任方"), ""),
        (_("单位"), "unit"),
        (_("应完成日期"), "due"),
        (_("状态"), ""),
        (_("办理"), ""),
    ]
    return render(
        request,
        "obligations/obligation_list.html",
        {
            "form": form,
            "columns": columns(request, head, sort),
            "may_waive": user.role == Role.ORG_STAFF,
            "waive_form": WaiveForm(),
            "here": request.get_full_path(),
            "export_query": querystring(request, page=None, sort=None),
            **page_context(request, page),
        },
    )


@require_http_methods(["GET", "POST"])
def obligation_waive(request: AuthenticatedHttpRequest, pk: int):
    """免除: org staff waive an open obligation in scope, with a reason."""
    obligation = get_object_or_404(
        Obligation.objects.visible_to(request.user).select_related("posting__cadre"),
        pk=pk,
    )
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    back = back or reverse("obligations:list")
    form = WaiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obligation_services.waive(
                obligation=obligation,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已免除该事项。"))
            return redirect(back)
    label = dict(duties.kind_choices()).get(obligation.kind, obligation.kind)
    return render(
        request,
        "obligations/waive.html",
        {
            "form": form,
            "title": _("免除：%(cadre)s · %(kind)s")
            % {"cadre": obligation.posting.cadre.name, "kind": label},
            "obligation": obligation,
            "due_on": obligation.due_on,
            "next": back,
            "cancel_url": back,
        },
    )


def note_matrix(request: AuthenticatedHttpRequest):
    """The filter form, the months shown, the postings in the user's scope
    under the filters (in the matrix's order) and today: the page, its export
    and the export's background job (exports.kinds) read the same rows."""
    user, today = request.user, timezone.localdate()
    form = ComplianceFilterForm(request.GET or None, user=user)
    values = form.values()
    months = compliance.window(values["end"], today)
    postings = compliance.note_postings(
        user, months, unit=values["unit"], batch=values["batch"]
    ).order_by("receiving_unit__path", "cadre__name", "pk")
    return form, months, postings, today


def note_compliance(request: AuthenticatedHttpRequest):
    form, months, postings, today = note_matrix(request)
    user = request.user
    page = paginate(request, postings.values_list("pk", flat=True))
    rows = compliance.matrix_rows(
        user, postings.filter(pk__in=list(page.object_list)), months, today
    )
    return render(
        request,
        "obligations/note_compliance.html",
        {
            "form": form,
            "months": months,
            "rows": rows,
            "rates": compliance.unit_rates(user, postings, months, today),
            "legend": [
                (state, compliance.CELL_LABELS[state])
                for state in compliance.CELL_LABELS
            ],
            "export_query": request.GET.urlencode(),
            **page_context(request, page),
        },
    )


def note_compliance_export(request: AuthenticatedHttpRequest):
    """The matrix under the page's filters, every posting in scope (not one
    page), with the rates per unit. A large one is made in the background
    (guazhi.excel.in_background)."""
    _form, months, postings, today = note_matrix(request)
    rows = postings.count()
    if queued := in_background(request, "compliance", rows):
        return queued
    data = build_sheets(compliance.matrix_sheets(request.user, postings, months, today))
    audit.record(
        request,
        "export",
        target=compliance.NOTE_COMPLIANCE_TITLE,
        details={"filters": audit.query_of(request)},
        rows=rows,
    )
    return xlsx_response(
        data,
        f"{compliance.NOTE_COMPLIANCE_TITLE}{months[0]:%Y%m}-{months[-1]:%Y%m}.xlsx",
    )


def overdue_obligations(request: AuthenticatedHttpRequest):
    """The list's filter form, the overdue obligations in the user's scope
    under its filters, and the day they are overdue on: the export and its
    background job (exports.kinds) read the same rows."""
    user, today = request.user, timezone.localdate()
    form = ObligationFilterForm(
        request.GET or None,
        user=user,
        kinds=duties.kind_choices(),
        statuses=duties.SHOWN_CHOICES,
    )
    qs = filter_obligations(
        Obligation.objects.visible_to(user), form.values(), user=user, today=today
    ).filter(shown_q(Shown.OVERDUE, today))
    return form, qs, today


def overdue_sheets(qs, today: dt.date) -> list[Sheet]:
    """The overdue export's sheets: by owing unit and kind, then one by one."""
    groups = (
        qs.order_by()
        .values_list("unit__name", "kind")
        .annotate(n=Count("pk"), oldest=Min("due_on"))
        .order_by("unit__path", "kind")
    )
    details = qs.order_by("unit__path", "kind", "due_on", "pk").values_list(
        "kind", "posting__cadre__name", "owed_by", "unit__name", "due_on"
    )
    return exports.overdue_sheets(
        groups.iterator(),
        details.iterator(chunk_size=2000),
        kinds={key: str(label) for key, label in duties.kind_choices()},
        roles={value: str(label) for value, label in Role.choices},
        today=today,
    )


def overdue_export(request: AuthenticatedHttpRequest):
    """The overdue obligations under the list's filters, by owing unit and
    kind, with the list of them; only what the user may see. A large one is
    made in the background (guazhi.excel.in_background)."""
    form, qs, today = overdue_obligations(request)
    if form.has_error("due_month"):  # the list shows why and lists without it
        messages.error(request, _("应完成月份无效，未导出。"))
        return redirect(f"{reverse('obligations:list')}?{request.GET.urlencode()}")
    rows = qs.count()
    if queued := in_background(request, "overdue", rows):
        return queued
    data = build_sheets(overdue_sheets(qs, today))
    audit.record(
        request,
        "export",
        target=exports.OVERDUE_TITLE,
        details={"filters": audit.query_of(request)},
        rows=rows,
    )
    return xlsx_response(data, f"{exports.OVERDUE_TITLE}-{today:%Y%m%d}.xlsx")


def jurisdiction_compliance(request: AuthenticatedHttpRequest):
    """The share of obligations met on time, by kind and due month, in the
    user's jurisdiction or a region of it (the postings there)."""
    today = timezone.localdate()
    form = RegionForm(request.GET or None, user=request.user)
    months = compliance.window(today.replace(day=1), today)
    table = compliance.share_table(
        request.user,
        months,
        today,
        reverse("obligations:list"),
        region=form.chosen_region(),
    )
    rows = [
        (label, [table[key].get(m) for m in months])
        for key, label in duties.kind_choices()
        if key in table
    ]
    return render(
        request,
        "obligations/compliance.html",
        {"form": form, "months": months, "rows": rows},
    )
