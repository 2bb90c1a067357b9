"""A round's results: gather its rows, score them, store them when it closes.

`compute_round` reads a round in a fixed number of queries, however many
assessments it holds, and scores it with `assessment.scoring`. While a round
is collecting, the results page shows that as a preview; `store_results`
writes it onto the assessments inside the close transaction, and from then on
the stored results (with their explanation in `Assessment.detail`) are shown,
never recomputed.

Democratic results count only once their session is closed and its turnout
(ballots ÷ codes over the whole session) reached the session's minimum; until
then the ballots of the session are not even read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from guazhi.queries import correlated_count
from records.models import Warning
from records.rules import warning_severity

from . import scoring
from .ballots import turnout_reached
from .config import Rules
from .models import (
    Assessment,
    Ballot,
    BallotCode,
    BallotSession,
    Dimension,
    Evaluation,
    RaterGroup,
    Round,
    Source,
)

RESULT_FIELDS = ["score", "raw_grade", "grade", "grade_reason", "rank", "detail"]


@dataclass
class Row:
    """One assessment (with posting, cadre and units loaded) and its result."""

    assessment: Assessment
    result: scoring.Result


def rules_of(round_: Round) -> Rules:
    return Rules(round_.template_version.config)


def _assessments(round_: Round, *fields: str) -> list[Assessment]:
    """The round's assessments with their posting, cadre and units; `fields`:
    only these columns (Django's `only`), else every one."""
    qs = round_.assessments.select_related(
        "posting__cadre", "posting__sending_unit", "posting__receiving_unit"
    )
    return list((qs.only(*fields) if fields else qs).order_by("pk"))


# What the results table, its cohorts and its export read of a closed round's
# assessment: the stored result and the posting's labels. Five models a row
# are read either way; leaving the other columns out made the bench county's
# 63 rows 5.5 -> 4.0 ms. A field read that is not listed costs a query per row
# (tests/assessment/test_results.py counts them for the page and the export).
SHOWN_FIELDS = (
    "round_id",
    "posting_id",
    *RESULT_FIELDS,
    "posting__kind",
    "posting__post_rank",
    "posting__title",
    "posting__cadre__name",
    "posting__sending_unit__name",
    "posting__receiving_unit__name",
)


def _democratic(round_: Round) -> dict[int, scoring.DemocraticIn]:
    """Each ballot session of the round, keyed by assessment id. Ballots are
    read only for sessions that are closed and reached their turnout."""
    sessions = {s.pk: s for s in BallotSession.objects.filter(assessment__round=round_)}
    groups = defaultdict(list)
    for group in (
        RaterGroup.objects.filter(session_id__in=sessions)
        .annotate(
            issued=correlated_count(BallotCode, group="pk"),
            # Used codes: right while open too, when ballots are still pending.
            cast=correlated_count(BallotCode.objects.filter(used=True), group="pk"),
        )
        .order_by("session_id", "position", "pk")
    ):
        groups[group.session_id].append(group)
    counted, reasons = set(), {}
    for pk, session in sessions.items():
        cast = sum(g.cast for g in groups[pk])
        issued = sum(g.issued for g in groups[pk])
        turnout = Decimal(cast) * 100 / Decimal(issued) if issued else Decimal(0)
        reached = turnout_reached(
            cast=cast, issued=issued, min_pct=session.min_turnout_pct
        )
        if session.status != BallotSession.Status.CLOSED:
            reasons[pk] = _("民主测评尚未结束，结果密封，不计入")
        elif not reached:
            reasons[pk] = _(
                "参与率%(pct)s%%未达到最低要求%(min)s%%，结果密封，不计入"
            ) % {"pct": scoring.fmt(turnout), "min": session.min_turnout_pct}
        else:
            counted.add(pk)
    ballots = defaultdict(list)
    for group_id, grades in Ballot.objects.filter(
        group__session_id__in=counted
    ).values_list("group_id", "grades"):
        ballots[group_id].append(grades if isinstance(grades, dict) else {})
    out = {}
    for pk, session in sessions.items():
        out[session.assessment_id] = scoring.DemocraticIn(
            groups=[
                scoring.GroupIn(
                    name=g.name,
                    weight=g.weight,
                    # Sealed sessions: only how many ballots, never what they say.
                    ballots=ballots[g.pk] if pk in counted else (),
                    cast=None if pk in counted else g.cast,
                    issued=g.issued,
                )
                for g in groups[pk]
            ],
            counted=pk in counted,
            reason=reasons.get(pk, ""),
            min_turnout_pct=session.min_turnout_pct,
        )
    return out


def _warnings(round_: Round, posting_ids) -> dict[int, tuple[str, int]]:
    """Per posting: the highest level among its active warnings that occurred
    within the round's period (each warning's level as computed when it was
    filed), and how many there were."""
    found: dict[int, tuple[str, int]] = {}
    rows = Warning.objects.filter(
        posting_id__in=posting_ids,
        status=Warning.Status.ACTIVE,
        occurred_on__gte=round_.period_start,
        occurred_on__lte=round_.period_end,
    ).values_list("posting_id", "level")
    for posting_id, level in rows:
        top, n = found.get(posting_id, ("", 0))
        if not top or warning_severity(level) > warning_severity(top):
            top = level
        found[posting_id] = (top, n + 1)
    return found


def _evaluations(round_: Round) -> dict[int, dict[str, scoring.EvaluationIn]]:
    out: dict[int, dict[str, scoring.EvaluationIn]] = defaultdict(dict)
    for e in Evaluation.objects.filter(
        assessment__round=round_, status=Evaluation.Status.SUBMITTED
    ).select_related("author"):
        out[e.assessment_id][e.source] = scoring.EvaluationIn(
            source=e.source,
            author=str(e.author),
            submitted_on=f"{timezone.localdate(e.submitted_at):%Y-%m-%d}",
            scores=e.scores or {},
            indicator_scores=e.indicator_scores or {},
        )
    return out


def quota_cohort(posting, rules) -> str:
    """The 优秀 quota's cohort of a posting, as the results page names it: its
    kind or its post rank (labels, so the stored reason reads as it is)."""
    if rules.excellent_quota_cohort == "kind":
        return str(posting.get_kind_display())
    if rules.excellent_quota_cohort == "rank":
        return str(posting.get_post_rank_display() or "") if posting.post_rank else ""
    return ""


def compute_round(round_: Round) -> list[Row]:
    """Every assessment of the round scored from its current rows, in ranking
    order; six queries (seven with the template version not yet loaded)."""
    rules = rules_of(round_)
    assessments = _assessments(round_)
    evaluations = _evaluations(round_)
    democratic = _democratic(round_)
    warnings = _warnings(round_, [a.posting_id for a in assessments])
    inputs = []
    for a in assessments:
        level, n = warnings.get(a.posting_id, ("", 0))
        inputs.append(
            scoring.AssessmentIn(
                key=a.pk,
                evaluations=evaluations.get(a.pk, {}),
                democratic=democratic.get(a.pk),
                warning_level=level,
                warning_count=n,
                cohort=quota_cohort(a.posting, rules),
            )
        )
    by_pk = {a.pk: a for a in assessments}
    return [Row(by_pk[r.key], r) for r in scoring.score_round(inputs, rules)]


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except (InvalidOperation, TypeError):
        return None


def stored_result(assessment: Assessment) -> scoring.Result:
    """The result stored when the round closed, as a `scoring.Result`."""
    detail = assessment.detail or {}
    return scoring.Result(
        key=assessment.pk,
        score=assessment.score,
        raw_grade=assessment.raw_grade,
        grade=assessment.grade,
        reasons=list(detail.get("reasons", [])),
        ji=_decimal(detail.get("ji")),
        excellent_rate=_decimal(detail.get("excellent_rate")),
        explanation=detail,
        rank=assessment.rank,
    )


def round_rows(round_: Round) -> list[Row]:
    """A closed round's stored results; any other round's live preview."""
    if round_.is_closed:
        return [Row(a, stored_result(a)) for a in _assessments(round_, *SHOWN_FIELDS)]
    return compute_round(round_)


@transaction.atomic
def store_results(round_: Round, *, by=None) -> None:
    """Compute the round and store each assessment's result, with a history
    row each (the user from `by`, or the request's)."""
    rows = compute_round(round_)
    for row in rows:
        a, r = row.assessment, row.result
        a.score = r.score
        a.raw_grade = r.raw_grade
        a.grade = r.grade
        a.grade_reason = r.grade_reason
        a.rank = r.rank
        a.detail = r.explanation
    bulk_update_with_history(
        [row.assessment for row in rows],
        Assessment,
        RESULT_FIELDS,
        default_user=by,
        default_change_reason=_("考核结束，保存计算结果"),
    )


# --- Lines of the results table and the export --------------------------------


@dataclass
class Line:
    """One row of the results table: the rank within the chosen cohort, and
    the explanation entries of each dimension and source column (None when
    the assessment has no score, or the source was left out)."""

    rank: int | None
    assessment: Assessment
    result: scoring.Result
    dims: list[dict | None]
    sources: list[dict]

    @property
    def turnout(self) -> dict | None:
        return self.result.explanation.get("turnout")

    @property
    def grade_label(self) -> str:
        return scoring.grade_label(self.result.grade)


def dimension_columns(rules: Rules) -> list[tuple[str, str]]:
    return [(d, str(Dimension(d).label)) for d in scoring.weighted_dimensions(rules)]


def source_columns(rules: Rules) -> list[tuple[str, str]]:
    return [(s, str(Source(s).label)) for s in rules.source_weights]


def lines(rows: list[Row], rules: Rules) -> list[Line]:
    """The rows ranked among themselves (a cohort is ranked on its own), in
    display order."""
    by_key = {row.result.key: row for row in rows}
    dims = [d for d, _label in dimension_columns(rules)]
    sources = [s for s, _label in source_columns(rules)]
    out = []
    for position, result in scoring.rank([row.result for row in rows]):
        explanation = result.explanation
        dim_entries = {e["dim"]: e for e in explanation.get("dimensions", [])}
        source_entries = {e["source"]: e for e in explanation.get("sources", [])}
        out.append(
            Line(
                rank=position,
                assessment=by_key[result.key].assessment,
                result=result,
                dims=[dim_entries.get(d) for d in dims],
                sources=[source_entries.get(s) for s in sources],
            )
        )
    return out
