"""Views: a round's results (ranking, distribution, export) and one
assessment's computation explained step by step.

A closed round shows the results stored when it closed; any other round a
live preview computed from what has been submitted so far, marked as such.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from cadres.models import Rank
from guazhi.excel import Sheet, build_sheets, in_background, xlsx_response
from guazhi.http import AuthenticatedHttpRequest, pk_urls
from guazhi.listing import columns, page_context, paginate, querystring
from postings.models import Posting
from records.models import Report, Warning

from . import exports, results, scoring
from .models import GRADE_ORDER, Assessment, Evaluation, Round

# --- Cohorts ----------------------------------------------------------------------


def _cohorts(rows: list[results.Row]) -> list[tuple[str, str]]:
    """The cohorts this round's assessments fall into: whole round, each
    posting kind present, each post rank present."""
    postings = [row.assessment.posting for row in rows]
    kinds = {p.kind for p in postings}
    ranks = {p.post_rank for p in postings if p.post_rank}
    return [
        ("", _("全部")),
        *(
            (f"kind:{k}", _("挂职类型：%(v)s") % {"v": label})
            for k, label in Posting.Kind.choices
            if k in kinds
        ),
        *(
            (f"rank:{r}", _("岗位职级：%(v)s") % {"v": label})
            for r, label in Rank.choices
            if r in ranks
        ),
    ]


# A cohort "kind:…" or "rank:…" is the postings with that value in this field.
COHORT_FIELDS = {"kind": "kind", "rank": "post_rank"}


def _in_cohort(row: results.Row, cohort: str) -> bool:
    kind, _sep, value = cohort.partition(":")
    field = COHORT_FIELDS.get(kind)
    return field is None or str(getattr(row.assessment.posting, field)) == value


# Every cohort value there can be (most rounds hold only some of them); the
# URL's is one of these or the whole round.
COHORT_VALUES = frozenset(
    [
        "",
        *(f"kind:{k}" for k in Posting.Kind.values),
        *(f"rank:{r}" for r in Rank.values),
    ]
)


def cohort_of(query) -> str:
    """The cohort a query asks for, "" (the whole round) when it cannot be one."""
    chosen = query.get("cohort", "")
    return chosen if chosen in COHORT_VALUES else ""


def _cohort_param(request) -> str:
    return cohort_of(request.GET)


def _cohort_rows(chosen: str, rows: list[results.Row]):
    """The rows of the chosen cohort (an unknown cohort: the whole round)."""
    options = _cohorts(rows)
    if chosen not in dict(options):
        chosen = ""
    label = dict(options)[chosen]
    return [r for r in rows if _in_cohort(r, chosen)], options, chosen, label


# --- Sorting, in Python: ranks are computed per cohort, not stored per cohort ----

GRADE_INDEX = {g.value: i for i, g in enumerate(GRADE_ORDER)}

LINE_SORTS = {
    "rank": lambda line: line.rank,
    "cadre": lambda line: line.assessment.posting.cadre.name,
    "unit": lambda line: line.assessment.posting.receiving_unit.name,
    "kind": lambda line: line.assessment.posting.kind,
    "score": lambda line: line.result.score,
    "grade": lambda line: GRADE_INDEX.get(line.result.grade),
}


def _sorted_lines(request, lines: list[results.Line]):
    raw = request.GET.get("sort", "rank")
    key = raw.lstrip("-")
    if key not in LINE_SORTS:
        raw, key = "rank", "rank"
    value = LINE_SORTS[key]
    have = [line for line in lines if value(line) is not None]
    lack = [line for line in lines if value(line) is None]
    # Stable: within equal values the ranking's display order stays.
    have.sort(key=value, reverse=raw.startswith("-"))
    return have + lack, raw


# --- The grade distribution chart ---------------------------------------------------


@dataclass(frozen=True)
class Bar:
    grade: str
    label: str
    count: int
    percent: str
    y: int
    width: int
    color: str


CHART_BAR_MAX = 360  # px in the SVG's own coordinates
# Bootstrap's success / primary / warning / danger / secondary.
GRADE_COLORS = {
    "excellent": "#198754",
    "competent": "#0d6efd",
    "basic": "#ffc107",
    "incompetent": "#dc3545",
    "": "#6c757d",
}


def _distribution(lines: list[results.Line]) -> list[Bar]:
    total = len(lines)
    counts = [
        (g.value, str(g.label), sum(1 for x in lines if x.result.grade == g.value))
        for g in GRADE_ORDER
    ]
    ungraded = sum(1 for x in lines if not x.result.grade)
    if ungraded:
        counts.append(("", _("未评定"), ungraded))
    most = max((n for *_rest, n in counts), default=0) or 1
    return [
        Bar(
            grade=grade,
            label=label,
            count=n,
            percent=scoring.pct(Decimal(n) / Decimal(total)) if total else "0.00",
            y=i * 30,
            width=round(CHART_BAR_MAX * n / most),
            color=GRADE_COLORS[grade],
        )
        for i, (grade, label, n) in enumerate(counts)
    ]


# Bootstrap badge per grade, for the table's template.
GRADE_BADGES = {
    "excellent": "text-bg-success",
    "competent": "text-bg-primary",
    "basic": "text-bg-warning",
    "incompetent": "text-bg-danger",
}


def _step_texts(x: dict, labels: dict[str, str]) -> list[str]:
    """The steps of the composite, then the grade's threshold, cap and quota."""
    steps = list(x.get("steps", []))
    if x.get("threshold_text"):
        steps.append(f"{labels['threshold']}：{x['threshold_text']}")
    for key in ("cap", "quota"):
        reason = (x.get(key) or {}).get("reason")
        if reason:
            steps.append(f"{labels[key]}：{reason}")
    return steps


# Each shown row and cell is a dict of plain text with every key set: the
# template finds a dict's key at its first lookup, where an object's attribute
# is found only after a failed item lookup, and a missing key costs more still.


def _dim_cell(entry: dict) -> dict:
    """A dimension's composite, and the source scores it averages."""
    return {
        "score": entry["score"],
        "text": "\n".join(
            f"{p['label']}（{p['weight']}）：{p['score']}" for p in entry["parts"]
        ),
    }


def _group_text(g: dict, labels: dict[str, str]) -> str:
    trimmed = labels["trimmed"] if g["trimmed"] else ""
    return (
        f"{g['name']} {g['count']}{labels['votes']} {labels['mean']}{g['mean']}"
        f"{trimmed} × {g['renormalised']}%"
    )


def _blank_source(code: str) -> dict:
    keys = ("score", "reason", "origin", "text", "note")
    return {"source": code, **dict.fromkeys(keys, "")}


def _source_cell(entry: dict, labels: dict[str, str]) -> dict:
    """A source's score with its dimension scores (a ballot's per group), or
    why it was left out."""
    cell = _blank_source(entry["source"])
    if not entry["present"]:
        return {**cell, "reason": entry["reason"]}
    rows = []
    for row in entry["dimensions"]:
        text = f"{row['label']}：{row.get('score', '')}"
        if row.get("groups"):
            groups = "；".join(_group_text(g, labels) for g in row["groups"])
            text += f"（{groups}）"
        rows.append(text)
    return {
        **cell,
        "score": entry["score"],
        "origin": entry["origin"],
        "text": "\n".join(rows),
        "note": labels["weight"] % {"w": entry["weight"], "r": entry["renormalised"]},
    }


def _rows(lines: list[results.Line], sources: list[str]) -> list[dict]:
    """What each shown line displays, made once here rather than looked up,
    translated and formatted cell by cell in the template: labels, the detail
    URL, and each score's explanation (the dimension and source cells in
    column order)."""
    kinds = {k: str(label) for k, label in Posting.Kind.choices}
    labels = {
        "threshold": _("分数线"),
        "cap": _("预警封顶"),
        "quota": _("优秀比例"),
        "votes": _("票"),
        "mean": _("均"),
        "trimmed": _("，去掉最高最低"),
        "weight": _("权重 %(w)s，实际 %(r)s%%"),
    }
    # A blank cell per column, shared by the rows with nothing to show there.
    blank_dim = {"score": "", "text": ""}
    blanks = [_blank_source(code) for code in sources]
    detail_url = pk_urls("assessment:assessment_detail")
    rows = []
    for line in lines:
        result, a = line.result, line.assessment
        turnout = line.turnout
        rows.append(
            {
                "pk": a.pk,
                "rank": "—" if line.rank is None else str(line.rank),
                "url": detail_url(a.pk),
                "cadre": a.posting.cadre.name,
                "unit": a.posting.receiving_unit.name,
                "kind": kinds.get(a.posting.kind, a.posting.kind),
                "score": "" if result.score is None else str(result.score),
                "steps": _step_texts(result.explanation, labels),
                "dims": [blank_dim if d is None else _dim_cell(d) for d in line.dims],
                "sources": [
                    blank if s is None else _source_cell(s, labels)
                    for blank, s in zip(blanks, line.sources, strict=True)
                ],
                "badge": f"grade-{result.grade or 'none'} "
                + GRADE_BADGES.get(result.grade, "text-bg-light"),
                "grade": line.grade_label or "—",
                "reason": result.grade_reason,
                "turnout": (
                    f"{turnout['cast']}/{turnout['issued']}（{turnout['pct']}%）"
                    if turnout
                    else "—"
                ),
            }
        )
    return rows


# --- Pages ------------------------------------------------------------------------


def round_in_scope(user, pk) -> Round | None:
    """Round `pk` if `user` may see it: the pages and the export's background
    job (exports.kinds, asked again when it runs) look it up alike."""
    return (
        Round.objects.visible_to(user)
        .select_related("template_version__template", "unit")
        .filter(pk=pk)
        .first()
    )


def _round_for(request: AuthenticatedHttpRequest, pk: int) -> Round:
    round_ = round_in_scope(request.user, pk)
    if round_ is None:
        raise Http404(_("考核轮次不存在。"))
    return round_


def results_context(round_: Round, cohort: str, user) -> dict:
    """The round's results as `user` may see them: every assessment is scored
    (or was stored) with the whole round, then only those in the user's scope
    are shown and ranked among themselves (a posting moved out of the round's
    unit leaves the table and the export)."""
    rules = results.rules_of(round_)
    visible = set(
        Assessment.objects.visible_to(user)
        .filter(round=round_)
        .values_list("pk", flat=True)
    )
    rows = [r for r in results.round_rows(round_) if r.assessment.pk in visible]
    chosen_rows, cohorts, cohort, cohort_label = _cohort_rows(cohort, rows)
    lines = results.lines(chosen_rows, rules)
    return {
        "round": round_,
        "rules": rules,
        "lines": lines,
        "cohorts": cohorts,
        "cohort": cohort,
        "cohort_label": cohort_label,
        "dimension_columns": results.dimension_columns(rules),
        "source_columns": results.source_columns(rules),
    }


def round_results(request: AuthenticatedHttpRequest, pk: int):
    """The round's table, a page of it at a time: ranks, the cohort, the
    chart and the sort are over every row the user sees (the export too)."""
    round_ = _round_for(request, pk)
    # A closed round's stored results, or the live preview of any other.
    context = results_context(round_, _cohort_param(request), request.user)
    lines, sort = _sorted_lines(request, context["lines"])
    page = paginate(request, lines)
    head = [
        (_("排名"), "rank"),
        (_("干部"), "cadre"),
        (_("接收单位"), "unit"),
        (_("类型"), "kind"),
        (_("综合得分"), "score"),
        *((label, "") for _code, label in context["dimension_columns"]),
        *((label, "") for _code, label in context["source_columns"]),
        (_("考核等次"), "grade"),
        (_("等次说明"), ""),
        (_("测评参与率"), ""),
    ]
    return render(
        request,
        "assessment/results.html",
        {
            **context,
            "lines": lines,
            **page_context(request, page),
            "rows": _rows(
                page.object_list, [code for code, _label in context["source_columns"]]
            ),
            "columns": columns(request, head, sort),
            "bars": _distribution(context["lines"]),
            "chart_height": 30 * max(len(GRADE_ORDER), 1) + 30,
            "export_query": querystring(request, sort=None, page=None),
            "preview": not round_.is_closed,
        },
    )


def _filename(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "-", text).strip("-")


def export_rows(round_: Round, cohort: str, user) -> int:
    """The rows of the export's ranking (an assessment each) in a COUNT: the
    chosen cohort's, or the whole round's for a cohort it does not hold
    (results_context shows the whole round then)."""
    qs = Assessment.objects.visible_to(user).filter(round=round_)
    kind, _sep, value = cohort.partition(":")
    field = COHORT_FIELDS.get(kind)
    if field is not None and (n := qs.filter(**{f"posting__{field}": value}).count()):
        return n
    return qs.count()


def export_sheets(context: dict) -> list[Sheet]:
    """The export's sheets from the round's results (results_context): the
    page's export and its background job (exports.kinds) write these."""
    return exports.round_sheets(
        context["lines"],
        dimensions=context["dimension_columns"],
        sources=context["source_columns"],
    )


def round_export(request: AuthenticatedHttpRequest, pk: int):
    """The round's results as the table ranks them, for the chosen cohort. A
    large one is made in the background (guazhi.excel.in_background), the
    round named in its parameters."""
    round_ = _round_for(request, pk)
    cohort = _cohort_param(request)
    rows = export_rows(round_, cohort, request.user)
    if queued := in_background(request, "round", rows, path={"round": round_.pk}):
        return queued
    context = results_context(round_, cohort, request.user)
    body = build_sheets(export_sheets(context))
    audit.record(
        request,
        "export",
        target=_("考核结果：%(name)s（#%(pk)s）")
        % {"name": round_.name, "pk": round_.pk},
        details={"filters": audit.query_of(request)},
        rows=len(context["lines"]),
    )
    parts = [_("考核结果"), round_.name]
    if context["cohort"]:
        parts.append(context["cohort_label"])
    if not round_.is_closed:
        parts.append(_("预览"))
    parts.append(timezone.localtime().strftime("%Y%m%d"))
    return xlsx_response(body, _filename("-".join(parts)) + ".xlsx")


def _source_blocks(
    result: scoring.Result, evaluations: dict, dims: list[tuple[str, str]]
) -> list[dict]:
    """Each source's explanation entry, with its evaluation's comments."""
    blocks = []
    for entry in result.explanation.get("sources", []):
        evaluation = evaluations.get(entry["source"])
        comments = (evaluation.comments or {}) if evaluation else {}
        blocks.append(
            {
                "entry": entry,
                "evaluation": evaluation,
                "comments": [
                    (label, comments[d]) for d, label in dims if comments.get(d)
                ],
            }
        )
    return blocks


def assessment_detail(request: AuthenticatedHttpRequest, pk: int):
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "round__template_version",
            "round__unit",
            "posting__cadre",
            "posting__sending_unit",
            "posting__receiving_unit",
        ),
        pk=pk,
    )
    round_ = assessment.round
    if round_.is_closed:
        result = results.stored_result(assessment)
        ranked = (
            Assessment.objects.visible_to(request.user)
            .filter(round=round_, rank__isnull=False)
            .count()
        )
    else:
        rows = results.compute_round(round_)
        result = next(r.result for r in rows if r.assessment.pk == assessment.pk)
        ranked = sum(1 for r in rows if r.result.rank is not None)
    evaluations = {
        e.source: e
        for e in assessment.evaluations.filter(
            status=Evaluation.Status.SUBMITTED
        ).select_related("author")
    }
    warnings = Warning.objects.filter(
        posting=assessment.posting_id,
        status=Warning.Status.ACTIVE,
        occurred_on__gte=round_.period_start,
        occurred_on__lte=round_.period_end,
    ).order_by("occurred_on", "pk")
    # 述职: the cadre's self-review is attached to the assessment (scored only
    # when the template weights 述职评议): those filed up to a month after the
    # period, newest first.
    self_reviews = (
        Report.objects.filter(
            posting=assessment.posting_id,
            kind=Report.Kind.SELF_REVIEW,
            due_date__lte=round_.period_end + dt.timedelta(days=31),
        )
        .prefetch_related("attachments")
        .order_by("-due_date", "-pk")
    )
    return render(
        request,
        "assessment/assessment_detail.html",
        {
            "assessment": assessment,
            "round": round_,
            "result": result,
            "x": result.explanation,
            "grade_label": scoring.grade_label(result.grade),
            "raw_grade_label": scoring.grade_label(result.raw_grade),
            "ranked": ranked,
            "blocks": _source_blocks(
                result, evaluations, results.dimension_columns(results.rules_of(round_))
            ),
            "warnings": list(warnings),
            "self_reviews": list(self_reviews),
            "preview": not round_.is_closed,
        },
    )
