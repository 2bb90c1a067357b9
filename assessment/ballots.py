"""民主测评: ballot sessions, rater groups, one-time codes, casting, turnout.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
shown as XXXX-XXXX and stored without the dash. Casting marks the code used
with a conditional UPDATE, so two simultaneous submissions of one code cannot
both count, and in the same transaction writes a `PendingBallot`: the group,
the day, the grades and the comment. Sharing a transaction (and, on SQLite,
the order of rows) ties a pending ballot to its code, so it lives only while
the session is open: closing the session moves every pending ballot into
`Ballot` in a random order in the closing transaction. Turnout counts used
codes, which is right both while the session is open and after.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import User
from guazhi.queries import correlated_count

from .config import GRADE_CODES, Rules
from .models import (
    GRADE_ORDER,
    Assessment,
    Ballot,
    BallotCode,
    BallotSession,
    Dimension,
    PendingBallot,
    RaterGroup,
    Round,
)
from .services import require_round_status

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
COMMENT_MAX = 500
MAX_GROUPS = 6

# A line under each dimension's name on the ballot, so raters grade the same thing.
DIMENSION_HINTS = {
    Dimension.DE: gettext_lazy("政治品质、思想作风、道德品行"),
    Dimension.NENG: gettext_lazy("业务水平、履职能力、解决实际问题的能力"),
    Dimension.QIN: gettext_lazy("工作态度、出勤情况、敬业和奉献精神"),
    Dimension.JI: gettext_lazy("完成工作任务的数量、质量和实际成效"),
    Dimension.LIAN: gettext_lazy("廉洁自律、遵守纪律和规矩"),
}

_CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")

# Look-alikes left out of CODE_ALPHABET: a rater who types one has misread the
# slip, and is told so rather than that the code is wrong.
UNUSED_LOOKALIKES = "0O1IL"


def normalise_code(text: str) -> str:
    """What a rater typed, as stored: upper case, no dash, no spaces."""
    return re.sub(r"[\s\-－—]", "", text or "").upper()


def is_well_formed(code: str) -> bool:
    return bool(_CODE_RE.fullmatch(code))


def has_unused_characters(code: str) -> bool:
    """Whether a normalised code holds a look-alike no code is made of."""
    return any(c in UNUSED_LOOKALIKES for c in code)


def unused_characters_message() -> str:
    return _("测评码中不使用数字0、1和字母O、I、L（容易混淆），请对照测评票重新输入。")


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _new_codes(n: int) -> list[str]:
    """`n` fresh codes, unique among themselves and among every code issued."""
    codes: set[str] = set()
    while len(codes) < n:
        wanted = n - len(codes)
        batch = {
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            for _ in range(wanted)
        }
        batch -= codes
        taken = set(
            BallotCode.objects.filter(code__in=batch).values_list("code", flat=True)
        )
        codes |= batch - taken
    return list(codes)


def default_groups(assessment: Assessment) -> list[dict]:
    return Rules(assessment.round.template_version.config).rater_groups


def default_min_turnout(assessment: Assessment) -> int:
    return Rules(assessment.round.template_version.config).min_turnout_pct


def _clean_groups(groups: list[dict]) -> list[dict]:
    errors = []
    cleaned = [
        {
            "name": str(g.get("name") or "").strip(),
            "weight": g.get("weight"),
            "size": g.get("size"),
        }
        for g in groups
    ]
    if not cleaned:
        raise ValidationError(_("请至少设置一个测评人类别。"), code="no_groups")
    if len(cleaned) > MAX_GROUPS:
        errors.append(_("测评人类别最多%(n)s个。") % {"n": MAX_GROUPS})
    for g in cleaned:
        if not g["name"]:
            errors.append(_("测评人类别须有名称。"))
        if not isinstance(g["weight"], int) or not 0 <= g["weight"] <= 100:
            errors.append(_("“%(name)s”的权重须为0到100的整数。") % {"name": g["name"]})
        if not isinstance(g["size"], int) or not 1 <= g["size"] <= 500:
            errors.append(_("“%(name)s”的发放票数须为1到500。") % {"name": g["name"]})
    if errors:
        raise ValidationError(errors, code="bad_group")
    total = sum(g["weight"] for g in cleaned)
    if total != 100:
        raise ValidationError(
            _("测评人类别权重之和须为100（当前为%(total)s）。") % {"total": total},
            code="weights_sum",
        )
    if len({g["name"] for g in cleaned}) != len(cleaned):
        raise ValidationError(_("测评人类别名称不能重复。"), code="duplicate_name")
    return cleaned


@transaction.atomic
def session_open(
    *,
    assessment: Assessment,
    groups: list[dict],
    min_turnout_pct: int,
    by: User,
) -> BallotSession:
    """Open the assessment's one ballot session and issue every group's codes."""
    round_ = Round.objects.select_for_update().get(pk=assessment.round_id)
    require_round_status(round_, Round.Status.OPEN, Round.Status.COLLECTING)
    if BallotSession.objects.filter(assessment=assessment).exists():
        raise ValidationError(_("该考核已开启民主测评。"), code="exists")
    cleaned = _clean_groups(groups)
    if not isinstance(min_turnout_pct, int) or not 0 <= min_turnout_pct <= 100:
        raise ValidationError(
            {"min_turnout_pct": _("最低参与率须为0到100的整数。")}, code="turnout"
        )
    session = BallotSession(
        assessment=assessment, min_turnout_pct=min_turnout_pct, opened_by=by
    )
    session._history_user = by
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as exc:  # opened at the same moment by someone else
        raise ValidationError(_("该考核已开启民主测评。"), code="exists") from exc
    made = RaterGroup.objects.bulk_create(
        [RaterGroup(session=session, position=i, **g) for i, g in enumerate(cleaned)]
    )
    codes = iter(_new_codes(sum(g.size for g in made)))
    BallotCode.objects.bulk_create(
        [BallotCode(group=g, code=next(codes)) for g in made for _i in range(g.size)],
        batch_size=500,
    )
    return session


@transaction.atomic
def sessions_open_all(*, round_: Round, by: User) -> int:
    """Open a session with the template's default rater groups and minimum
    turnout for every assessment of the round that `by` sees and that has
    none (a posting moved out of the round's unit is left alone); all or
    nothing. Returns how many were opened."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    require_round_status(round_, Round.Status.OPEN, Round.Status.COLLECTING)
    pending = list(
        Assessment.objects.visible_to(by)
        .filter(round=round_, ballot_session__isnull=True)
        .select_related("round__template_version")
        .order_by("pk")
    )
    for assessment in pending:
        session_open(
            assessment=assessment,
            groups=default_groups(assessment),
            min_turnout_pct=default_min_turnout(assessment),
            by=by,
        )
    return len(pending)


def release_ballots(session_ids: list[int]) -> int:
    """Move the sessions' pending ballots into `Ballot`, shuffled, and delete
    them; returns how many. Call inside the transaction that closes the
    sessions, with their rows locked (cast_ballot locks the session too), so
    that every ballot is either still pending or released, never both.

    The new rows get fresh random ids, are inserted in a random order and
    carry this transaction's id, so nothing in `Ballot` follows casting order.
    """
    pending = PendingBallot.objects.filter(group__session_id__in=session_ids)
    rows = list(pending.values_list("group_id", "cast_on", "grades", "comment"))
    secrets.SystemRandom().shuffle(rows)
    Ballot.objects.bulk_create(
        [
            Ballot(group_id=group_id, cast_on=cast_on, grades=grades, comment=comment)
            for group_id, cast_on, grades, comment in rows
        ],
        batch_size=500,
    )
    pending.delete()
    if rows and connection.vendor == "postgresql":
        transaction.on_commit(scrub_pending)
    return len(rows)


# Constant SQL. VACUUM FULL rewrites the table into a new file: the deleted
# pending rows, which PostgreSQL otherwise keeps on disk (with the
# transaction id they share with their code) until a vacuum reuses the space,
# are gone with the old file. The table only holds the ballots of sessions
# still open, so the rewrite is small; casts wait for its lock meanwhile.
SCRUB_PENDING = "VACUUM (FULL) assessment_pendingballot"
# Pages left after the rewrite while the table holds no live row: deleted rows
# that a snapshot still open elsewhere (another request's transaction, an
# autovacuum ANALYZE) may see, which VACUUM FULL must keep.
PENDING_LEFT_OVER = (
    "SELECT pg_relation_size('assessment_pendingballot') > 0"
    " AND NOT EXISTS (SELECT 1 FROM assessment_pendingballot)"
)
SCRUB_TRIES = 5
SCRUB_PAUSE_S = 0.2


def scrub_pending() -> None:
    """Rewrite the pending table once a close has committed (PostgreSQL; on
    SQLite `secure_delete` overwrites deleted rows as they go). VACUUM cannot
    run inside a transaction, hence after the commit. When another snapshot
    still sees the deleted rows the rewrite keeps them: tried again a few
    times, a fraction of a second apart; what is left is logged, and the
    next close scrubs again."""
    try:
        with connection.cursor() as cursor:
            for attempt in range(SCRUB_TRIES):
                if attempt:
                    time.sleep(SCRUB_PAUSE_S)
                cursor.execute(SCRUB_PENDING)
                cursor.execute(PENDING_LEFT_OVER)
                if not cursor.fetchone()[0]:
                    return
        log.warning("deleted pending ballots kept by an open snapshot")
    except DatabaseError:
        log.exception("could not rewrite the pending ballots table")


@transaction.atomic
def session_close(*, session: BallotSession, by: User) -> BallotSession:
    """End the session: from now on no ballot is accepted, and its ballots
    leave the pending table for `Ballot` (see `release_ballots`)."""
    session = BallotSession.objects.select_for_update().get(pk=session.pk)
    if session.status == BallotSession.Status.CLOSED:
        raise ValidationError(_("本次测评已结束。"), code="closed")
    session.status = BallotSession.Status.CLOSED
    session.closed_at = timezone.now()
    session._history_user = by
    session.save(update_fields=["status", "closed_at"])
    release_ballots([session.pk])
    return session


# --- Turnout ------------------------------------------------------------------


def _pct(cast: int, issued: int) -> Decimal:
    if not issued:
        return Decimal("0.0")
    return (Decimal(100 * cast) / issued).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class GroupTurnout:
    group: RaterGroup
    cast: int
    issued: int

    @property
    def pct(self) -> Decimal:
        return _pct(self.cast, self.issued)


@dataclass(frozen=True)
class Turnout:
    groups: list[GroupTurnout]
    cast: int
    issued: int
    min_pct: int

    @property
    def pct(self) -> Decimal:
        return _pct(self.cast, self.issued)

    @property
    def reached(self) -> bool:
        return turnout_reached(cast=self.cast, issued=self.issued, min_pct=self.min_pct)


def turnout_reached(*, cast: int, issued: int, min_pct: int) -> bool:
    """The rule for a session's results to count: ballots cast (used codes) at
    least `min_pct` percent of the codes issued, compared exactly in integers;
    a session that issued no codes never reaches it."""
    return issued > 0 and 100 * cast >= min_pct * issued


def turnout(session: BallotSession) -> Turnout:
    """Ballots cast and codes issued per group and in total (one query). A
    ballot is counted by its used code, pending or released alike."""
    groups = RaterGroup.objects.filter(session=session).annotate(
        n_issued=correlated_count(BallotCode, group="pk"),
        n_cast=correlated_count(BallotCode.objects.filter(used=True), group="pk"),
    )
    rows = [GroupTurnout(group=g, cast=g.n_cast, issued=g.n_issued) for g in groups]
    return Turnout(
        groups=rows,
        cast=sum(r.cast for r in rows),
        issued=sum(r.issued for r in rows),
        min_pct=session.min_turnout_pct,
    )


def is_sealed(session: BallotSession, counts: Turnout) -> bool:
    """Results stay hidden until the session is closed and turnout is reached."""
    return session.status != BallotSession.Status.CLOSED or not counts.reached


def comments(session: BallotSession) -> list[tuple[str, str]]:
    """(group name, comment) of every ballot with a comment, by group and then
    by text, so that their order says nothing about when each was cast."""
    return list(
        Ballot.objects.filter(group__session=session)
        .exclude(comment="")
        .order_by("group__position", "group_id", "comment")
        .values_list("group__name", "comment")
    )


@dataclass(frozen=True)
class DimensionTally:
    dimension: str
    label: str
    counts: list[int]  # per grade, best first (GRADE_ORDER)
    mean: Decimal | None


def tallies(session: BallotSession, groups: list[RaterGroup]) -> dict[int, list]:
    """Per group, per weighted dimension: how many ballots gave each grade and
    the plain mean of their points (the trimmed mean, if any, is the scoring's)."""
    rules = Rules(session.assessment.round.template_version.config)
    points = rules.ballot_points
    dims = [d for d, w in rules.dimension_weights.items() if w > 0]
    grades_by_group: dict[int, list[dict]] = {g.pk: [] for g in groups}
    for group_id, grades in Ballot.objects.filter(group__session=session).values_list(
        "group_id", "grades"
    ):
        grades_by_group.setdefault(group_id, []).append(grades)
    result = {}
    for group_id, ballots in grades_by_group.items():
        rows = []
        for dim in dims:
            given = [b[dim] for b in ballots if b.get(dim) in points]
            mean = (
                (Decimal(sum(points[g] for g in given)) / len(given)).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )
                if given
                else None
            )
            rows.append(
                DimensionTally(
                    dimension=dim,
                    label=Dimension(dim).label,
                    counts=[given.count(g) for g in GRADE_CODES],
                    mean=mean,
                )
            )
        result[group_id] = rows
    return result


# --- Casting ------------------------------------------------------------------

UNKNOWN = "unknown"
USED = "used"
CLOSED = "closed"


def used_message() -> str:
    return _("该测评码已使用，每个测评码只能使用一次。")


def unknown_message() -> str:
    return _("测评码无效，请核对后重新输入。")


def closed_message() -> str:
    return _("本次测评已结束。")


def find_code(text: str) -> BallotCode | None:
    """The issued code a rater typed (any case, with or without dash), or None."""
    code = normalise_code(text)
    if not is_well_formed(code):
        return None
    return (
        BallotCode.objects.select_related(
            "group__session__assessment__round__template_version",
            "group__session__assessment__posting__cadre",
            "group__session__assessment__posting__receiving_unit",
        )
        .filter(code=code)
        .first()
    )


def check_open(ballot_code: BallotCode) -> None:
    """Refuse unless the code is unused and its session and round take ballots."""
    session = ballot_code.group.session
    round_ = session.assessment.round
    if session.status != BallotSession.Status.OPEN or round_.is_closed:
        raise ValidationError(closed_message(), code=CLOSED)
    if round_.status != Round.Status.COLLECTING:
        raise ValidationError(_("本次测评尚未开始，请稍后再试。"), code="not_started")
    if ballot_code.used:
        raise ValidationError(used_message(), code=USED)


def ballot_dimensions(ballot_code: BallotCode) -> list[str]:
    """The dimensions a ballot grades: those the template weights above zero."""
    config = ballot_code.group.session.assessment.round.template_version.config
    return [d for d, w in Rules(config).dimension_weights.items() if w > 0]


def _clean_grades(dims: list[str], grades: dict) -> dict:
    missing = [
        str(Dimension(d).label) for d in dims if grades.get(d) not in GRADE_CODES
    ]
    if missing:
        raise ValidationError(
            _("请为以下每一项选择等次：%(dims)s。") % {"dims": "、".join(missing)},
            code="grades",
        )
    extra = set(grades) - set(dims)
    if extra:
        raise ValidationError(_("测评项目不正确。"), code="grades")
    return {d: grades[d] for d in dims}


def cast_ballot(*, code: str, grades: dict, comment: str = "") -> PendingBallot:
    """Cast one ballot with a one-time code; the code is spent only if it counts.
    The ballot waits as a `PendingBallot` until the session closes."""
    ballot_code = find_code(code)
    if ballot_code is None:
        raise ValidationError(unknown_message(), code=UNKNOWN)
    check_open(ballot_code)
    clean = _clean_grades(ballot_dimensions(ballot_code), grades or {})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": _("意见建议不能超过%(n)s字。") % {"n": COMMENT_MAX}},
            code="comment",
        )
    with transaction.atomic():
        # Serialises against session_close (and the round's close, which closes
        # the session first): a ballot either lands before closing or not at all.
        session = BallotSession.objects.select_for_update().get(
            pk=ballot_code.group.session_id
        )
        if session.status != BallotSession.Status.OPEN:
            raise ValidationError(closed_message(), code=CLOSED)
        spent = BallotCode.objects.filter(pk=ballot_code.pk, used=False).update(
            used=True
        )
        if spent != 1:
            raise ValidationError(used_message(), code=USED)
        return PendingBallot.objects.create(
            group_id=ballot_code.group_id,
            cast_on=timezone.localdate(),
            grades=clean,
            comment=comment,
        )


GRADE_CHOICES = [(g.value, g.label) for g in GRADE_ORDER]
