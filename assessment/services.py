"""Business rules of 考核方案 (templates) and 考核轮次 (rounds).

`require_round_status` is the shared guard every assessment write goes
through: set-up only while a round is open, scoring only while collecting,
nothing once closed.

Templates: a template's rules live in numbered versions that are never
edited; revising adds version N+1 and rounds keep the version they started
with. Rounds: one assessment per posting, every posting in scope of the
round's unit; open → collecting → closed, reopening with a reason; each move
is a `RoundEvent`. `rounds_propose` adds postings that reach their mid-term or
end-of-term date to system-proposed rounds (run nightly by Celery beat).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cadres.models import Role, Unit, User, ancestor_paths
from guazhi.queries import correlated_count
from obligations.rules import current_settings, managing_jurisdictions
from postings.models import Batch, Posting

from . import config as rules
from .models import (
    Assessment,
    BallotCode,
    BallotSession,
    Evaluation,
    Round,
    RoundEvent,
    Source,
    Template,
    TemplateVersion,
)

log = logging.getLogger(__name__)


def require_round_status(round_, *statuses):
    """Refuse (ValidationError, Chinese) unless `round_` is in one of `statuses`."""
    if round_.status in statuses:
        return
    if round_.status == Round.Status.CLOSED:
        raise ValidationError(
            _("本轮考核已结束，不能再修改。如需修改，请先重新开启并说明理由。"),
            code="round_closed",
        )
    if round_.status == Round.Status.OPEN:
        raise ValidationError(_("本轮考核尚未开始评分。"), code="round_not_started")
    raise ValidationError(
        _("本轮考核已开始评分，不能再调整考核对象和考核期。"),
        code="round_collecting",
    )


def _in_jurisdiction(user: User, unit: Unit) -> bool:
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.ORG_STAFF
        and user.unit is not None
        and unit.path.startswith(user.unit.path)
    )


def holding_units(user: User):
    """Units that may hold a template or a round for `user`: the regions
    (行政区域) of their jurisdiction and their own unit; all regions for admins."""
    regions = Q(kind=Unit.Kind.REGION)
    if user.role == Role.ADMIN:
        return Unit.objects.filter(regions)
    return Unit.objects.subtree(user.unit).filter(regions | Q(pk=user.unit_id))


# --- Templates (考核方案) -------------------------------------------------------


def may_revise_template(user: User, template: Template) -> bool:
    """A template is revised by its own unit's jurisdiction (or above); a county
    uses a province's template but does not change it."""
    return _in_jurisdiction(user, template.unit)


def latest_version(template: Template) -> TemplateVersion | None:
    return template.versions.order_by("-number").first()


def _check_config(config: dict) -> None:
    errors = rules.validate(config)
    if errors:
        raise ValidationError(errors, code="invalid_rules")


@transaction.atomic
def template_create(
    *, by: User, name: str, unit: Unit, config: dict, description: str = ""
) -> Template:
    """A new template with its rules as version 1."""
    if not _in_jurisdiction(by, unit):
        raise ValidationError({"unit": _("只能为本管辖范围内的单位制定考核方案。")})
    _check_config(config)
    template = Template(
        name=name.strip(), unit=unit, description=description.strip(), created_by=by
    )
    template.full_clean()
    template.save()
    TemplateVersion.objects.create(
        template=template, number=1, config=config, created_by=by
    )
    return template


@transaction.atomic
def template_revise(
    *, template: Template, by: User, config: dict, note: str
) -> TemplateVersion:
    """Add version N+1 with the new rules; earlier versions stay as they were."""
    if not may_revise_template(by, template):
        raise ValidationError(_("上级单位制定的考核方案只能由制定单位修订。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写修订说明。")})
    _check_config(config)
    # Serialises concurrent revisions, so that each gets its own number.
    template = Template.objects.select_for_update().get(pk=template.pk)
    latest = latest_version(template)
    if latest is not None and latest.config == config:
        raise ValidationError(_("规则与当前版本完全相同，无需修订。"))
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            return TemplateVersion.objects.create(
                template=template,
                number=number,
                config=config,
                note=note.strip(),
                created_by=by,
            )
    except IntegrityError as exc:
        raise ValidationError(_("方案刚被他人修订，请刷新后重试。")) from exc


# --- Rounds (考核轮次) -----------------------------------------------------------

# Postings that can be assessed: every one that has started (not 拟派).
ASSESSABLE = (
    Posting.Status.ACTIVE,
    Posting.Status.COMPLETED,
    Posting.Status.ENDED_EARLY,
)

ROUND_TRANSITIONS = {
    # action: (from, to, label)
    "start": (Round.Status.OPEN, Round.Status.COLLECTING, _lazy("开始评分")),
    "close": (Round.Status.COLLECTING, Round.Status.CLOSED, _lazy("结束考核")),
    "reopen": (Round.Status.CLOSED, Round.Status.COLLECTING, _lazy("重新开启")),
}


def overlaps_q(start: dt.date, end: dt.date) -> Q:
    """Postings whose term (to the actual end where it ended) meets [start, end]."""
    return Q(start_date__lte=end) & (
        Q(ended_on__isnull=True, planned_end_date__gte=start) | Q(ended_on__gte=start)
    )


def _names(qs) -> str:
    names = list(qs.order_by("cadre__name").values_list("cadre__name", flat=True))
    return "、".join(names[:10]) + (
        _("等%(n)d人") % {"n": len(names)} if len(names) > 10 else ""
    )


def _posting_errors(
    unit: Unit, posting_ids, period_start: dt.date, period_end: dt.date
) -> list[str]:
    """Why some of these postings cannot be in a round of `unit` over the period."""
    chosen = Posting.objects.filter(pk__in=posting_ids)
    errors = []
    outside = chosen.exclude(Posting.in_subtree_q(unit))
    if outside.exists():
        errors.append(
            _(
                "以下挂职的派出单位和接收单位都不在%(unit)s范围内，不能参加本轮考核：%(names)s。"
            )
            % {"unit": unit.name, "names": _names(outside)}
        )
    proposed = chosen.exclude(status__in=ASSESSABLE)
    if proposed.exists():
        errors.append(
            _("以下挂职尚未到岗（拟派），不能参加考核：%(names)s。")
            % {"names": _names(proposed)}
        )
    elsewhere = chosen.filter(status__in=ASSESSABLE).exclude(
        overlaps_q(period_start, period_end)
    )
    if elsewhere.exists():
        errors.append(
            _("以下挂职的期限与考核期（%(start)s至%(end)s）不重叠：%(names)s。")
            % {
                "start": f"{period_start:%Y-%m-%d}",
                "end": f"{period_end:%Y-%m-%d}",
                "names": _names(elsewhere),
            }
        )
    return errors


def _add_assessments(round_: Round, posting_ids: Iterable[int], by: User | None):
    try:
        with transaction.atomic():
            bulk_create_with_history(
                [Assessment(round=round_, posting_id=pk) for pk in posting_ids],
                Assessment,
                default_user=by,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("部分挂职已在本轮考核中，请刷新后重试。"), code="duplicate"
        ) from exc


def batch_postings(
    batch: Batch, period_start: dt.date, period_end: dt.date, *, by: User
):
    """A batch's postings that a round over the period assesses: those `by`
    sees (a posting moved out of the batch's jurisdiction stays out)."""
    return (
        Posting.objects.visible_to(by)
        .filter(batch=batch, status__in=ASSESSABLE)
        .filter(overlaps_q(period_start, period_end))
    )


@transaction.atomic
def round_create(
    *,
    by: User,
    name: str,
    kind: str,
    unit: Unit,
    template: Template,
    period_start: dt.date,
    period_end: dt.date,
    batch: Batch | None = None,
    postings: Iterable[Posting] | None = None,
) -> Round:
    """A round under the template's latest version, with one assessment per
    posting: the batch's postings over the period, or the chosen ones."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not _in_jurisdiction(by, unit):
        errors["unit"].append(_("只能在本管辖范围内组织考核。"))
    if period_end < period_start:
        errors["period_end"].append(_("考核期止不能早于考核期起。"))
    if not Template.objects.visible_to(by).filter(pk=template.pk).exists():
        errors["template"].append(_("请选择本管辖范围可用的考核方案。"))
    elif not unit.path.startswith(template.unit.path):
        errors["template"].append(
            _("“%(t)s”由%(u)s制定，只能用于该单位及其下级单位的考核。")
            % {"t": template.name, "u": template.unit.name}
        )
    if errors:
        raise ValidationError(dict(errors))
    if batch is not None:
        if not Batch.objects.visible_to(by).filter(pk=batch.pk).exists():
            raise ValidationError({"batch": _("请选择本管辖范围内的批次。")})
        posting_ids = list(
            batch_postings(batch, period_start, period_end, by=by).values_list(
                "pk", flat=True
            )
        )
        if not posting_ids:
            raise ValidationError(
                {"batch": _("该批次在考核期内没有已到岗的挂职。")}, code="empty"
            )
    else:
        posting_ids = sorted({p.pk for p in postings or ()})
        if not posting_ids:
            raise ValidationError(
                {"postings": _("请至少选择一项挂职，或选择一个批次。")}, code="empty"
            )
        if Posting.objects.visible_to(by).filter(pk__in=posting_ids).count() != len(
            posting_ids
        ):
            raise ValidationError({"postings": _("所选挂职不在您的管辖范围内。")})
    problems = _posting_errors(unit, posting_ids, period_start, period_end)
    if problems:
        raise ValidationError({"batch" if batch else "postings": problems})
    version = latest_version(template)
    round_ = Round(
        name=name.strip(),
        kind=kind,
        unit=unit,
        template_version=version,
        batch=batch,
        period_start=period_start,
        period_end=period_end,
        created_by=by,
    )
    round_.full_clean()
    round_._history_user = by
    round_.save()
    _add_assessments(round_, posting_ids, by)
    return round_


def _removal_blockers(assessment_ids) -> str:
    """Names of cadres whose assessment already has evaluations or ballots."""
    blocked = Assessment.objects.filter(pk__in=assessment_ids).filter(
        Exists(Evaluation.objects.filter(assessment=OuterRef("pk")))
        | Exists(BallotSession.objects.filter(assessment=OuterRef("pk")))
    )
    return _names_of_assessments(blocked)


def _names_of_assessments(qs) -> str:
    return "、".join(
        qs.order_by("posting__cadre__name").values_list(
            "posting__cadre__name", flat=True
        )
    )


@transaction.atomic
def round_update(
    *,
    round_: Round,
    by: User,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    postings: Iterable[Posting],
) -> Round:
    """Change name, period and the postings of a round that has not started."""
    round_ = Round.objects.select_for_update().select_related("unit").get(pk=round_.pk)
    require_round_status(round_, Round.Status.OPEN)
    if period_end < period_start:
        raise ValidationError({"period_end": _("考核期止不能早于考核期起。")})
    wanted = {p.pk for p in postings}
    if not wanted:
        raise ValidationError({"postings": _("本轮考核至少须有一项挂职。")})
    # Only what `by` sees is theirs to keep or remove: a posting moved out of
    # the jurisdiction since it was added stays in the round, untouched and
    # unnamed.
    current = dict(
        Assessment.objects.visible_to(by)
        .filter(round=round_)
        .values_list("posting_id", "pk")
    )
    removed = [current[pk] for pk in current.keys() - wanted]
    added = sorted(wanted - current.keys())
    if Posting.objects.visible_to(by).filter(pk__in=added).count() != len(added):
        raise ValidationError({"postings": _("所选挂职不在您的管辖范围内。")})
    if removed and (blocked := _removal_blockers(removed)):
        raise ValidationError(
            {
                "postings": _(
                    "以下干部的考核已有评价或民主测评，不能移出本轮考核：%(names)s。"
                )
                % {"names": blocked}
            }
        )
    problems = _posting_errors(round_.unit, wanted, period_start, period_end)
    if problems:
        raise ValidationError({"postings": problems})
    round_.name, round_.period_start, round_.period_end = (
        name.strip(),
        period_start,
        period_end,
    )
    round_.full_clean()
    round_._history_user = by
    round_.save(update_fields=["name", "period_start", "period_end"])
    for assessment in Assessment.objects.filter(pk__in=removed):
        assessment._history_user = by
        assessment.delete()  # nothing refers to it yet (checked above)
    if added:
        _add_assessments(round_, added, by)
    return round_


@transaction.atomic
def round_transition(
    *, round_: Round, action: str, by: User, reason: str = ""
) -> Round:
    """Move a round along open → collecting → closed (→ collecting again)."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    source, target, label = ROUND_TRANSITIONS[action]
    if action == "reopen" and round_.status != Round.Status.CLOSED:
        raise ValidationError(_("本轮考核尚未结束，无需重新开启。"), code="not_closed")
    require_round_status(round_, source)
    reason = reason.strip()
    if action == "reopen" and not reason:
        raise ValidationError(
            {"reason": _("重新开启考核须写明理由。")}, code="reason_required"
        )
    if action == "start" and not round_.assessments.exists():
        raise ValidationError(_("本轮考核还没有考核对象，不能开始评分。"))
    now = timezone.now()
    if action == "close":
        sessions = list(
            BallotSession.objects.select_for_update().filter(
                assessment__round=round_, status=BallotSession.Status.OPEN
            )
        )
        for session in sessions:
            session.status, session.closed_at = BallotSession.Status.CLOSED, now
        if sessions:
            bulk_update_with_history(
                sessions, BallotSession, ["status", "closed_at"], default_user=by
            )
            from .ballots import release_ballots

            release_ballots([s.pk for s in sessions])
        from .results import store_results

        store_results(round_, by=by)
    round_.status = target
    round_.closed_at = now if target == Round.Status.CLOSED else None
    if action == "start" and round_.deadline is None:
        round_.deadline = round_.default_deadline(timezone.localdate())
    round_._history_user = by
    round_.save(update_fields=["status", "closed_at", "deadline"])
    RoundEvent.objects.create(
        round=round_, from_status=source, to_status=target, reason=reason, by=by
    )
    return round_


@dataclass(frozen=True)
class RoundGaps:
    """What a round lacks when it is about to close, among the assessments the
    closing user sees, by cadre name: assessments whose weighted host or org
    evaluation is not submitted (`host_status` / `org_status` None or
    "draft"), and those whose 民主测评 is weighted but did not reach the
    minimum turnout (`ballots.turnout_reached`; `ballot_session` None when
    never opened, `ballots_cast` and `codes_issued` annotated).
    `state` fingerprints the round's status, its last move and these lists:
    a close confirmed against another state is refused."""

    host: list[Assessment]
    org: list[Assessment]
    ballots: list[Assessment]
    state: str

    def __bool__(self) -> bool:
        return bool(self.host or self.org or self.ballots)


def round_close_gaps(*, round_: Round, by: User) -> RoundGaps:
    from .ballots import turnout_reached

    weights = rules.Rules(round_.template_version.config).source_weights

    def status_of(source):
        return Subquery(
            Evaluation.objects.filter(assessment=OuterRef("pk"), source=source).values(
                "status"
            )[:1]
        )

    assessments = list(
        Assessment.objects.visible_to(by)
        .filter(round=round_)
        .select_related("posting__cadre", "posting__receiving_unit", "ballot_session")
        .annotate(
            host_status=status_of(Source.HOST),
            org_status=status_of(Source.ORG),
            codes_issued=correlated_count(BallotCode, group__session__assessment="pk"),
            ballots_cast=correlated_count(
                BallotCode.objects.filter(used=True), group__session__assessment="pk"
            ),
        )
        .order_by("posting__cadre__name", "pk")
    )

    def unsubmitted(source: str, status: str) -> list[Assessment]:
        if source not in weights:
            return []
        done = Evaluation.Status.SUBMITTED
        return [a for a in assessments if getattr(a, status) != done]

    host = unsubmitted(Source.HOST, "host_status")
    org = unsubmitted(Source.ORG, "org_status")
    low = []
    if Source.DEMOCRATIC in weights:
        for a in assessments:
            session = getattr(a, "ballot_session", None)
            if session is None or not turnout_reached(
                cast=a.ballots_cast,
                issued=a.codes_issued,
                min_pct=session.min_turnout_pct,
            ):
                low.append(a)
    last_move = round_.events.order_by("-pk").values_list("pk", flat=True).first()
    seen = (
        str(round_.status),
        last_move,
        *([a.pk for a in rows] for rows in (host, org, low)),
    )
    return RoundGaps(
        host=host,
        org=org,
        ballots=low,
        state=hashlib.sha256(repr(seen).encode()).hexdigest()[:16],
    )


@transaction.atomic
def round_close(*, round_: Round, by: User, state: str, reason: str = "") -> Round:
    """Close a round once `by` has seen what it lacks: `state` is the
    `RoundGaps.state` of the list shown. Refused, writing nothing, when the
    round has moved or its gaps changed in the meantime."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    require_round_status(round_, Round.Status.COLLECTING)
    if round_close_gaps(round_=round_, by=by).state != state:
        raise ValidationError(
            _(
                "本轮考核的情况在您确认前已有变化（评价、民主测评或轮次状态），请核对下面的最新情况后重新确认。"
            ),
            code="changed",
        )
    return round_transition(round_=round_, action="close", by=by, reason=reason)


# --- Rounds proposed by the system ----------------------------------------------


def proposal_horizons(today: dt.date) -> tuple[dt.date, dt.date]:
    """(mid-term dates up to, planned ends up to) that are proposed a round
    today: early enough that a mid-term or final round exists ROUND_LEAD_DAYS
    days (a setting, default 30) before the review falls due, so that
    reminders and obligations have a round to point to (issue 17). The final
    review falls due FINAL_ASSESSMENT_DAYS_BEFORE_END days before the planned
    end (obligations.rules.final_assessment_due_on; seed 002: 在掛職中期和
    結束前……考核)."""
    values = current_settings()
    lead = dt.timedelta(days=values["ROUND_LEAD_DAYS"])
    before_end = dt.timedelta(days=values["FINAL_ASSESSMENT_DAYS_BEFORE_END"])
    return today + lead, today + lead + before_end


def proposed_round_name(kind: str, today: dt.date) -> str:
    return _("%(y)d年%(m)d月%(kind)s（系统建议）") % {
        "y": today.year,
        "m": today.month,
        "kind": Round.Kind(kind).label,
    }


def _due_postings(today: dt.date) -> list[tuple[str, tuple]]:
    """(kind, row) of every active posting due for a mid-term or final round
    that is not yet in a round of that kind. A posting whose final round is
    due is not proposed for a mid-term one any more."""
    midterm_horizon, final_horizon = proposal_horizons(today)
    fields = (
        "pk",
        "start_date",
        "batch__unit_id",
        "batch__unit__path",
        "sending_unit__path",
        "receiving_unit__path",
    )
    due = []
    for kind, due_filter, due_field in (
        (
            Round.Kind.MIDTERM,
            Q(midterm_date__lte=midterm_horizon, planned_end_date__gt=final_horizon),
            "midterm_date",
        ),
        (Round.Kind.FINAL, Q(planned_end_date__lte=final_horizon), "planned_end_date"),
    ):
        assessed = Assessment.objects.filter(posting=OuterRef("pk"), round__kind=kind)
        rows = (
            Posting.objects.active()
            .filter(due_filter)
            .exclude(Exists(assessed))
            .order_by("pk")
            .values_list(*fields, due_field)
        )
        due.extend((kind, row) for row in rows)
    return due


def _jurisdictions(rows) -> dict[int, tuple[int, str]]:
    """Posting id → (unit id, path) of the jurisdiction that holds its round:
    the managing jurisdiction (obligations.rules.managing_jurisdictions), the
    one whose org staff owe its reviews."""
    return managing_jurisdictions(
        (pk, batch_unit, batch_path, send, recv)
        for pk, _start, batch_unit, batch_path, send, recv, _due in rows
    )


def _templates_for(unit_paths: set[str]) -> dict[str, int]:
    """Unit path → id of the newest template version of the nearest unit at or
    above it that has a template."""
    above = {p for path in unit_paths for p in ancestor_paths(path)}
    newest: dict[str, tuple] = {}
    for pk, created, path in TemplateVersion.objects.filter(
        template__unit__path__in=above
    ).values_list("pk", "created_at", "template__unit__path"):
        if path not in newest or (created, pk) > newest[path]:
            newest[path] = (created, pk)
    chosen = {}
    for path in unit_paths:
        for p in reversed(ancestor_paths(path)):
            if p in newest:
                chosen[path] = newest[p][1]
                break
    return chosen


@transaction.atomic
def rounds_propose(*, today: dt.date | None = None) -> int:
    """Put postings due for a mid-term or final review into system-proposed
    rounds, one per jurisdiction, kind and month; return how many were added.

    Idempotent (a posting already in a round of the kind is skipped) and
    set-based: the same handful of queries however many postings are due.
    Beat runs one instance, so two runs never race.
    """
    today = today or timezone.localdate()
    due = _due_postings(today)
    if not due:
        return 0
    where = _jurisdictions([row for _kind, row in due])
    templates = _templates_for({path for _unit, path in where.values()})
    groups: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for kind, row in due:
        unit = where.get(row[0])
        if unit is None:
            log.warning("posting %s: no region above its sending unit", row[0])
        elif unit[1] not in templates:
            log.warning("unit %s: no template version; no round proposed", unit[0])
        else:
            groups[(unit[0], kind)].append(row)
    if not groups:
        return 0
    paths = {unit_id: path for unit_id, path in where.values()}
    names = {kind: proposed_round_name(kind, today) for kind in Round.Kind}
    existing = {
        (r.unit_id, r.kind): r
        for r in Round.objects.filter(
            auto_proposed=True,
            status=Round.Status.OPEN,
            unit_id__in={unit for unit, _kind in groups},
            name__in=names.values(),
        ).order_by("pk")
        if r.name == names[r.kind]
    }
    new_rounds, widened = [], []
    for (unit_id, kind), rows in groups.items():
        start = min(row[1] for row in rows)
        end = max(row[6] for row in rows)
        round_ = existing.get((unit_id, kind))
        if round_ is None:
            new_rounds.append(
                Round(
                    name=names[kind],
                    kind=kind,
                    unit_id=unit_id,
                    template_version_id=templates[paths[unit_id]],
                    period_start=start,
                    period_end=max(end, start),
                    auto_proposed=True,
                )
            )
        elif start < round_.period_start or end > round_.period_end:
            round_.period_start = min(start, round_.period_start)
            round_.period_end = max(end, round_.period_end)
            widened.append(round_)
    if new_rounds:
        for round_ in bulk_create_with_history(new_rounds, Round):
            existing[(round_.unit_id, round_.kind)] = round_
    if widened:
        bulk_update_with_history(widened, Round, ["period_start", "period_end"])
    assessments = [
        Assessment(round=existing[key], posting_id=row[0])
        for key, rows in groups.items()
        for row in rows
    ]
    bulk_create_with_history(assessments, Assessment)
    return len(assessments)
