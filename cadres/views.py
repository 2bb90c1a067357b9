from functools import partial

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import columns, page_context, paginate, sorted_queryset
from postings.models import Posting

from . import services
from .forms import CadreFilterForm, CadreForm, MonthlyNoteForm, units_for
from .models import Cadre, MonthlyNote

CADRE_SORTS = {
    "name": "name",
    "unit": "unit__path",
    "rank": "rank",
    "birth": "birth_date",
}


def cadre_list(request: AuthenticatedHttpRequest):
    scoped = Cadre.objects.visible_to(request.user).select_related("unit")
    form = CadreFilterForm(request.GET or None, user=request.user)
    qs, sort = sorted_queryset(request, form.filter(scoped), CADRE_SORTS, "name")
    page = paginate(request, qs)
    head = [
        (_("姓名"), "name"),
        (_("身份证号"), ""),
        (_("性别"), ""),
        (_("出生日期"), "birth"),
        (_("所在单位"), "unit"),
        (_("现任职务"), ""),
        (_("职级"), "rank"),
        (_("后备"), ""),
    ]
    rows = [(c, c.id_number_for(request.user)) for c in page]
    return render(
        request,
        "cadres/cadre_list.html",
        {
            "form": form,
            "rows": rows,
            "columns": columns(request, head, sort),
            **page_context(request, page),
        },
    )


@require_http_methods(["GET", "POST"])
def cadre_create(request: AuthenticatedHttpRequest):
    form = CadreForm(request.POST or None, user=request.user)
    if cadre := submit(request, form, services.cadre_create):
        messages.success(request, _("已登记干部 %(name)s。") % {"name": cadre.name})
        return redirect(cadre)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("登记干部"), "cancel_url": reverse("cadres:list")},
    )


def cadre_detail(request: AuthenticatedHttpRequest, pk: int):
    cadre = get_object_or_404(
        Cadre.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    postings = (
        Posting.objects.visible_to(request.user)
        .filter(cadre=cadre)
        .select_related("sending_unit", "receiving_unit")
        .annotate(note_count=Count("monthly_notes"))
    )
    return render(
        request,
        "cadres/cadre_detail.html",
        {
            "cadre": cadre,
            "id_number": cadre.id_number_for(request.user),
            "postings": postings,
        },
    )


@require_http_methods(["GET", "POST"])
def cadre_edit(request: AuthenticatedHttpRequest, pk: int):
    cadre = get_object_or_404(Cadre.objects.visible_to(request.user), pk=pk)
    form = CadreForm(request.POST or None, instance=cadre, user=request.user)
    if submit(request, form, partial(services.cadre_update, cadre=cadre)):
        messages.success(request, _("已保存。"))
        return redirect(cadre)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("修改干部信息"),
            "cancel_url": cadre.get_absolute_url(),
        },
    )


def unit_tree(request: AuthenticatedHttpRequest):
    units = units_for(request.user).annotate(
        cadre_count=Count("cadres", distinct=True),
        hosted=Count(
            "received_postings",
            filter=Q(received_postings__status="active"),
            distinct=True,
        ),
    )
    base = min((u.depth for u in units), default=0)
    return render(
        request, "cadres/unit_tree.html", {"units": units, "base_depth": base}
    )


NOTE_SORTS = {
    "month": "month",
    "cadre": "posting__cadre__name",
    "unit": "posting__receiving_unit__name",
}


def note_list(request: AuthenticatedHttpRequest):
    qs = MonthlyNote.objects.visible_to(request.user).select_related(
        "posting__cadre", "posting__receiving_unit", "author"
    )
    if month := request.GET.get("month"):
        qs = (
            qs.filter(month__year=month[:4], month__month=month[5:7])
            if len(month) == 7
            else qs
        )
    qs, sort = sorted_queryset(request, qs, NOTE_SORTS, "-month")
    page = paginate(request, qs)
    head = [
        (_("月份"), "month"),
        (_("干部"), "cadre"),
        (_("接收单位"), "unit"),
        (_("出勤"), ""),
        (_("缺勤"), ""),
        (_("请假"), ""),
        (_("填报人"), ""),
    ]
    return render(
        request,
        "cadres/monthlynote_list.html",
        {
            "notes": page,
            "columns": columns(request, head, sort),
            "month": month or "",
            **page_context(request, page),
        },
    )


def _hosted_posting(request: AuthenticatedHttpRequest, posting_pk: int) -> Posting:
    return get_object_or_404(
        Posting.objects.visible_to(request.user).select_related(
            "cadre", "receiving_unit"
        ),
        pk=posting_pk,
    )


@require_http_methods(["GET", "POST"])
def note_create(request: AuthenticatedHttpRequest, posting_pk: int):
    posting = _hosted_posting(request, posting_pk)
    form = MonthlyNoteForm(request.POST or None)
    file_note = partial(
        services.monthly_note_file, posting=posting, author=request.user
    )
    if submit(request, form, file_note):
        messages.success(request, _("月小结已提交。"))
        return redirect(posting)
    return render(
        request,
        "cadres/monthlynote_form.html",
        {
            "form": form,
            "posting": posting,
            "title": _("填报月小结"),
            "cancel_url": posting.get_absolute_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def note_edit(request: AuthenticatedHttpRequest, pk: int):
    note = get_object_or_404(
        MonthlyNote.objects.visible_to(request.user).select_related(
            "posting__cadre", "posting__receiving_unit"
        ),
        pk=pk,
    )
    form = MonthlyNoteForm(request.POST or None, instance=note)
    if submit(request, form, partial(services.monthly_note_update, note=note)):
        messages.success(request, _("月小结已更新。"))
        return redirect(note.posting)
    return render(
        request,
        "cadres/monthlynote_form.html",
        {
            "form": form,
            "posting": note.posting,
            "title": _("修改月小结"),
            "cancel_url": note.posting.get_absolute_url(),
        },
    )
