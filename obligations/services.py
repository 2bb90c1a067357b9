"""Keeping obligations current: the sweep, the catch-up, closing on filing,
waiving.

- `sweep(today)`: creates the obligations that became known in the last days
  and closes those whose record was filed (what the signals missed). Set-based:
  per kind a few queries, none per posting; beat runs it daily.
- `catch_up()`: the first run on existing data, every past month and ended
  posting, in batches of postings.
- `close_on_save`: a record's post_save closes what it fulfils at once
  (connected in ObligationsConfig.ready; records' services never import this
  app).
- `waive(obligation, by, reason)`: org staff of the managing jurisdiction set
  one aside, with a reason.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from cadres.models import Role, User
from postings.models import Posting

from . import registry, rules
from .kinds import FirstRecords
from .models import Obligation
from .registry import Expected, Kind, Window

log = logging.getLogger(__name__)

BATCH = 500
CLOSE_FIELDS = ["status", "done_on", "fulfilled_type", "fulfilled_id", "updated_at"]


@dataclass
class SweepResult:
    created: int = 0
    closed: int = 0
    cancelled: int = 0
    created_by_kind: dict = field(default_factory=dict)
    closed_by_kind: dict = field(default_factory=dict)

    def add(self, other: "SweepResult") -> None:
        self.created += other.created
        self.closed += other.closed
        self.cancelled += other.cancelled
        for mine, theirs in (
            (self.created_by_kind, other.created_by_kind),
            (self.closed_by_kind, other.closed_by_kind),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n


def _subject(subject) -> tuple[ContentType | None, int | None, str]:
    if subject is None:
        return None, None, ""
    model, pk = subject if isinstance(subject, tuple) else (type(subject), subject.pk)
    ct = ContentType.objects.get_for_model(model)
    return ct, pk, f"{ct.app_label}.{ct.model}:{pk}"


def _key(e: Expected) -> tuple[int, dt.date, str]:
    return e.posting_id, e.period, _subject(e.subject)[2]


def _create(kind: Kind, window: Window, expected: list[Expected]) -> int:
    """Insert the expected obligations not stored yet: one read of the stored
    keys over the expected periods, then bulk inserts."""
    if not expected:
        return 0
    periods = [e.period for e in expected]
    stored = set(
        Obligation.objects.filter(
            window.posting_q("posting__"),
            kind=kind.key,
            period__gte=min(periods),
            period__lte=max(periods),
        ).values_list("posting_id", "period", "subject_key")
    )
    new = []
    for e in expected:
        ct, subject_id, key = _subject(e.subject)
        if (e.posting_id, e.period, key) in stored:
            continue
        stored.add((e.posting_id, e.period, key))
        new.append(
            Obligation(
                kind=kind.key,
                posting_id=e.posting_id,
                period=e.period,
                subject_type=ct,
                subject_id=subject_id,
                subject_key=key,
                owed_by=kind.owed_by,
                unit_id=e.unit_id,
                due_on=e.due_on,
            )
        )
    # A concurrent run may have stored some meanwhile: the constraint decides.
    Obligation.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
    return len(new)


def _apply_closes(found: dict, *, history: bool = True) -> int:
    """Mark done the obligations of `found` ({pk: (done day, record)}) that
    are still open, linking each to its record; history kept unless not
    asked for (the catch-up). What `first_record` found is closed by UPDATEs
    that read the record's id and day in the database."""
    closed, now = 0, timezone.now()
    pks = list(found)
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        if isinstance(found, FirstRecords):
            model = found[chunk[0]][1][0]
            # Every `at` is a filing time: its Asia/Shanghai day.
            day = found.first.annotate(_day=TruncDate(found.at)).values("_day")[:1]
            n = Obligation.objects.filter(pk__in=chunk, status="open").update(
                status=Obligation.Status.DONE,
                done_on=Subquery(day),
                fulfilled_type=ContentType.objects.get_for_model(model),
                fulfilled_id=Subquery(found.first.values("pk")[:1]),
                updated_at=now,
            )
            if history and n:
                Obligation.history.bulk_history_create(
                    list(Obligation.objects.filter(pk__in=chunk, status="done")),
                    batch_size=BATCH,
                    update=True,
                )
            closed += n
            continue
        rows = list(Obligation.objects.filter(pk__in=chunk, status="open"))
        for obligation in rows:
            done_on, record = found[obligation.pk]
            model, pk = (
                record if isinstance(record, tuple) else (type(record), record.pk)
            )
            obligation.status = Obligation.Status.DONE
            obligation.done_on = done_on
            obligation.fulfilled_type = ContentType.objects.get_for_model(model)
            obligation.fulfilled_id = pk
            obligation.updated_at = now
        if rows:
            bulk_update_with_history(rows, Obligation, CLOSE_FIELDS, batch_size=BATCH)
        closed += len(rows)
    return closed


def _run(window: Window, kinds, result: SweepResult) -> dict[str, set]:
    """Create what each kind expects in the window; returns the expected keys
    (posting, period, subject) by kind."""
    keys = {}
    for kind in kinds:
        expected = list(kind.expected(window))
        keys[kind.key] = {_key(e) for e in expected}
        n = _create(kind, window, expected)
        result.created += n
        if n:
            result.created_by_kind[kind.key] = (
                result.created_by_kind.get(kind.key, 0) + n
            )
    return keys


CANCEL_FIELDS = ["status", "waived_reason", "waived_at", "updated_at"]


def _cancel_unexpected(
    window: Window, kinds, expected: dict[str, set], result: SweepResult
) -> None:
    """The open obligations of the window's postings (every one of them, up to
    today) that their kinds no longer expect: their dates moved, as when a
    posting is extended (the end-of-term report and appraisal of the old end)
    or ended early (the notes of the months after its end). They are kept as
    cancelled, with the reason and their history; one query per kind."""
    now = timezone.now()
    reason = _("挂职期限已变更（延期或提前结束），该事项不再应交。")
    for kind in kinds:
        keys = expected.get(kind.key, set())
        stale = [
            o
            for o in Obligation.objects.filter(
                window.posting_q("posting__"), kind=kind.key, status="open"
            )
            if (o.posting_id, o.period, o.subject_key) not in keys
        ]
        for o in stale:
            o.status = Obligation.Status.CANCELLED
            o.waived_reason = reason
            o.waived_at = now
            o.updated_at = now
        if stale:
            bulk_update_with_history(stale, Obligation, CANCEL_FIELDS, batch_size=BATCH)
        result.cancelled += len(stale)


def _close(
    window: Window,
    kinds,
    result: SweepResult,
    only: Q | None = None,
    history: bool = True,
) -> None:
    for kind in kinds:
        open_ = Obligation.objects.filter(
            window.posting_q("posting__"), kind=kind.key, status="open"
        )
        if only is not None:
            open_ = open_.filter(only)
        n = _apply_closes(kind.fulfilled(open_, window.today), history=history)
        result.closed += n
        if n:
            result.closed_by_kind[kind.key] = result.closed_by_kind.get(kind.key, 0) + n


def _changed_postings(window: Window) -> list[int]:
    """Postings to consider whole in a daily run: those written since the
    window began (entered after they began, arrived, extended, ended early;
    any history row since then), whose past obligations or dates may be new
    to the sweep. One read of the history's date index; a posting written
    without history (a raw bulk insert) waits for the catch-up."""
    since = timezone.make_aware(dt.datetime.combine(window.since, dt.time.min))
    written = Posting.history.filter(history_date__gt=since).values("id")
    return list(
        Posting.objects.filter(status__in=rules.STARTED, pk__in=Subquery(written))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sweep(today: dt.date | None = None) -> SweepResult:
    """Keep obligations current on `today` (Asia/Shanghai; default today)."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=rules.SWEEP_LOOKBACK_DAYS)
    kinds = list(registry.KINDS.values())
    result = SweepResult()
    with transaction.atomic():
        window = Window(today=today, since=since)
        _run(window, kinds, result)
        changed = _changed_postings(window)
        for start in range(0, len(changed), BATCH):
            whole = Window(
                today=today, postings={"pk__in": changed[start : start + BATCH]}
            )
            per_posting = [k for k in kinds if k.per_posting]
            expected = _run(whole, per_posting, result)
            _close(whole, kinds, result)
            _cancel_unexpected(whole, per_posting, expected, result)
        # What the signals missed lately (bulk writes): a record filed for an
        # obligation long overdue closes it on save, and the catch-up closes
        # the rest; reading every open obligation each day would not scale.
        recent = Q(due_on__gte=today - dt.timedelta(days=rules.SWEEP_CLOSE_DAYS))
        _close(Window(today=today), kinds, result, only=recent)
    log.info(
        "obligations sweep %s: %s created, %s closed, %s cancelled",
        today,
        result.created,
        result.closed,
        result.cancelled,
    )
    return result


def catch_up(
    today: dt.date | None = None, *, batch_size: int = 2000, progress=None
) -> SweepResult:
    """The first run on existing data: every obligation up to `today` of every
    posting that has begun (every past month, every ended posting), closed
    where its record exists. Batches of `batch_size` postings, each in its own
    transaction, so that it can be stopped and run again (it is idempotent)."""
    today = today or timezone.localdate()
    kinds = list(registry.KINDS.values())
    result = SweepResult()
    ids = list(
        Posting.objects.filter(status__in=rules.STARTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        window = Window(
            today=today, postings={"pk__gte": chunk[0], "pk__lte": chunk[-1]}
        )
        part = SweepResult()
        per_posting = [k for k in kinds if k.per_posting]
        with transaction.atomic():
            expected = _run(window, per_posting, part)
            _close(window, per_posting, part, history=False)
            _cancel_unexpected(window, per_posting, expected, part)
        result.add(part)
        if progress:
            progress(start + len(chunk), len(ids), result)
    with transaction.atomic():
        window = Window(today=today)
        rounds = [k for k in kinds if not k.per_posting]
        _run(window, rounds, result)
        _close(window, rounds, result)
    return result


# --- Closing when the record is filed ------------------------------------------


def close_on_save(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save of any model: when a kind names it in `closed_by`, close what
    the record fulfils now (late when after the due day). The sweep closes
    whatever this misses."""
    if raw:
        return
    for kind in registry.KINDS.values():
        if sender not in kind.closed_by:
            continue
        if kind.postings_of is not None:
            about = kind.postings_of(instance)
        else:
            about = Q(posting_id=instance.posting_id)
        if about is None:
            continue
        open_ = Obligation.objects.filter(about, kind=kind.key, status="open")
        if open_.exists():
            _apply_closes(kind.fulfilled(open_, timezone.localdate()))


# --- Waiving -------------------------------------------------------------------


@transaction.atomic
def waive(obligation: Obligation, by: User, reason: str) -> Obligation:
    """Set an open obligation aside, with a reason: org staff of the
    jurisdiction that manages its posting (or of one above it) only."""
    reason = (reason or "").strip()
    if getattr(by, "role", None) != Role.ORG_STAFF:
        raise ValidationError(
            _("只有组织部工作人员可以免除待办事项。"), code="not_org_staff"
        )
    obligation = (
        Obligation.objects.visible_to(by)
        .select_for_update(of=("self",))
        .filter(pk=obligation.pk)
        .first()
    )
    if obligation is None:
        raise ValidationError(_("该事项不在您的管辖范围内。"), code="out_of_scope")
    managing = rules.managing_jurisdiction(obligation.posting)
    if managing is None or not managing[1].startswith(by.unit.path):
        raise ValidationError(
            _("只有该挂职所属管辖范围的组织部工作人员可以免除这项待办事项。"),
            code="not_managing",
        )
    if obligation.status != Obligation.Status.OPEN:
        raise ValidationError(
            _("这项待办事项已经完成或免除，不能再免除。"), code="not_open"
        )
    if not reason:
        raise ValidationError({"reason": _("请写明免除理由。")}, code="reason_required")
    obligation.status = Obligation.Status.WAIVED
    obligation.waived_by = by
    obligation.waived_reason = reason[:300]
    obligation.waived_at = timezone.now()
    obligation.full_clean()
    obligation._history_user = by
    obligation.save(
        update_fields=[
            "status",
            "waived_by",
            "waived_reason",
            "waived_at",
            "updated_at",
        ]
    )
    return obligation
