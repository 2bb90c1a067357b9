import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import (
    Cadre,
    Rank,
    Role,
    Unit,
    UnitLevel,
    User,
    ancestor_paths,
    chain_levels,
    unit_levels,
)
from cadres.ranks import Fit, rank_fit
from guazhi.dates import add_months

from . import placement
from .models import (
    DEFAULT_TERMS,
    NOT_BEGUN,
    Assignment,
    Batch,
    Extension,
    Nomination,
    OpenPost,
    Posting,
    Reminder,
    RuleOverride,
    StatusChange,
    cadres_in_jurisdiction,
    cadres_visible_to,
    infer_category,
    midpoint,
)
from .rules import TEAM_LIMIT

ACTIVE_CONFLICT = "该干部已有一项在岗的挂职，同一时间只能有一项在岗挂职（兼任职务请作为该挂职的岗位记录）。"
# 期满 may be processed a little before the last day (hand-over, holidays).
COMPLETE_EARLY_GRACE = dt.timedelta(days=15)
LIVE = (Posting.Status.PROPOSED, Posting.Status.ACTIVE)


# --- Rules (DOMAIN.md rules 1-4): the one place forms, the import and the
# placement assistant ask ---------------------------------------------------


@dataclass(frozen=True)
class SoftViolation:
    rule: str  # a RuleOverride.Rule value
    detail: str


@dataclass
class RuleData:
    """What rules 1 to 3 read of the database, loaded once for many postings
    (the import's file) so that each posting's check runs in memory: the same
    functions decide (hard_rule_errors, soft_violations), `data` only says
    where they read. Not for a single posting: the forms read directly."""

    live: dict  # cadre id -> that cadre's proposed and active postings
    at_unit: dict  # receiving unit id -> (pk, cadre id, start, end) live there
    units: dict  # path -> Unit, every unit above the postings' units

    @classmethod
    def load(cls, postings) -> "RuleData":
        postings = list(postings)
        cadres = {p.cadre_id for p in postings}
        receiving = {p.receiving_unit_id for p in postings}
        live: dict = {}
        for other in Posting.objects.filter(
            cadre_id__in=cadres, status__in=LIVE
        ).select_related("cadre", "receiving_unit"):
            live.setdefault(other.cadre_id, []).append(other)
        at_unit: dict = {}
        for row in Posting.objects.filter(
            receiving_unit_id__in=receiving, status__in=LIVE
        ).values_list(
            "receiving_unit_id", "pk", "cadre_id", "start_date", "planned_end_date"
        ):
            at_unit.setdefault(row[0], []).append(row[1:])
        paths = {
            path
            for p in postings
            for unit in (p.sending_unit, p.receiving_unit)
            for path in ancestor_paths(unit.path)
        }
        units = {u.path: u for u in Unit.objects.filter(path__in=paths)}
        return cls(live=live, at_unit=at_unit, units=units)

    def unit_levels(self, unit: Unit):
        """cadres.models.unit_levels from the loaded units."""
        chain = [self.units[p] for p in ancestor_paths(unit.path) if p in self.units]
        return chain_levels(chain)


def _in_jurisdiction(posting: Posting, unit) -> bool:
    """Whether `posting` sends or receives within `unit`'s subtree, in memory
    (the posting may not be saved yet): `Posting.in_subtree_q` as a test."""
    return posting.sending_unit.path.startswith(
        unit.path
    ) or posting.receiving_unit.path.startswith(unit.path)


def one_posting_at_a_time_clashes(
    cadre_ids,
    *,
    start: dt.date,
    end: dt.date,
    activating: bool = False,
    exclude=None,
    data: RuleData | None = None,
) -> dict[int, str]:
    """Rule 1 for several cadres at once: for each cadre whose posting from
    `start` to `end` would break it, the refusal naming the other posting.

    DOMAIN.md rule 1: a cadre has one posting at a time. Seed 002 (工作要与原单位
    脱钩…掛職期間一般不再接受原單位的工作安排) detaches the cadre for the term;
    further roles belong inside that one posting, as rotations (seed 000,
    探索多岗位挂职锻炼方式…轮岗) or concurrent posts (seed 001, 双挂双岗).
    So a proposed or active posting may not overlap in time another proposed or
    active posting of the same cadre (ended ones do not count; one ending the
    day the next starts does not overlap). A posting being activated also
    waits for an earlier one still in post, overlapping or not: one posting in
    progress per cadre, as the database's posting_one_active_per_cadre says.
    """
    if data is not None:
        others = sorted(
            (
                other
                for cadre_id in cadre_ids
                for other in data.live.get(cadre_id, ())
                if other.pk != exclude
                and (
                    (other.start_date < end and other.planned_end_date > start)
                    or (activating and other.status == Posting.Status.ACTIVE)
                )
            ),
            key=lambda other: (other.start_date, other.pk),
            reverse=True,
        )
    else:
        clash = Q(start_date__lt=end, planned_end_date__gt=start)
        if activating:
            clash |= Q(status=Posting.Status.ACTIVE)
        others = (
            Posting.objects.filter(clash, cadre_id__in=cadre_ids, status__in=LIVE)
            .select_related("cadre", "receiving_unit")
            .order_by("-start_date", "-pk")  # the earliest last: it wins below
        )
        if exclude is not None:
            others = others.exclude(pk=exclude)
    statuses = dict(Posting.Status.choices)
    found = {}
    for other in others:
        names = {
            "cadre": other.cadre.name,
            "status": statuses[other.status],
            "unit": other.receiving_unit.name,
            "title": other.title,
            "start": f"{other.start_date:%Y-%m-%d}",
            "end": f"{other.planned_end_date:%Y-%m-%d}",
        }
        if other.start_date < end and other.planned_end_date > start:
            found[other.cadre_id] = (
                _(
                    "%(cadre)s已有%(status)s的挂职：%(unit)s%(title)s"
                    "（%(start)s至%(end)s），时间与之重叠。同一时间只能有一项"
                    "拟派或在岗的挂职；兼任职务请作为该挂职的岗位安排记录。"
                )
                % names
            )
        else:
            found[other.cadre_id] = (
                _(
                    "%(cadre)s的挂职%(unit)s%(title)s（%(start)s至%(end)s）"
                    "仍在岗，须先办理期满结束或提前结束，才能到岗。"
                )
                % names
            )
    return found


def one_posting_at_a_time(posting: Posting, data: RuleData | None = None) -> str:
    """Rule 1 for one posting, saved or not (see one_posting_at_a_time_clashes):
    the refusal naming the other posting, or "" when the rule holds. What the
    forms, the placement assistant, the transitions, extensions and the
    import ask."""
    if posting.status not in LIVE or not (
        posting.start_date and posting.planned_end_date
    ):
        return ""
    clashes = one_posting_at_a_time_clashes(
        [posting.cadre_id],
        start=posting.start_date,
        end=posting.planned_end_date,
        activating=posting.status == Posting.Status.ACTIVE,
        exclude=posting.pk,
        data=data,
    )
    return clashes.get(posting.cadre_id, "")


def hard_rule_errors(
    posting: Posting, *, by: User, data: RuleData | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if posting.start_date and posting.planned_end_date:
        if posting.planned_end_date <= posting.start_date:
            errors["planned_end_date"] = "计划结束日期必须晚于开始日期。"
    if by.role == Role.ORG_STAFF and not _in_jurisdiction(posting, by.unit):
        errors["receiving_unit"] = "派出单位或接收单位至少有一个须在本部门管辖范围内。"
    # A batch holds only what its own jurisdiction's staff may see, whoever
    # adds to it (city staff cannot put another county's posting in a county's).
    if posting.batch_id and not _in_jurisdiction(posting, posting.batch.unit):
        errors["batch"] = (
            f"派出单位或接收单位至少有一个须在本批次的管辖范围（{posting.batch.unit.name}）内。"
        )
    if posting.sending_unit_id == posting.receiving_unit_id:
        errors["receiving_unit"] = "接收单位不能与派出单位相同。"
    if clash := one_posting_at_a_time(posting, data):
        errors["cadre"] = clash
    if posting.predecessor_id:
        before = posting.predecessor
        if before.receiving_unit_id != posting.receiving_unit_id:
            errors["predecessor"] = "接力前任须在同一接收单位挂职。"
        elif before.cadre_id == posting.cadre_id:
            errors["predecessor"] = "接力前任不能是本人。"
        elif before.status in NOT_BEGUN:
            errors["predecessor"] = (
                "接力前任的挂职已撤回。"
                if before.status == Posting.Status.WITHDRAWN
                else "接力前任的挂职尚未开始。"
            )
        elif (
            Posting.objects.filter(predecessor_id=posting.predecessor_id)
            .exclude(pk=posting.pk)
            .exists()
        ):
            errors["predecessor"] = "该前任已有接力的继任者。"
    return errors


def soft_violations(
    posting: Posting, data: RuleData | None = None
) -> list[SoftViolation]:
    found = []
    if data is not None:
        overlapping = sum(
            1
            for pk, cadre_id, start, end in data.at_unit.get(
                posting.receiving_unit_id, ()
            )
            if start < posting.planned_end_date
            and end > posting.start_date
            and pk != posting.pk
            and cadre_id != posting.cadre_id
        )
    else:
        overlapping = (
            Posting.objects.filter(
                receiving_unit_id=posting.receiving_unit_id,
                status__in=LIVE,
                start_date__lt=posting.planned_end_date,
                planned_end_date__gt=posting.start_date,
            )
            .exclude(pk=posting.pk)
            .exclude(cadre_id=posting.cadre_id)
            .count()
        )
    if overlapping >= TEAM_LIMIT:
        found.append(
            SoftViolation(
                RuleOverride.Rule.TEAM_LIMIT,
                f"{posting.receiving_unit.name}同期已有{overlapping}名挂职干部（一般不超过{TEAM_LIMIT}名）",
            )
        )
    rank, post_rank = posting.cadre.rank, posting.post_rank
    if post_rank and rank_fit(rank, post_rank) is Fit.UNFIT:
        found.append(
            SoftViolation(
                RuleOverride.Rule.RANK_FIT,
                f"干部职级{Rank(rank).label}，岗位职级{Rank(post_rank).label}（一般平职或低一职安排）",
            )
        )
    if detail := kind_level_mismatch(posting, data):
        found.append(SoftViolation(RuleOverride.Rule.KIND_LEVEL, detail))
    return found


def kind_level_mismatch(posting: Posting, data: RuleData | None = None) -> str:
    """Whether the posting kind fits its units' levels (cadres.models.unit_levels):
    the mismatch, or "" when it fits or a level is unknown.

    Seed 000 (seeds/000_db79bc7bf828b74d.txt) names the three kinds, 三派:
    外派挂职 赴经济发达地区, 下派挂职 到乡(镇), 上派挂职 到上级机关. So a 下派 goes
    to a unit of a lower level than the sending unit's, a 上派 to a higher one,
    and a 外派 outside the sending unit's city (a province-level unit's own
    province). A soft rule: exceptions are recorded with their reason.
    """
    levels_of = data.unit_levels if data is not None else unit_levels
    sending = levels_of(posting.sending_unit)
    receiving = levels_of(posting.receiving_unit)
    if not sending or not receiving:
        return ""
    (home, home_level), (host, host_level) = sending[-1], receiving[-1]
    if posting.kind == Posting.Kind.OUTWARD:
        area = _home_area(sending)
        if area is None or not host.path.startswith(area.path):
            return ""
        return (
            f"外派应到派出单位所在的{area.name}以外：接收单位{host.name}在{area.name}内"
        )
    if home_level is None or host_level is None:
        return ""
    levels = f"派出单位{home.name}为{home_level.label}，接收单位{host.name}为{host_level.label}"
    if posting.kind == Posting.Kind.DOWNWARD and host_level <= home_level:
        return f"下派应到层级更低的单位：{levels}"
    if posting.kind == Posting.Kind.UPWARD and host_level >= home_level:
        return f"上派应到层级更高的单位：{levels}"
    return ""


def _home_area(levels: list[tuple[Unit, UnitLevel | None]]) -> Unit | None:
    """The city a unit lies in (the province, for a province-level unit)."""
    regions = [
        unit
        for unit, level in levels
        if unit.kind == Unit.Kind.REGION
        and level is not None
        and level <= UnitLevel.CITY
    ]
    return regions[-1] if regions else None


def check_posting(posting: Posting, *, by: User, override_reason: str = "") -> list:
    """Raise on a broken hard rule or an unexplained soft one; return the soft ones."""
    errors = hard_rule_errors(posting, by=by)
    if errors:
        raise ValidationError(errors)
    soft = soft_violations(posting)
    if posting.pk:  # a rule already set aside with a reason stays set aside
        recorded = set(posting.overrides.values_list("rule", flat=True))
        soft = [v for v in soft if v.rule not in recorded]
    if soft and not override_reason.strip():
        details = "；".join(v.detail for v in soft)
        raise ValidationError(
            {"override_reason": f"{details}。如确需这样安排，请填写理由。"},
            code="soft_rule_needs_reason",
        )
    return soft


def default_end_date(*, start: dt.date, category: str, batch: Batch | None) -> dt.date:
    months = batch.term_months(category) if batch else DEFAULT_TERMS.get(category, 12)
    return add_months(start, months)


def post_category(*, title: str, receiving_unit: Unit | None, category: str) -> str:
    """The post category a posting is saved with: the one chosen, else the one
    the title and the receiving unit make certain (infer_category); else the
    user is asked. Never a silent 其他: the category sets the default term
    (DOMAIN.md rule 4, seed 002 seeds/002_04891ba99692d873.txt)."""
    if category:
        return category
    kind = receiving_unit.kind if receiving_unit is not None else ""
    if inferred := infer_category(title or "", kind):
        return inferred
    raise ValidationError(
        {
            "category": f"无法根据挂任职务“{title}”和接收单位判断岗位类别，"
            "请选择岗位类别（它决定默认期限）。"
        },
        code="category_needed",
    )


# --- Postings ----------------------------------------------------------------


def _lock_cadre(cadre_id: int) -> None:
    """Rule 1 is checked, then written: one cadre's postings are saved one
    after another. The database holds only its in-post half
    (posting_one_active_per_cadre); overlapping proposals need this lock."""
    list(Cadre.objects.select_for_update().filter(pk=cadre_id).values_list("pk"))


@transaction.atomic
def _save_posting(posting: Posting, *, by: User, override_reason: str) -> Posting:
    _lock_cadre(posting.cadre_id)
    soft = check_posting(posting, by=by, override_reason=override_reason)
    posting.set_midterm_date()
    posting.full_clean(validate_constraints=False)
    posting._history_user = by
    try:
        with transaction.atomic():
            posting.save()
            RuleOverride.objects.bulk_create(
                RuleOverride(
                    posting=posting,
                    rule=v.rule,
                    detail=v.detail,
                    reason=override_reason.strip(),
                    by=by,
                )
                for v in soft
                if not posting.overrides.filter(rule=v.rule).exists()
            )
    except IntegrityError as exc:
        # A concurrent save won a race the checks above could not see; say
        # which rule it was where the checks can tell now.
        errors = hard_rule_errors(posting, by=by) or {
            "__all__": "保存时与他人的修改发生冲突，请刷新后重试。"
        }
        raise ValidationError(errors, code="conflict") from exc
    return posting


def posting_create(*, by: User, override_reason: str = "", **fields) -> Posting:
    """A new posting starts as proposed (拟派); activation is its own step."""
    fields["status"] = Posting.Status.PROPOSED
    fields["category"] = post_category(
        title=fields.get("title", ""),
        receiving_unit=fields.get("receiving_unit"),
        category=fields.get("category") or "",
    )
    if not fields.get("planned_end_date") and fields.get("start_date"):
        fields["planned_end_date"] = default_end_date(
            start=fields["start_date"],
            category=fields["category"],
            batch=fields.get("batch"),
        )
    posting = Posting(created_by=by, **fields)
    return _save_posting(posting, by=by, override_reason=override_reason)


def posting_update(
    *, posting: Posting, by: User, override_reason: str = "", **fields
) -> Posting:
    fields.pop("status", None)  # status moves only through the transitions below
    for name, value in fields.items():
        setattr(posting, name, value)
    posting.category = post_category(
        title=posting.title,
        receiving_unit=posting.receiving_unit,
        category=posting.category or "",
    )
    return _save_posting(posting, by=by, override_reason=override_reason)


TRANSITIONS = {
    "activate": (Posting.Status.PROPOSED, Posting.Status.ACTIVE, "到岗"),
    "complete": (Posting.Status.ACTIVE, Posting.Status.COMPLETED, "期满结束"),
    "end_early": (Posting.Status.ACTIVE, Posting.Status.ENDED_EARLY, "提前结束"),
    # Until 到岗 a proposal may be withdrawn; it stays, out of rules 1 and 2.
    "withdraw": (Posting.Status.PROPOSED, Posting.Status.WITHDRAWN, "撤回"),
}
# Moves whose reason is required and kept in the posting's history.
REASON_REQUIRED = {"end_early", "withdraw"}
ENDED = (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)
# The dates a transition may set, in the order its message names them.
TRANSITION_DATES = ("start_date", "planned_end_date", "midterm_date", "ended_on")


def term_length(start: dt.date, end: dt.date) -> tuple[int, int]:
    """A term as (months, days): the whole calendar months from `start`
    (guazhi.dates.add_months; DOMAIN.md: terms are whole months unless
    stated, seed 004's 挂职时间一般为一年), then the days left over when the two
    dates are not whole months apart."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


def term_label(start: dt.date, end: dt.date) -> str:
    months, days = term_length(start, end)
    parts = [f"{months}个月" if months else "", f"{days}天" if days else ""]
    return "".join(parts)


def transition_dates(posting: Posting, action: str, on: dt.date) -> dict[str, dt.date]:
    """The dates a transition on `on` sets, by field: 到岗 on another day than
    the planned start makes that day the start and keeps the term's length
    (term_length), the planned end and the mid-term date moving with it; an
    ending sets the actual end; a withdrawal sets none (its day is in its
    status change)."""
    target = TRANSITIONS[action][1]
    if target == Posting.Status.ACTIVE:
        if on == posting.start_date:
            return {}
        months, days = term_length(posting.start_date, posting.planned_end_date)
        end = add_months(on, months) + dt.timedelta(days=days)
        return {
            "start_date": on,
            "planned_end_date": end,
            "midterm_date": midpoint(on, end),
        }
    if target in ENDED:
        return {"ended_on": on}
    return {}


def transition_notice(posting: Posting, action: str) -> str:
    """What a transition will do, said before it is done (the confirmation)."""
    fmt = "%Y-%m-%d"
    start, end = posting.start_date, posting.planned_end_date
    if action == "activate":
        return (
            f"到岗日期即开始日期（现为{start:{fmt}}）：到岗日期与之不同时，开始日期改为"
            f"到岗日期，期限{term_label(start, end)}不变，计划结束日期（现为{end:{fmt}}）"
            f"和中期考核日期（现为{posting.midterm_date:{fmt}}）随之调整。"
            "日期不能晚于今天。"
        )
    if action == "complete":
        earliest = end - COMPLETE_EARLY_GRACE
        return (
            f"实际结束日期记为所填日期（不能晚于今天，最早{earliest:{fmt}}）；"
            f"计划结束日期{end:{fmt}}不变。"
        )
    if action == "end_early":
        return (
            f"实际结束日期记为所填日期（不能晚于今天，不能早于开始日期{start:{fmt}}）；"
            f"计划结束日期{end:{fmt}}不变。须填写原因。"
        )
    return (
        "撤回后该拟派保留在记录中，不再计入同期挂职人数，也不再占用该干部的挂职时间；"
        "日期不能晚于今天。须填写原因。"
    )


def transition_default_date(posting: Posting, action: str, today: dt.date) -> dt.date:
    """The date a transition's form offers: the planned day once it has come
    (到岗 on the planned start, 期满 on the planned end), so a posting recorded
    late moves no date unasked; otherwise today."""
    planned = {"activate": posting.start_date, "complete": posting.planned_end_date}
    return min(planned[action], today) if action in planned else today


def describe_changes(before: Posting, after: Posting) -> str:
    """The dates a transition changed, as its message names them."""
    changes = []
    for name in TRANSITION_DATES:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        label = Posting._meta.get_field(name).verbose_name
        if old is None:
            changes.append(f"{label} {new:%Y-%m-%d}")
        else:
            changes.append(f"{label} {old:%Y-%m-%d} → {new:%Y-%m-%d}")
    return "，".join(changes)


@transaction.atomic
def posting_transition(
    *, posting: Posting, action: str, on: dt.date, by: User, reason: str = ""
) -> Posting:
    """Move a posting along its lifecycle on the day it happened (never after
    today), setting the dates that follow from it (transition_dates); each
    move is recorded with who and why."""
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    source, target, label = TRANSITIONS[action]
    if posting.status != source:
        raise ValidationError(
            f"当前状态为“{posting.get_status_display()}”，不能执行“{label}”。",
            code="wrong_status",
        )
    if action in REASON_REQUIRED and not reason.strip():
        raise ValidationError(
            {"reason": f"{label}须填写原因。"}, code="reason_required"
        )
    today = timezone.localdate()
    if on > today:
        raise ValidationError(
            {"on": f"日期不能晚于今天（{today:%Y-%m-%d}）：请按实际发生的日期办理。"},
            code="future_date",
        )
    if target in ENDED and on < posting.start_date:
        raise ValidationError({"on": "结束日期不能早于开始日期。"}, code="date_order")
    if action == "complete" and on < posting.planned_end_date - COMPLETE_EARLY_GRACE:
        raise ValidationError(
            {
                "on": f"未到计划结束日期（{posting.planned_end_date:%Y-%m-%d}），"
                "不能按期满结束；如需提前结束，请使用“提前结束”并填写原因。"
            },
            code="not_due",
        )
    dates = transition_dates(posting, action, on)
    for name, value in dates.items():
        setattr(posting, name, value)
    posting.status = target
    fields = ["status", "updated_at", *dates]
    if target != Posting.Status.ACTIVE:
        posting.end_reason = reason.strip()
        fields.append("end_reason")
    errors = hard_rule_errors(posting, by=by)
    if errors:
        raise ValidationError(errors)
    posting._history_user = by
    try:
        with transaction.atomic():
            posting.save(update_fields=fields)
    except IntegrityError as exc:
        # A concurrent activation won the race: name it where the rule can now.
        clash = one_posting_at_a_time(posting) or ACTIVE_CONFLICT
        raise ValidationError(clash, code="active_conflict") from exc
    StatusChange.objects.create(
        posting=posting,
        from_status=source,
        to_status=target,
        on=on,
        reason=reason.strip(),
        by=by,
    )
    return posting


@transaction.atomic
def posting_extend(
    *, posting: Posting, new_end_date: dt.date, reason: str, approver: str, by: User
) -> Extension:
    _lock_cadre(posting.cadre_id)  # first, as _save_posting does
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    if posting.status not in LIVE:
        raise ValidationError("已结束的挂职不能延期。", code="wrong_status")
    if new_end_date <= posting.planned_end_date:
        raise ValidationError(
            {
                "new_end_date": f"新结束日期须晚于现结束日期{posting.planned_end_date:%Y-%m-%d}。"
            }
        )
    clashes = one_posting_at_a_time_clashes(
        [posting.cadre_id],
        start=posting.start_date,
        end=new_end_date,
        exclude=posting.pk,
    )
    if clash := clashes.get(posting.cadre_id):
        raise ValidationError({"new_end_date": clash}, code="one_posting_at_a_time")
    extension = Extension(
        posting=posting,
        old_end_date=posting.planned_end_date,
        new_end_date=new_end_date,
        reason=reason.strip(),
        approver=approver.strip(),
        by=by,
    )
    extension.full_clean()
    extension.save()
    posting.planned_end_date = new_end_date
    if posting.midterm_date >= timezone.localdate():
        posting.set_midterm_date()  # a mid-term review still ahead moves with the term
    posting._history_user = by
    posting.save(update_fields=["planned_end_date", "midterm_date", "updated_at"])
    return extension


def assignment_add(*, posting: Posting, by: User, **fields) -> Assignment:
    if posting.status not in LIVE:
        raise ValidationError("已结束的挂职不能再添加岗位安排。", code="wrong_status")
    assignment = Assignment(posting=posting, by=by, **fields)
    errors = {}
    end = assignment.end_date or posting.planned_end_date
    if assignment.start_date < posting.start_date or end > posting.planned_end_date:
        errors["start_date"] = "岗位安排须在挂职期限之内。"
    if assignment.kind == Assignment.Kind.ROTATION:
        clash = posting.assignments.filter(
            kind=Assignment.Kind.ROTATION, start_date__lt=end
        ).filter(Q(end_date__isnull=True) | Q(end_date__gt=assignment.start_date))
        if clash.exists():
            errors["start_date"] = "轮岗岗位之间时间不能重叠（同时兼任请选择“兼任”）。"
    if errors:
        raise ValidationError(errors)
    assignment.full_clean()
    assignment.save()
    return assignment


def jurisdiction_staff_ids(*postings: Posting) -> set[int]:
    """Active org staff whose jurisdiction holds a sending or receiving unit."""
    paths = set()
    for posting in postings:
        paths.update(ancestor_paths(posting.sending_unit.path))
        paths.update(ancestor_paths(posting.receiving_unit.path))
    return set(
        User.objects.filter(
            role=Role.ORG_STAFF, is_active=True, unit__path__in=paths
        ).values_list("pk", flat=True)
    )


def reminders_send(
    *, recipient_ids, posting: Posting, kind: str, due_date: dt.date, message: str
) -> None:
    """One in-app reminder per recipient; a repeat of the same one is dropped."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                recipient_id=user_id,
                posting=posting,
                kind=kind,
                due_date=due_date,
                message=message[:300],
            )
            for user_id in recipient_ids
        ],
        ignore_conflicts=True,
    )


def reminders_sweep_midterm(*, today: dt.date | None = None) -> int:
    """Create the mid-term reminders due within the look-ahead window.

    Recipients: the org staff whose jurisdiction holds the sending or receiving
    unit, and the receiving unit's leaders (whoever sees the posting among
    those who act on it). Safe to run twice or concurrently: reminders already
    there are left out, and the unique constraint drops what a concurrent
    sweep inserted meanwhile. A fixed number of queries, plus one INSERT per
    thousand new reminders. Returns the number of reminders created.
    """
    today = today or timezone.localdate()  # Asia/Shanghai, not the host clock
    horizon = today + dt.timedelta(days=settings.REMINDER_MIDTERM_DAYS_AHEAD)
    due = list(
        Posting.objects.active()
        .filter(midterm_date__gte=today, midterm_date__lte=horizon)
        .values_list(
            "pk",
            "midterm_date",
            "receiving_unit_id",
            "sending_unit__path",
            "receiving_unit__path",
            "cadre__name",
            "receiving_unit__name",
            "title",
            named=True,
        )
    )
    if not due:
        return 0
    active = User.objects.filter(is_active=True)
    staff_by_path: dict[str, list[int]] = {}
    for pk, path in active.filter(role=Role.ORG_STAFF).values_list("pk", "unit__path"):
        staff_by_path.setdefault(path, []).append(pk)
    leaders_by_unit: dict[int, list[int]] = {}
    for pk, unit_id in active.filter(
        role=Role.HOST_LEADER, unit__in={d.receiving_unit_id for d in due}
    ).values_list("pk", "unit_id"):
        leaders_by_unit.setdefault(unit_id, []).append(pk)
    wanted = {}
    for d in due:
        paths = {*ancestor_paths(d.sending_unit__path)}
        paths.update(ancestor_paths(d.receiving_unit__path))
        recipients = {pk for path in paths for pk in staff_by_path.get(path, ())}
        recipients.update(leaders_by_unit.get(d.receiving_unit_id, ()))
        message = (
            f"{d.cadre__name}（{d.receiving_unit__name}{d.title}）将于"
            f"{d.midterm_date:%Y年%m月%d日}进行中期考核。"
        )
        for user_id in recipients:
            wanted[(user_id, d.pk, d.midterm_date)] = message
    there = set(
        Reminder.objects.filter(
            kind=Reminder.Kind.MIDTERM, posting__in=[d.pk for d in due]
        ).values_list("recipient_id", "posting_id", "due_date")
    )
    new = [
        Reminder(
            recipient_id=user_id,
            posting_id=posting_id,
            kind=Reminder.Kind.MIDTERM,
            due_date=due_date,
            message=message[:300],
        )
        for (user_id, posting_id, due_date), message in wanted.items()
        if (user_id, posting_id, due_date) not in there
    ]
    Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


# --- Batches and selection ---------------------------------------------------


def batch_save(*, by: User, batch: Batch | None = None, **fields) -> Batch:
    if batch is None:
        batch = Batch(created_by=by)
        if by.role == Role.ORG_STAFF:
            fields["unit"] = by.unit  # a batch belongs to its creator's jurisdiction
    elif by.role == Role.ORG_STAFF:
        fields.pop("unit", None)  # editing never moves a batch to another jurisdiction
    for name, value in fields.items():
        setattr(batch, name, value)
    if not batch.kinds:
        raise ValidationError({"kinds": "请至少选择一种挂职类型。"})
    batch.full_clean()
    batch.save()
    return batch


def nomination_add(
    *, batch: Batch, cadre, source: str, recommender: str = "", by: User
):
    # The batch's own jurisdiction decides, not the wider one of whoever adds:
    # city staff cannot put another county's cadre into a county's batch.
    in_scope = cadres_in_jurisdiction(batch.unit, cadres_visible_to(by))
    if not in_scope.filter(pk=cadre.pk).exists():
        raise ValidationError(
            {"cadre": f"只能推荐本批次管辖范围（{batch.unit.name}）内的干部。"}
        )
    nomination = Nomination(
        batch=batch, cadre=cadre, source=source, recommender=recommender
    )
    try:
        nomination.full_clean()
    except ValidationError as exc:
        raise ValidationError({"cadre": "该干部已在本批次的人选中。"}) from exc
    nomination._history_user = by
    nomination.save()
    return nomination


def nomination_score(*, nomination: Nomination, exam_score, interview_score, by: User):
    nomination.exam_score, nomination.interview_score = exam_score, interview_score
    nomination.full_clean()
    nomination._history_user = by
    nomination.save(update_fields=["exam_score", "interview_score"])
    return nomination


def nomination_decide(*, nomination: Nomination, decision: str, reason: str, by: User):
    if not reason.strip():
        raise ValidationError({"reason": "请填写选定或不选定的理由。"})
    if (
        Posting.objects.filter(batch=nomination.batch_id, cadre=nomination.cadre_id)
        .exclude(status=Posting.Status.WITHDRAWN)  # a withdrawn one holds nothing
        .exists()
    ):
        raise ValidationError("该人选已生成挂职，不能再改变选定结果。", code="placed")
    nomination.decision = decision
    nomination.decision_reason = reason.strip()
    nomination.decided_by, nomination.decided_at = by, timezone.now()
    nomination._history_user = by
    nomination.save(
        update_fields=["decision", "decision_reason", "decided_by", "decided_at"]
    )
    return nomination


@dataclass(frozen=True)
class RankedNomination:
    nomination: Nomination
    total: Decimal | None
    rank: int | None


def competitive_ranking(batch: Batch, nominations) -> list[RankedNomination]:
    """Weighted exam + interview; ties share a rank (1, 2, 2, 4); unscored last."""
    w = Decimal(batch.exam_weight) / 100

    def total(n: Nomination) -> Decimal | None:
        if n.exam_score is None or n.interview_score is None:
            return None
        return (n.exam_score * w + n.interview_score * (1 - w)).quantize(
            Decimal("0.01")
        )

    scored = sorted(
        ((total(n), n) for n in nominations), key=lambda t: (t[0] is None, -(t[0] or 0))
    )
    ranked, previous, rank = [], None, 0
    for position, (value, n) in enumerate(scored, start=1):
        if value is not None and value != previous:
            rank, previous = position, value
        ranked.append(RankedNomination(n, value, rank if value is not None else None))
    return ranked


# --- Placement assistant -----------------------------------------------------


def placement_inputs(batch: Batch, *, by: User):
    """Selected candidates `by` may see, not yet posted, and posts with places
    left."""
    # A withdrawn proposal frees its candidate and its place.
    withdrawn = Q(status=Posting.Status.WITHDRAWN)
    posted = Posting.objects.filter(batch=batch).exclude(withdrawn).values("cadre_id")
    nominations = (
        Nomination.objects.visible_to(by)
        .filter(batch=batch, decision=Nomination.Decision.SELECTED)
        .exclude(cadre_id__in=posted)
        .select_related("cadre")
    )
    candidates = [
        placement.Candidate(
            id=n.cadre_id,
            name=n.cadre.name,
            rank=n.cadre.rank,
            female=n.cadre.gender == "F",
            reserve=n.cadre.is_reserve,
            speciality=n.cadre.speciality,
            home_unit_id=n.cadre.unit_id,
        )
        for n in nominations
    ]
    open_posts = batch.posts.select_related("receiving_unit").annotate(
        used=Count("postings", filter=~Q(postings__status=Posting.Status.WITHDRAWN))
    )
    start = batch.mobilised_on or timezone.localdate()
    team = dict(
        Posting.objects.filter(
            receiving_unit__in={p.receiving_unit_id for p in open_posts},
            status__in=LIVE,
            planned_end_date__gt=start,  # still there when the batch arrives
        )
        .values_list("receiving_unit")
        .annotate(n=Count("pk"))
    )
    posts = [
        placement.Post(
            id=p.pk,
            label=f"{p.receiving_unit.name}{p.title}",
            unit_id=p.receiving_unit_id,
            unit_is_township=p.receiving_unit.kind == "township",
            distance_km=p.receiving_unit.distance_km or 0,
            rank=p.rank,
            speciality=p.speciality,
            capacity=p.capacity - p.used,
            team_free=TEAM_LIMIT - team.get(p.receiving_unit_id, 0),
        )
        for p in open_posts
        if p.capacity > p.used
    ]
    return candidates, posts


def placement_clashes(batch: Batch, candidates, *, start: dt.date) -> list[str]:
    """Rule 1 before accepting: the refusals that candidates already posted
    about then would meet, for the longest term the batch's posts give."""
    categories = set(batch.posts.values_list("category", flat=True))
    months = max((batch.term_months(c) for c in categories), default=0)
    if not candidates or not months:
        return []
    clashes = one_posting_at_a_time_clashes(
        [c.id for c in candidates], start=start, end=add_months(start, months)
    )
    return [clashes[c.id] for c in candidates if c.id in clashes]


@transaction.atomic
def placement_accept(
    *,
    batch: Batch,
    pairs: list[tuple[int, int]],
    by: User,
    start: dt.date,
    reason: str = "",
) -> list[Posting]:
    """Create proposed postings for the accepted (cadre id, post id) pairs; all or none."""
    if not pairs:
        raise ValidationError("请至少选择一项配岗建议。", code="empty")
    cadre_ids = [c for c, _ in pairs]
    if len(set(cadre_ids)) != len(cadre_ids):
        raise ValidationError("同一名干部只能安排一个岗位。", code="duplicate_cadre")
    selected = {
        n.cadre_id: n.cadre
        for n in Nomination.objects.visible_to(by)
        .filter(
            batch=batch,
            decision=Nomination.Decision.SELECTED,
            cadre_id__in=cadre_ids,
        )
        .select_related("cadre__unit")
    }
    posts = {p.pk: p for p in batch.posts.select_related("receiving_unit")}
    created = []
    for cadre_id, post_id in pairs:
        if cadre_id not in selected or post_id not in posts:
            raise ValidationError("所选人选或岗位已不在本批次中，请刷新后重试。")
        cadre, post = selected[cadre_id], posts[post_id]
        taken = post.postings.exclude(status=Posting.Status.WITHDRAWN).count()
        if post.capacity - taken <= 0:
            raise ValidationError(f"{post}的名额已满。", code="post_full")
        try:
            created.append(
                posting_create(
                    by=by,
                    override_reason=reason,
                    cadre=cadre,
                    kind=post.kind,
                    sending_unit=cadre.unit,
                    receiving_unit=post.receiving_unit,
                    title=post.title,
                    category=post.category,
                    post_rank=post.rank,
                    batch=batch,
                    open_post=post,
                    start_date=start,
                )
            )
        except ValidationError as exc:
            messages = [m for m in exc.messages]
            raise ValidationError(f"{cadre.name}：{'；'.join(messages)}") from exc
    return created


def open_post_add(*, batch: Batch, by: User, **fields) -> OpenPost:
    post = OpenPost(batch=batch, **fields)
    if post.kind not in batch.kinds:
        raise ValidationError(
            {"kind": f"本批次的挂职类型为{batch.kind_labels()}，岗位类型须与之一致。"}
        )
    post.full_clean()
    post.save()
    return post
