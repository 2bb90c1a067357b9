"""The composite score, grades, caps, the 优秀 quota and the ranking.

Pure: dataclasses in, dataclasses out, no ORM (`assessment.results` gathers
the rows). Every result carries an explanation, a JSON-serialisable dict that
the results page, the assessment page and the export read to show how each
number came about.

The formula (issue 6):

    score = Σ_s ( w_s × Σ_d ( w_d × score_{s,d} ) ) / ( Σ_{s present} w_s × 100 )

with source weights w_s and dimension weights w_d as percentages. A source
with no usable data is left out and the others' weights are renormalised over
the ones present; it is never counted as zero. The democratic source's
dimension scores are the group-weighted means of ballot points, with the same
renormalisation over rater groups that cast ballots.

Rounding: every intermediate value keeps full `Decimal` precision (28
significant digits). The composite score is rounded once, half up, to 2
decimals; that rounded score is the assessment's score: stored, shown,
graded, ranked and ordered for the quota, so that what the page shows is what
was judged. The 绩 tie-breaker is compared at 2 decimals too; the 优秀 rate is
compared exactly. The explanation shows intermediate values rounded to 2
decimals for reading only (renormalised weights as percentages), so adding up
the shown values by hand may differ from a shown total by 0.01.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from records.models import Warning
from records.rules import SERIOUS_WARNING_LEVELS, warning_severity

from .config import DIMENSION_CODES, Rules
from .models import GRADE_ORDER, Dimension, Grade, Source

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def warning_label(level: str) -> str:
    return str(Warning.Level(level).label) if level else ""


def q2(value: Decimal) -> Decimal:
    """Round half up to 2 decimals (the one rounding rule of this module)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    """A value as the explanation shows it: 2 decimals, or "" when absent."""
    return "" if value is None else str(q2(value))


def pct(part: Decimal) -> str:
    """A share (0..1) as a percentage with 2 decimals."""
    return str(q2(part * HUNDRED))


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def weighted_dimensions(rules: Rules) -> list[str]:
    """The dimensions the template weights, in 德能勤绩廉 order; only these are
    scored (a dimension weighted 0 is neither evaluated nor balloted)."""
    weights = rules.dimension_weights
    return [d for d in DIMENSION_CODES if weights.get(d, 0) > 0]


def grade_label(code: str) -> str:
    return str(Grade(code).label) if code else ""


# --- Inputs ------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationIn:
    """A submitted host / org / self evaluation (see `Evaluation`)."""

    source: str
    author: str
    submitted_on: str = ""  # the day, as shown
    scores: Mapping[str, object] = field(default_factory=dict)
    indicator_scores: Mapping[str, Sequence[object]] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupIn:
    """A rater group: its weight, its codes issued and its ballots' grades."""

    name: str
    weight: int
    ballots: Sequence[Mapping[str, str]] = ()
    issued: int = 0
    cast: int | None = None  # when the ballots are sealed (not given): how many

    @property
    def votes(self) -> int:
        return len(self.ballots) if self.cast is None else self.cast


@dataclass(frozen=True)
class DemocraticIn:
    """The ballot session. `counted` only when it is closed and its turnout
    reached the minimum; otherwise `reason` says why it is left out and the
    ballots are not even looked at (sealed)."""

    groups: Sequence[GroupIn]
    counted: bool
    reason: str = ""
    min_turnout_pct: int = 0

    @property
    def cast(self) -> int:
        return sum(g.votes for g in self.groups)

    @property
    def issued(self) -> int:
        return sum(g.issued for g in self.groups)


@dataclass(frozen=True)
class AssessmentIn:
    key: int
    evaluations: Mapping[str, EvaluationIn] = field(default_factory=dict)
    democratic: DemocraticIn | None = None
    warning_level: str = ""  # highest level of active warnings in the period
    warning_count: int = 0
    # The 优秀 quota's cohort (Rules.excellent_quota_cohort), "" for the round.
    cohort: str = ""


# --- Output ------------------------------------------------------------------


@dataclass
class Result:
    key: int
    score: Decimal | None  # rounded to 2 decimals; None: no source present
    raw_grade: str = ""
    grade: str = ""
    reasons: list[str] = field(default_factory=list)
    ji: Decimal | None = None  # 绩 composite, 2 decimals (tie-breaker)
    excellent_rate: Decimal | None = None  # share of 优秀 among ballot grades
    explanation: dict = field(default_factory=dict)
    rank: int | None = None

    @property
    def grade_reason(self) -> str:
        return "；".join(self.reasons)[:300]

    @property
    def tie_key(self) -> tuple:
        """Display order: score, then 绩, then the 优秀 rate, all descending."""
        minus_one = Decimal(-1)
        return (
            self.score if self.score is not None else minus_one,
            self.ji if self.ji is not None else minus_one,
            self.excellent_rate if self.excellent_rate is not None else minus_one,
        )


# --- One source's dimension scores ---------------------------------------------


def evaluation_scores(
    evaluation: EvaluationIn, rules: Rules
) -> tuple[dict[str, Decimal] | None, list[dict]]:
    """Per dimension the evaluation's score: the score given, or, for a
    dimension with indicators, the sum of the indicator points. None when a
    dimension is missing or not a number (the source is then left out)."""
    scores: dict[str, Decimal] = {}
    rows: list[dict] = []
    indicators = rules.indicators
    for dim in weighted_dimensions(rules):
        row = {"dim": dim, "label": str(Dimension(dim).label), "indicators": []}
        given = evaluation.indicator_scores.get(dim) if dim in indicators else None
        if given is not None:
            items = indicators[dim]
            points = [_number(v) for v in given]
            if len(points) != len(items) or None in points:
                return None, rows
            row["indicators"] = [
                {"name": i["name"], "max": i["points"], "score": fmt(p)}
                for i, p in zip(items, points, strict=True)
            ]
            value = sum(points, Decimal(0))
        else:
            value = _number(evaluation.scores.get(dim))
            if value is None:
                return None, rows
        scores[dim] = value
        row["score"] = fmt(value)
        rows.append(row)
    return scores, rows


def _mean(values: list[Decimal], rules: Rules) -> tuple[Decimal, list[Decimal]]:
    """The mean, or the trimmed mean (one highest and one lowest dropped) when
    the rules enable it and there are enough values. Returns the dropped."""
    if rules.trimmed_mean and len(values) >= rules.trim_min_ballots:
        ordered = sorted(values)
        kept, dropped = ordered[1:-1], [ordered[-1], ordered[0]]
    else:
        kept, dropped = values, []
    return sum(kept, Decimal(0)) / Decimal(len(kept)), dropped


def democratic_scores(
    groups: Sequence[GroupIn], rules: Rules
) -> tuple[dict[str, Decimal] | None, dict]:
    """Per dimension: per group the (trimmed) mean of ballot points, groups
    combined by their weights renormalised over the groups that have ballots
    for that dimension. None when no group has any (source absent)."""
    points = {g: Decimal(p) for g, p in rules.ballot_points.items()}
    scores: dict[str, Decimal] = {}
    dims = []
    for dim in weighted_dimensions(rules):
        parts = []
        for group in groups:
            values = [points[b[dim]] for b in group.ballots if b.get(dim) in points]
            if values and group.weight > 0:
                mean, dropped = _mean(values, rules)
                parts.append((group, len(values), mean, dropped))
        if not parts:
            return None, {"dimensions": dims}
        total = Decimal(sum(g.weight for g, *_rest in parts))
        scores[dim] = (
            sum((Decimal(g.weight) * mean for g, _n, mean, _d in parts), Decimal(0))
            / total
        )
        dims.append(
            {
                "dim": dim,
                "label": str(Dimension(dim).label),
                "score": fmt(scores[dim]),
                "groups": [
                    {
                        "name": g.name,
                        "count": n,
                        "mean": fmt(mean),
                        "trimmed": bool(dropped),
                        "dropped": [fmt(d) for d in dropped],
                        "weight": g.weight,
                        "renormalised": pct(Decimal(g.weight) / total),
                    }
                    for g, n, mean, dropped in parts
                ],
            }
        )
    return scores, {"dimensions": dims}


def _excellent_rate(groups: Sequence[GroupIn]) -> Decimal | None:
    grades = [g for group in groups for b in group.ballots for g in b.values() if g]
    if not grades:
        return None
    return Decimal(grades.count(Grade.EXCELLENT.value)) / Decimal(len(grades))


def _turnout(democratic: DemocraticIn) -> dict:
    def share(cast: int, issued: int) -> str:
        return pct(Decimal(cast) / Decimal(issued)) if issued else "0.00"

    return {
        "cast": democratic.cast,
        "issued": democratic.issued,
        "pct": share(democratic.cast, democratic.issued),
        "min_pct": democratic.min_turnout_pct,
        "groups": [
            {
                "name": g.name,
                "weight": g.weight,
                "cast": g.votes,
                "issued": g.issued,
                "pct": share(g.votes, g.issued),
            }
            for g in democratic.groups
        ],
    }


# --- The composite ------------------------------------------------------------


def _source_entry(source: str, weight: int) -> dict:
    return {
        "source": source,
        "label": str(Source(source).label),
        "weight": weight,
        "present": False,
        "reason": "",
        "origin": "",
        "score": "",
        "renormalised": "",
        "dimensions": [],
    }


def _gather_sources(
    a: AssessmentIn, rules: Rules
) -> tuple[dict[str, dict[str, Decimal]], list[dict], Decimal | None]:
    """Each weighted source's dimension scores (present ones only) and its
    explanation entry, in the template's order; and the ballots' 优秀 rate."""
    present: dict[str, dict[str, Decimal]] = {}
    entries = []
    rate = None
    for source, weight in rules.source_weights.items():
        entry = _source_entry(source, weight)
        entries.append(entry)
        if source == Source.DEMOCRATIC:
            demo = a.democratic
            if demo is None:
                entry["reason"] = _("未组织民主测评")
                continue
            entry["turnout"] = _turnout(demo)
            if not demo.counted:
                entry["reason"] = demo.reason  # sealed: no ballot is looked at
                continue
            scores, detail = democratic_scores(demo.groups, rules)
            entry["dimensions"] = detail["dimensions"]
            entry["origin"] = _("民主测评%(cast)s票（发放%(issued)s票）") % {
                "cast": demo.cast,
                "issued": demo.issued,
            }
            if scores is None:
                entry["reason"] = _("民主测评没有有效票")
                continue
            rate = _excellent_rate(demo.groups)
        else:
            evaluation = a.evaluations.get(source)
            if evaluation is None:
                entry["reason"] = _("未提交评价")
                continue
            scores, rows = evaluation_scores(evaluation, rules)
            entry["origin"] = _("%(who)s于%(day)s提交") % {
                "who": evaluation.author,
                "day": evaluation.submitted_on,
            }
            if scores is None:
                entry["reason"] = _("评价不完整（缺少维度得分）")
                continue
            entry["dimensions"] = rows
        present[source] = scores
        entry["present"] = True
    return present, entries, rate


def compose(
    present: Mapping[str, Mapping[str, Decimal]], rules: Rules, entries: list[dict]
) -> tuple[Decimal | None, dict[str, Decimal], dict]:
    """The composite score (unrounded), the per-dimension composites and the
    explanation of the sum. `entries` (from `_gather_sources`) get their
    source score and renormalised weight filled in."""
    dim_weights = rules.dimension_weights
    weighted = weighted_dimensions(rules)
    source_weights = rules.source_weights
    weight_total = sum(source_weights[s] for s in present)
    if not weight_total:
        return None, {}, {"present_weight": 0, "steps": []}
    total_w = Decimal(weight_total)
    steps = []
    grand = Decimal(0)  # Σ_s w_s × Σ_d w_d × score_{s,d}
    source_scores = {}
    for entry in entries:
        source = entry["source"]
        if source not in present:
            continue
        scores = present[source]
        inner = sum((Decimal(dim_weights[d]) * scores[d] for d in weighted), Decimal(0))
        source_scores[source] = inner / HUNDRED
        grand += Decimal(source_weights[source]) * inner
        entry["score"] = fmt(source_scores[source])
        entry["renormalised"] = pct(Decimal(source_weights[source]) / total_w)
        for row in entry["dimensions"]:
            row["weight"] = dim_weights[row["dim"]]
            row["weighted"] = fmt(Decimal(dim_weights[row["dim"]]) * scores[row["dim"]])
        terms = " + ".join(f"{dim_weights[d]}×{fmt(scores[d])}" for d in weighted)
        steps.append(
            _("%(source)s得分 = (%(terms)s) ÷ 100 = %(score)s")
            % {"source": entry["label"], "terms": terms, "score": fmt(inner / HUNDRED)}
        )
    score = grand / (total_w * HUNDRED)
    dims = {
        d: sum(
            (Decimal(source_weights[s]) * present[s][d] for s in present), Decimal(0)
        )
        / total_w
        for d in weighted
    }
    terms = " + ".join(
        f"{source_weights[s]}×{fmt(source_scores[s])}"
        for s in (e["source"] for e in entries)
        if s in present
    )
    absent = [e for e in entries if not e["present"]]
    if absent:
        steps.append(
            _("%(absent)s未计入，其余来源权重按比例重新分配：%(shares)s")
            % {
                "absent": "、".join(f"{e['label']}（{e['reason']}）" for e in absent),
                "shares": "，".join(
                    f"{e['label']} {e['weight']} → {e['renormalised']}%"
                    for e in entries
                    if e["present"]
                ),
            }
        )
    steps.append(
        _("综合得分 = (%(terms)s) ÷ %(total)s = %(score)s")
        % {"terms": terms, "total": weight_total, "score": fmt(score)}
    )
    dimensions = [
        {
            "dim": d,
            "label": str(Dimension(d).label),
            "weight": dim_weights[d],
            "score": fmt(dims[d]),
            "parts": [
                {
                    "label": e["label"],
                    "weight": source_weights[e["source"]],
                    "score": fmt(present[e["source"]][d]),
                }
                for e in entries
                if e["present"]
            ],
        }
        for d in weighted
    ]
    return (
        score,
        dims,
        {"present_weight": weight_total, "steps": steps, "dimensions": dimensions},
    )


def _threshold_text(score: Decimal, grade: str, rules: Rules) -> str:
    t = rules.thresholds
    if grade == Grade.INCOMPETENT:
        return _("%(score)s 低于基本称职分数线 %(line)s → 不称职") % {
            "score": score,
            "line": t["basic"],
        }
    return _("%(score)s ≥ %(grade)s分数线 %(line)s → %(grade)s") % {
        "score": score,
        "grade": grade_label(grade),
        "line": t[grade],
    }


def cap_for(level: str, rules: Rules) -> str | None:
    """The grade a warning of `level` caps at; a red warning is never milder
    than a yellow one, so without a red cap the yellow one applies."""
    caps = rules.caps
    if level not in SERIOUS_WARNING_LEVELS:
        return None
    milder = [
        lvl
        for lvl in SERIOUS_WARNING_LEVELS
        if warning_severity(lvl) <= warning_severity(level)
    ]
    for candidate in reversed(milder):
        if caps.get(candidate):
            return caps[candidate]
    return None


def apply_cap(result: Result, level: str, rules: Rules) -> None:
    cap = cap_for(level, rules)
    info = {"level": level, "cap": cap or "", "applied": False, "reason": ""}
    if cap and GRADE_ORDER.index(result.grade) < GRADE_ORDER.index(cap):
        result.grade = cap
        info["applied"] = True
        info["reason"] = _("%(level)s封顶为%(cap)s") % {
            "level": warning_label(level),
            "cap": grade_label(cap),
        }
        result.reasons.append(info["reason"])
    elif cap:
        info["reason"] = _("有%(level)s，等次未超过封顶（%(cap)s），不调整") % {
            "level": warning_label(level),
            "cap": grade_label(cap),
        }
    result.explanation["cap"] = info


def score_assessment(a: AssessmentIn, rules: Rules) -> Result:
    """One assessment's score, threshold grade and warning cap (no quota)."""
    present, entries, rate = _gather_sources(a, rules)
    raw, dims, sum_detail = compose(present, rules, entries)
    explanation = {
        "sources": entries,
        **sum_detail,
        "warnings": {
            "count": a.warning_count,
            "level": a.warning_level,
            "label": warning_label(a.warning_level),
        },
        "thresholds": rules.thresholds,
        "turnout": next((e["turnout"] for e in entries if "turnout" in e), None),
    }
    if raw is None:
        explanation.update(score="", raw_grade="", grade="", reasons=[])
        explanation["steps"] = [_("没有可计入的评价来源，无法计算综合得分")]
        return Result(key=a.key, score=None, explanation=explanation)
    score = q2(raw)
    raw_grade = str(rules.grade_for(score))
    result = Result(
        key=a.key,
        score=score,
        raw_grade=raw_grade,
        grade=raw_grade,
        ji=q2(dims[Dimension.JI]) if Dimension.JI in dims else None,
        excellent_rate=rate,
        explanation=explanation,
    )
    explanation.update(
        score=fmt(score),
        unrounded=str(raw),
        raw_grade=raw_grade,
        threshold_text=_threshold_text(score, raw_grade, rules),
        ji=fmt(result.ji),
        excellent_rate="" if rate is None else str(rate),
        excellent_rate_pct="" if rate is None else pct(rate),
    )
    apply_cap(result, a.warning_level, rules)
    return result


# --- The quota and the ranking ----------------------------------------------------


def _positions(items: Sequence[Result], key) -> list[int]:
    """Competition positions (1, 2, 2, 4) of items already sorted by `key` desc."""
    out = []
    for i, item in enumerate(items):
        if i and key(item) == key(items[i - 1]):
            out.append(out[-1])
        else:
            out.append(i + 1)
    return out


def apply_quota(
    results: Sequence[Result],
    rules: Rules,
    round_size: int,
    cohorts: dict[int, str] | None = None,
) -> None:
    """At most pct × size 优秀 per cohort (the whole round unless the rules
    set a cohort; `cohorts` maps a result's key to its cohort), rounded down
    or half up as the rules say; one cohort's places are never another's.
    The highest keep it (score, then 绩, then the ballots' 优秀 rate).
    Candidates still fully tied across the last seat all drop, since the
    quota is a maximum."""
    if rules.excellent_quota_pct is None:
        return
    if not rules.excellent_quota_cohort or cohorts is None:
        _apply_quota(results, rules, round_size, None)
        return
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(cohorts.get(result.key, ""), []).append(result)
    for cohort, members in groups.items():
        _apply_quota(members, rules, len(members), cohort)


def _apply_quota(
    results: Sequence[Result], rules: Rules, size: int, cohort: str | None
) -> None:
    quota_pct = rules.excellent_quota_pct
    seats = rules.quota_seats(size)
    candidates = sorted(
        (r for r in results if r.grade == Grade.EXCELLENT),
        key=lambda r: (r.tie_key, -r.key),
        reverse=True,
    )
    positions = _positions(candidates, lambda r: r.tie_key)
    head = {"pct": quota_pct, "seats": seats, "round_size": size}
    lead = ""
    if cohort is not None:
        head |= {"cohort": cohort, "rounding": rules.excellent_quota_rounding}
        lead = _("按分组计算优秀名额，本组（%(cohort)s）%(size)s人：") % {
            "cohort": cohort or _("未分组"),
            "size": size,
        }
    for result, position in zip(candidates, positions, strict=True):
        tied = sum(1 for p in positions if p == position)
        last = position + tied - 1
        info = {**head, "position": position, "tied": tied, "kept": last <= seats}
        if last <= seats:
            info["reason"] = lead + _(
                "在优秀比例（%(pct)s%%，名额%(seats)s名）内，按得分排序第%(pos)s名，保留优秀"
            ) % {"pct": quota_pct, "seats": seats, "pos": position}
        else:
            result.grade = Grade.COMPETENT
            if position <= seats:
                text = _(
                    "超出优秀比例（%(pct)s%%，名额%(seats)s名），按得分排序与%(n)s人"
                    "并列第%(pos)s名且无法区分，并列者超出名额，均调整为称职"
                )
            else:
                text = _(
                    "超出优秀比例（%(pct)s%%，名额%(seats)s名），"
                    "按得分排序第%(pos)s名，调整为称职"
                )
            info["reason"] = lead + text % {
                "pct": quota_pct,
                "seats": seats,
                "pos": position,
                "n": tied,
            }
            result.reasons.append(info["reason"])
        result.explanation["quota"] = info


def rank(results: Sequence[Result]) -> list[tuple[int | None, Result]]:
    """(rank, result) in display order. Ranks by score alone, ties alike
    (1, 2, 2, 4); within a tie 绩 then the 优秀 rate decide the order shown.
    Results without a score get no rank and come last."""
    scored = sorted(
        (r for r in results if r.score is not None),
        key=lambda r: (r.tie_key, -r.key),
        reverse=True,
    )
    positions = _positions(scored, lambda r: r.score)
    unscored = sorted((r for r in results if r.score is None), key=lambda r: r.key)
    return [*zip(positions, scored, strict=True), *((None, r) for r in unscored)]


def score_round(assessments: Sequence[AssessmentIn], rules: Rules) -> list[Result]:
    """Every assessment of a round: scores, grades, caps, the quota across the
    round and the round's ranks; in display order."""
    results = [score_assessment(a, rules) for a in assessments]
    cohorts = {a.key: a.cohort for a in assessments}
    apply_quota(results, rules, len(assessments), cohorts)
    ordered = []
    for position, result in rank(results):
        result.rank = position
        result.explanation.update(
            grade=result.grade, reasons=list(result.reasons), rank=position
        )
        ordered.append(result)
    return ordered
