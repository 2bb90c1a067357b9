"""Views: 考核方案 (templates with versions) and 考核轮次 (rounds)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import columns, page_context, paginate, sorted_queryset, status_tabs
from guazhi.queries import correlated_count
from postings.models import Posting

from . import services
from .config import Rules
from .forms_rounds import (
    RoundCloseForm,
    RoundEditForm,
    RoundFilterForm,
    RoundForm,
    RoundTransitionForm,
    TemplateForm,
    TemplateReviseForm,
)
from .models import (
    GRADE_ORDER,
    Assessment,
    BallotCode,
    Dimension,
    Evaluation,
    Grade,
    Round,
    Source,
    Template,
)

# --- Templates (考核方案) -------------------------------------------------------


def _rules_rows(config: dict) -> list[tuple[str, str, str]]:
    """A version's rules as (section, item, value) rows in plain words."""
    r = Rules(config)
    rows = []
    section = _("维度权重")
    for code, label in Dimension.choices:
        rows.append((section, str(label), f"{r.dimension_weights.get(code, 0)}%"))
        items = r.indicators.get(code)
        if items:
            rows.append(
                (
                    section,
                    _("%(dim)s · 量化指标") % {"dim": label},
                    "；".join(f"{i['name']} {i['points']}分" for i in items),
                )
            )
    section = _("评价来源权重")
    sources = config.get("sources", {})
    for source in Source:
        weight = sources.get(source.value, 0)
        rows.append(
            (section, str(source.label), f"{weight}%" if weight else _("不计分"))
        )
    section = _("民主测评票面分值")
    for code, points in r.ballot_points.items():
        rows.append((section, str(Grade(code).label), _("%(n)d分") % {"n": points}))
    section = _("等次分数线")
    for code, score in r.thresholds.items():
        rows.append((section, str(Grade(code).label), _("≥%(n)d分") % {"n": score}))
    rows.append((section, str(Grade.INCOMPETENT.label), _("低于基本称职分数线")))
    section = _("预警封顶")
    caps = r.caps
    for level, label in (("red", _("红色预警")), ("yellow", _("黄色预警"))):
        cap = caps.get(level)
        value = _("最高评为%(g)s") % {"g": Grade(cap).label} if cap else _("不封顶")
        rows.append((section, label, value))
    section = _("其他")
    quota = r.excellent_quota_pct
    rows.append(
        (
            section,
            _("优秀比例上限"),
            _("不超过%(n)d%%") % {"n": quota} if quota else _("不限"),
        )
    )
    if quota:
        rows.append((section, _("优秀名额计算"), r.quota_rule_text()))
    rows.append(
        (
            section,
            _("去掉一个最高分和一个最低分"),
            _("是（某类测评人不少于%(n)d票时）") % {"n": r.trim_min_ballots}
            if r.trimmed_mean
            else _("否"),
        )
    )
    rows.append((section, _("民主测评最低参与率"), f"{r.min_turnout_pct}%"))
    section = _("默认测评人类别")
    for group in r.rater_groups:
        rows.append(
            (
                section,
                group["name"],
                _("权重%(w)d%%，%(n)d票") % {"w": group["weight"], "n": group["size"]},
            )
        )
    return rows


def _changes(rows, before) -> list[str]:
    """What changed from the rows of the version `before`, in words."""
    old = {(s, item): value for s, item, value in before}
    new = {(s, item): value for s, item, value in rows}
    out = []
    for key, value in new.items():
        if key not in old:
            out.append(_("新增 %(item)s：%(v)s") % {"item": key[1], "v": value})
        elif old[key] != value:
            out.append(f"{key[1]}：{old[key]} → {value}")
    for key, value in old.items():
        if key not in new:
            out.append(_("删除 %(item)s（%(v)s）") % {"item": key[1], "v": value})
    return out


def _by_section(rows) -> list[tuple[str, list[tuple[str, str]]]]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for section, item, value in rows:
        grouped.setdefault(section, []).append((item, value))
    return list(grouped.items())


def template_list(request: AuthenticatedHttpRequest):
    templates = (
        Template.objects.visible_to(request.user)
        .select_related("unit")
        .annotate(
            latest=Max("versions__number"),
            updated=Max("versions__created_at"),
            rounds_count=correlated_count(
                Round.objects.visible_to(request.user),
                template_version__template="pk",
            ),
        )
        .order_by("name", "pk")
    )
    page = paginate(request, templates)
    return render(
        request,
        "assessment/template_list.html",
        {"templates": page, **page_context(request, page)},
    )


@require_http_methods(["GET", "POST"])
def template_create(request: AuthenticatedHttpRequest):
    form = TemplateForm(request.POST or None, user=request.user)
    if template := submit(
        request, form, partial(services.template_create, by=request.user)
    ):
        messages.success(request, _("考核方案已创建（第1版）。"))
        return redirect(template)
    return render(
        request,
        "assessment/template_form.html",
        {
            "form": form,
            "title": _("新建考核方案"),
            "cancel_url": reverse("assessment:template_list"),
        },
    )


def _visible_template(request, pk: int) -> Template:
    return get_object_or_404(
        Template.objects.visible_to(request.user).select_related("unit", "created_by"),
        pk=pk,
    )


def template_detail(request: AuthenticatedHttpRequest, pk: int):
    template = _visible_template(request, pk)
    rounds = Round.objects.visible_to(request.user).select_related("unit")
    versions = list(
        template.versions.select_related("created_by").prefetch_related(
            Prefetch("rounds", queryset=rounds.order_by("-period_end", "-pk"))
        )
    )
    shown = []
    for i, version in enumerate(versions):  # newest first
        rows = _rules_rows(version.config)
        older = versions[i + 1] if i + 1 < len(versions) else None
        changes = _changes(rows, _rules_rows(older.config)) if older else []
        shown.append((version, _by_section(rows), changes))
    return render(
        request,
        "assessment/template_detail.html",
        {
            "template": template,
            "versions": shown,
            "may_revise": services.may_revise_template(request.user, template),
        },
    )


@require_http_methods(["GET", "POST"])
def template_revise(request: AuthenticatedHttpRequest, pk: int):
    template = _visible_template(request, pk)
    if not services.may_revise_template(request.user, template):
        raise PermissionDenied  # in scope (a higher unit's template) but not ours
    latest = services.latest_version(template)
    form = TemplateReviseForm(request.POST or None, config=latest.config)
    revise = partial(services.template_revise, template=template, by=request.user)
    if version := submit(request, form, revise):
        messages.success(request, _("已保存为第%(n)d版。") % {"n": version.number})
        return redirect(template)
    return render(
        request,
        "assessment/template_form.html",
        {
            "form": form,
            "title": _("修订考核方案：%(name)s（当前第%(n)d版）")
            % {"name": template.name, "n": latest.number},
            "template": template,
            "cancel_url": template.get_absolute_url(),
        },
    )


# --- Rounds (考核轮次) -----------------------------------------------------------

ROUND_SORTS = {
    "name": "name",
    "kind": "kind",
    "unit": "unit__name",
    "period": "period_end",
    "status": "status",
    "count": "assessments_count",
}
PICKER_LIMIT = 1000  # postings listed on the picker; batches hold more


def round_list(request: AuthenticatedHttpRequest):
    scoped = Round.objects.visible_to(request.user)
    years = sorted({d.year for d in scoped.dates("period_end", "year")}, reverse=True)
    form = RoundFilterForm(request.GET or None, years=years)
    qs = (
        form.filter(scoped)
        .select_related("unit", "template_version__template")
        # Only the assessments the user sees are counted (a posting moved out
        # of the round's unit stays in the round, out of sight).
        .annotate(
            assessments_count=correlated_count(
                Assessment.objects.visible_to(request.user), round="pk"
            )
        )
    )
    qs, sort = sorted_queryset(request, qs, ROUND_SORTS, "-period")
    counts = dict(
        form.filter(scoped, ignore=("status",))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    # The status filter is the one the counts leave out: the total follows.
    status = getattr(form, "cleaned_data", {}).get("status", "")
    tabs = status_tabs(request, Round.Status.choices, counts, status)
    page = paginate(request, qs, count=tabs["total"])
    head = [
        (_("轮次名称"), "name"),
        (_("类型"), "kind"),
        (_("组织单位"), "unit"),
        (_("考核方案"), ""),
        (_("考核期"), "period"),
        (_("考核人数"), "count"),
        (_("状态"), "status"),
    ]
    return render(
        request,
        "assessment/round_list.html",
        {
            "form": form,
            "rounds": page,
            "columns": columns(request, head, sort),
            **tabs,
            **page_context(request, page),
        },
    )


def _picker(candidates, pinned: set[int], checked: set[int]) -> dict:
    """The posting checklist: pinned postings (chosen or already in the round)
    first, then the other candidates, newest first, at most PICKER_LIMIT."""
    base = candidates.select_related("cadre", "sending_unit", "receiving_unit")
    first = list(base.filter(pk__in=pinned).order_by("cadre__name", "pk"))
    others = list(
        base.filter(status__in=services.ASSESSABLE)
        .exclude(pk__in=pinned)
        .order_by("-start_date", "-pk")[: PICKER_LIMIT + 1]
    )
    return {
        "picker_rows": [(p, p.pk in checked) for p in first + others[:PICKER_LIMIT]],
        "picker_truncated": len(others) > PICKER_LIMIT,
        "picker_limit": PICKER_LIMIT,
        "kinds": Posting.Kind.choices,
        "statuses": [
            (v, label)
            for v, label in Posting.Status.choices
            if v in services.ASSESSABLE
        ],
    }


def _posted_ids(request) -> set[int]:
    return {int(v) for v in request.POST.getlist("postings") if v.isdigit()}


@require_http_methods(["GET", "POST"])
def round_create(request: AuthenticatedHttpRequest):
    form = RoundForm(request.POST or None, user=request.user)
    if round_ := submit(request, form, partial(services.round_create, by=request.user)):
        messages.success(
            request,
            _("考核轮次已创建，共%(n)d人。") % {"n": round_.assessments.count()},
        )
        return redirect(round_)
    checked = _posted_ids(request)
    return render(
        request,
        "assessment/round_form.html",
        {
            "form": form,
            "title": _("新建考核轮次"),
            "cancel_url": reverse("assessment:round_list"),
            **_picker(Posting.objects.visible_to(request.user), checked, checked),
        },
    )


def _visible_round(request, pk: int, *related) -> Round:
    return get_object_or_404(
        Round.objects.visible_to(request.user).select_related("unit", *related), pk=pk
    )


def _assessment_rows(request, round_: Round) -> list[Assessment]:
    """The round's assessments with what the table shows, in a fixed number of
    queries: evaluations prefetched, ballot turnout as subqueries."""
    assessments = (
        Assessment.objects.visible_to(request.user)
        .filter(round=round_)
        .select_related("posting__cadre", "posting__receiving_unit", "ballot_session")
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.only(
                    "pk", "assessment_id", "source", "status"
                ),
            )
        )
        .annotate(
            codes_issued=correlated_count(BallotCode, group__session__assessment="pk"),
            ballots_cast=correlated_count(
                BallotCode.objects.filter(used=True), group__session__assessment="pk"
            ),
        )
    )
    if round_.is_closed:
        assessments = assessments.order_by("rank", "posting__cadre__name", "pk")
    else:
        assessments = assessments.order_by("posting__cadre__name", "pk")
    weights = Rules(round_.template_version.config).source_weights
    sources = [s for s in (Source.HOST, Source.ORG, Source.SELF) if s in weights]
    rows = list(assessments)
    for a in rows:
        by_source = {e.source: e for e in a.evaluations.all()}
        a.evaluation_cells = [(s.value, by_source.get(s.value)) for s in sources]
        a.session = getattr(a, "ballot_session", None)  # None when never opened
        a.turnout_pct = (
            round(100 * a.ballots_cast / a.codes_issued) if a.codes_issued else None
        )
    return rows


def round_detail(request: AuthenticatedHttpRequest, pk: int):
    round_ = _visible_round(
        request, pk, "template_version__template", "batch", "created_by"
    )
    weights = Rules(round_.template_version.config).source_weights
    actions = [
        (action, label, target)
        for action, (source, target, label) in services.ROUND_TRANSITIONS.items()
        if round_.status == source
    ]
    rows = _assessment_rows(request, round_)
    return render(
        request,
        "assessment/round_detail.html",
        {
            "round": round_,
            "assessments": rows,
            "evaluation_sources": [
                (s.value, s.label)
                for s in (Source.HOST, Source.ORG, Source.SELF)
                if s in weights
            ],
            "democratic": Source.DEMOCRATIC in weights,
            "weights": [(Source(s).label, w) for s, w in weights.items()],
            "events": round_.events.select_related("by"),
            "actions": actions,
            "grade_counts": _grade_counts(rows) if round_.is_closed else [],
        },
    )


def _grade_counts(rows) -> list[tuple[str, int]]:
    counts = {g.value: 0 for g in GRADE_ORDER}
    for a in rows:
        if a.grade in counts:
            counts[a.grade] += 1
    return [(Grade(g).label, n) for g, n in counts.items()]


@require_http_methods(["GET", "POST"])
def round_edit(request: AuthenticatedHttpRequest, pk: int):
    round_ = _visible_round(request, pk)
    try:
        services.require_round_status(round_, Round.Status.OPEN)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(round_)
    form = RoundEditForm(request.POST or None, round_=round_, user=request.user)
    update = partial(services.round_update, round_=round_, by=request.user)
    if submit(request, form, update):
        messages.success(request, _("已保存。"))
        return redirect(round_)
    current = set(
        Assessment.objects.visible_to(request.user)
        .filter(round=round_)
        .values_list("posting_id", flat=True)
    )
    checked = _posted_ids(request) if form.is_bound else current
    candidates = form.fields["postings"].queryset
    return render(
        request,
        "assessment/round_form.html",
        {
            "form": form,
            "round": round_,
            "title": _("修改考核轮次：%(name)s") % {"name": round_.name},
            "cancel_url": round_.get_absolute_url(),
            **_picker(candidates, current | checked, checked),
        },
    )


@require_http_methods(["GET", "POST"])
def round_transition(request: AuthenticatedHttpRequest, pk: int, action: str):
    round_ = _visible_round(request, pk)
    if action == "close":
        return _round_close(request, round_)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in services.ROUND_TRANSITIONS:
        raise Http404
    form = RoundTransitionForm(request.POST)
    move = partial(
        services.round_transition, round_=round_, action=action, by=request.user
    )
    if submit(request, form, move):
        label = services.ROUND_TRANSITIONS[action][2]
        messages.success(request, _("已办理“%(a)s”。") % {"a": label})
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect(round_)


def _round_close(request: AuthenticatedHttpRequest, round_: Round):
    """结束考核 asks first: GET lists the evaluations not submitted and the
    民主测评 below the minimum turnout; POST with the confirmation of that list
    closes the round (refused when the list or the round changed since)."""
    try:
        services.require_round_status(round_, Round.Status.COLLECTING)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(round_)
    form = RoundCloseForm(request.POST or None)
    close = partial(services.round_close, round_=round_, by=request.user)
    if submit(request, form, close):
        label = services.ROUND_TRANSITIONS["close"][2]
        messages.success(request, _("已办理“%(a)s”。") % {"a": label})
        return redirect(round_)
    gaps = services.round_close_gaps(round_=round_, by=request.user)
    for a in gaps.ballots:
        a.turnout_pct = (
            round(100 * a.ballots_cast / a.codes_issued) if a.codes_issued else None
        )
    return render(
        request,
        "assessment/round_close.html",
        {"round": round_, "form": form, "gaps": gaps},
    )
