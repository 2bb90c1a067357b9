"""Host and organisation evaluations (接收单位评价、组织部考核、述职评议).

Who evaluates what: the host leader of the receiving unit scores the `host`
source; org staff whose jurisdiction holds the round score `org`, and `self`
(述职评议) when the round's template weights it. A source weighted 0 is not
collected at all. Admins do not evaluate.

One evaluation per (assessment, source). Drafts may be partial and may be
continued by any user of the same role; `author` is the last one who saved,
and the history keeps every editor. A submitted evaluation is read-only; the
round closing makes everything read-only.

Scores are stored as JSON numbers (an int when whole, else a float of at most
one decimal place): read them back with `Decimal(str(value))`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Role
from records.host_write import HostWrite, require_host_write
from records.models import (
    Attachment,
    Commendation,
    MonthlyNote,
    Report,
    Talk,
    Training,
    Warning,
    WorkLog,
)

from .config import Rules
from .models import Assessment, Dimension, Evaluation, Round, Source
from .scoring import weighted_dimensions
from .services import require_round_status

# Sources each role scores (before the template's weights are applied).
ROLE_SOURCES = {
    Role.HOST_LEADER: (Source.HOST,),
    Role.ORG_STAFF: (Source.ORG, Source.SELF),
}
EVALUATED_SOURCES = (Source.HOST, Source.ORG, Source.SELF)
ONE_PLACE = Decimal("0.1")


# --- Form field names (the form and the service's errors share them) ---------


def score_field(dim: str) -> str:
    return f"score_{dim}"


def indicator_field(dim: str, index: int) -> str:
    return f"ind_{dim}_{index}"


def comment_field(dim: str) -> str:
    return f"comment_{dim}"


# --- Who may evaluate --------------------------------------------------------


def rules_of(assessment: Assessment) -> Rules:
    return Rules(assessment.round.template_version.config)


def evaluable(user):
    """Assessments `user` may evaluate some source of, in any round state.

    Their scope (`Assessment.objects.visible_to`: for org staff the round's
    as well as the posting's); a host leader scores their own unit's."""
    role = getattr(user, "role", None)
    qs = Assessment.objects.visible_to(user)
    if role == Role.HOST_LEADER:
        return qs.filter(posting__receiving_unit_id=user.unit_id)
    if role == Role.ORG_STAFF:
        return qs
    return qs.none()


def sources_for(user, assessment: Assessment) -> list[str]:
    """Sources `user` scores on `assessment`, which must come from `evaluable`."""
    weighted = rules_of(assessment).source_weights
    mine = ROLE_SOURCES.get(getattr(user, "role", None), ())
    return [s.value for s in mine if s.value in weighted]


# --- Saving ------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _check(value, maximum: int, field: str, errors: dict) -> Decimal | None:
    """A score 0..maximum with at most one decimal place, or None if blank."""
    if value is None or value == "":
        return None
    try:
        value = Decimal(str(value))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= maximum:
        errors[field] = _("得分须在0到%(max)s之间。") % {"max": maximum}
        return None
    if value != value.quantize(ONE_PLACE):
        errors[field] = _("最多保留一位小数。")
        return None
    return value


@dataclass
class _Parsed:
    scores: dict
    indicator_scores: dict
    comments: dict


def _parse(rules: Rules, scores, indicator_scores, comments, submit) -> _Parsed:
    """Check every value against the template; raise ValidationError per field."""
    errors: dict[str, str] = {}
    out = _Parsed({}, {}, {})
    indicators = rules.indicators
    basic = rules.thresholds["basic"]
    for dim in weighted_dimensions(rules):
        label = Dimension(dim).label
        if dim in indicators:
            given = list(indicator_scores.get(dim) or [])
            given += [None] * (len(indicators[dim]) - len(given))
            points = [
                _check(given[i], item["points"], indicator_field(dim, i), errors)
                for i, item in enumerate(indicators[dim])
            ]
            if any(p is not None for p in points):
                out.indicator_scores[dim] = [
                    None if p is None else _number(p) for p in points
                ]
            missing = [i for i, p in enumerate(points) if p is None]
            score = None if missing else sum(points, Decimal(0))
            if submit:
                for i in missing:
                    errors.setdefault(
                        indicator_field(dim, i), _("提交前须为每个指标打分。")
                    )
        else:
            score = _check(scores.get(dim), 100, score_field(dim), errors)
            if submit and score is None:
                errors.setdefault(
                    score_field(dim),
                    _("提交前须为“%(dim)s”打分。") % {"dim": label},
                )
        if score is not None:
            out.scores[dim] = _number(score)
        comment = (comments.get(dim) or "").strip()
        if comment:
            out.comments[dim] = comment
        elif submit and score is not None and score < basic:
            errors[comment_field(dim)] = _(
                "“%(dim)s”得分低于基本称职分数线（%(basic)s分），须填写评语。"
            ) % {"dim": label, "basic": basic}
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def evaluation_save(
    *,
    assessment: Assessment,
    source: str,
    by,
    scores: dict,
    comments: dict,
    indicator_scores: dict,
    submit: bool,
) -> Evaluation:
    """Save the draft of one source's evaluation, or submit it (then read-only).

    `scores`: dimension → Decimal 0–100 or None; `indicator_scores`:
    dimension → list of Decimal (0..the indicator's points) or None, in the
    template's order, for dimensions with indicators; `comments`: dimension
    → text. A draft may leave anything blank; a submission needs every
    weighted dimension, and a comment where a score is below the basic
    threshold. Writes only while the round is collecting (for the host
    leader, as the host-write rule says, whatever the posting's status).
    """
    round_ = Round.objects.select_for_update().get(pk=assessment.round_id)
    require_host_write(
        assessment.posting,
        by,
        what=HostWrite.EVALUATION,
        round_collecting=round_.status == Round.Status.COLLECTING,
    )
    require_round_status(round_, Round.Status.COLLECTING)
    assessment.round = round_
    in_scope = evaluable(by).filter(pk=assessment.pk).exists()
    if not in_scope or source not in sources_for(by, assessment):
        raise ValidationError(_("您不能填写这项评价。"), code="source")
    evaluation = Evaluation.objects.select_for_update().filter(
        assessment=assessment, source=source
    ).first() or Evaluation(assessment=assessment, source=source)
    if evaluation.status == Evaluation.Status.SUBMITTED:
        raise ValidationError(
            _("该评价已经提交，不能再修改。"), code="evaluation_submitted"
        )
    parsed = _parse(rules_of(assessment), scores, indicator_scores, comments, submit)
    evaluation.scores = parsed.scores
    evaluation.indicator_scores = parsed.indicator_scores
    evaluation.comments = parsed.comments
    evaluation.author = by  # the last editor; history keeps every one
    if submit:
        evaluation.status = Evaluation.Status.SUBMITTED
        evaluation.submitted_at = timezone.now()
    evaluation._history_user = by
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError as exc:
        raise ValidationError(
            _("这项评价刚刚已由他人创建，请刷新页面后再填写。"), code="duplicate"
        ) from exc
    return evaluation


# --- The record beside the form ----------------------------------------------


@dataclass
class PeriodRecord:
    """A posting's dossier records for an assessment period."""

    start: dt.date
    end: dt.date
    notes: list[MonthlyNote]
    reports: list[Report]
    warnings: list[Warning]
    talks: list[Talk]
    trainings: list[Training]
    commendations: list[Commendation]
    worklog_count: int

    @property
    def days_present(self) -> int:
        return sum(n.days_present for n in self.notes)

    @property
    def days_absent(self) -> int:
        return sum(n.days_absent for n in self.notes)

    @property
    def days_leave(self) -> int:
        return sum(n.days_leave for n in self.notes)


def period_record(posting_id: int, start: dt.date, end: dt.date) -> PeriodRecord:
    """What was recorded about a posting in [start, end]; one query per kind.

    A monthly note counts when its month overlaps the period; a report when it
    was due or filed in it; a training when its days overlap it."""
    mine = {"posting_id": posting_id}
    files = Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    return PeriodRecord(
        start=start,
        end=end,
        notes=list(
            MonthlyNote.objects.filter(
                **mine, month__gte=start.replace(day=1), month__lte=end
            )
            .select_related("author")
            .order_by("month")
        ),
        reports=list(
            Report.objects.filter(
                Q(due_date__range=(start, end))
                | Q(created_at__date__range=(start, end)),
                **mine,
            )
            .prefetch_related(files)
            .order_by("due_date", "pk")
        ),
        warnings=list(
            Warning.objects.filter(**mine, occurred_on__range=(start, end)).order_by(
                "occurred_on", "pk"
            )
        ),
        talks=list(
            Talk.objects.filter(**mine, talked_on__range=(start, end)).order_by(
                "talked_on", "pk"
            )
        ),
        trainings=list(
            Training.objects.filter(
                **mine, start_date__lte=end, end_date__gte=start
            ).order_by("start_date", "pk")
        ),
        commendations=list(
            Commendation.objects.filter(
                **mine, awarded_on__range=(start, end)
            ).order_by("awarded_on", "pk")
        ),
        worklog_count=WorkLog.objects.filter(**mine, date__range=(start, end)).count(),
    )


# --- Task lists --------------------------------------------------------------


def _weighted_q(source: str) -> Q:
    return Q(**{f"round__template_version__config__sources__{source}__gt": 0})


def task_queryset(user):
    """Assessments of collecting rounds where `user` scores at least one
    weighted source, each annotated per source of the user's role with
    `<source>_weighted`, `<source>_status` ("" when not started) and
    `pending` (some weighted source of theirs not yet submitted)."""
    sources = [s.value for s in ROLE_SOURCES.get(getattr(user, "role", None), ())]
    qs = evaluable(user).filter(round__status=Round.Status.COLLECTING)
    if not sources:
        return qs.none()
    anyone = Q()
    for source in sources:
        anyone |= _weighted_q(source)
    qs = qs.filter(anyone)
    pending = Q()
    for source in sources:
        done = Evaluation.objects.filter(
            assessment=OuterRef("pk"),
            source=source,
            status=Evaluation.Status.SUBMITTED,
        )
        status = Evaluation.objects.filter(
            assessment=OuterRef("pk"), source=source
        ).values("status")[:1]
        qs = qs.annotate(
            **{
                f"{source}_weighted": Q(_weighted_q(source)),
                f"{source}_status": Subquery(status),
            }
        )
        pending |= _weighted_q(source) & ~Exists(done)
    return qs.annotate(pending=pending).select_related(
        "round", "posting__cadre", "posting__receiving_unit"
    )


@dataclass(frozen=True)
class Task:
    source: str
    label: str
    status: str  # "", "draft" or "submitted"

    @property
    def status_label(self) -> str:
        if not self.status:
            return _("待评价")
        return str(Evaluation.Status(self.status).label)


def tasks_of(user, assessment) -> list[Task]:
    """The user's sources on one row of `task_queryset`, weighted ones only."""
    out = []
    for source in ROLE_SOURCES.get(getattr(user, "role", None), ()):
        if getattr(assessment, f"{source.value}_weighted", False):
            status = getattr(assessment, f"{source.value}_status", None) or ""
            out.append(Task(source.value, str(source.label), status))
    return out


def posting_tasks(user, posting) -> list[tuple[Assessment, list[Task]]]:
    """For the posting page: the posting's assessments in collecting rounds
    that `user` evaluates, with their sources; one query."""
    rows = task_queryset(user).filter(posting=posting).order_by("round_id")
    return [(a, tasks_of(user, a)) for a in rows]


# --- Reading an evaluation ---------------------------------------------------


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    weight: int
    score: object  # Decimal, or None when not scored
    indicators: list  # (name, points, awarded or None)
    comment: str


def evaluation_rows(rules: Rules, evaluation: Evaluation | None) -> list[Row]:
    """One row per weighted dimension, as the read-only page shows it."""
    scores = evaluation.scores if evaluation else {}
    given = evaluation.indicator_scores if evaluation else {}
    comments = evaluation.comments if evaluation else {}
    weights = rules.dimension_weights
    rows = []
    for dim in weighted_dimensions(rules):
        points = list(given.get(dim) or [])
        items = rules.indicators.get(dim, [])
        points += [None] * (len(items) - len(points))
        rows.append(
            Row(
                code=dim,
                label=str(Dimension(dim).label),
                weight=weights[dim],
                score=None if scores.get(dim) is None else Decimal(str(scores[dim])),
                indicators=[
                    (item["name"], item["points"], p)
                    for item, p in zip(items, points, strict=False)
                ],
                comment=comments.get(dim, ""),
            )
        )
    return rows
