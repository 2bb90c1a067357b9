import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cadres.models import Role, User

from .models import Posting, Reminder

ACTIVE_CONFLICT = "该干部已有一项在岗的挂职，同一时间只能有一项在岗挂职（兼任职务请作为该挂职的岗位记录）。"


def _check_posting(posting: Posting, *, by: User) -> None:
    errors = {}
    if posting.start_date and posting.planned_end_date:
        if posting.planned_end_date <= posting.start_date:
            errors["planned_end_date"] = "计划结束日期必须晚于开始日期。"
    if by.role == Role.ORG_STAFF:
        path = by.unit.path
        if not (
            posting.sending_unit.path.startswith(path)
            or posting.receiving_unit.path.startswith(path)
        ):
            errors["receiving_unit"] = (
                "派出单位或接收单位至少有一个须在本部门管辖范围内。"
            )
    if posting.sending_unit_id == posting.receiving_unit_id:
        errors["receiving_unit"] = "接收单位不能与派出单位相同。"
    if posting.status == Posting.Status.ACTIVE:
        others = Posting.objects.active().filter(cadre_id=posting.cadre_id)
        if posting.pk:
            others = others.exclude(pk=posting.pk)
        if others.exists():
            errors["status"] = ACTIVE_CONFLICT
    if errors:
        raise ValidationError(errors)


def _save_posting(posting: Posting, *, by: User) -> Posting:
    _check_posting(posting, by=by)
    posting.set_midterm_date()
    posting.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            posting.save()
    except IntegrityError as exc:
        # A concurrent save won the race the check above could not see.
        raise ValidationError(
            {"status": ACTIVE_CONFLICT}, code="active_conflict"
        ) from exc
    return posting


def posting_create(*, by: User, **fields) -> Posting:
    return _save_posting(Posting(created_by=by, **fields), by=by)


def posting_update(*, posting: Posting, by: User, **fields) -> Posting:
    for name, value in fields.items():
        setattr(posting, name, value)
    return _save_posting(posting, by=by)


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/7/42/" -> ["/1/", "/1/7/", "/1/7/42/"]."""
    ids = path.strip("/").split("/")
    return ["/" + "/".join(ids[: i + 1]) + "/" for i in range(len(ids))]


def jurisdiction_staff_ids(*postings: Posting) -> set[int]:
    """Active org staff whose jurisdiction holds a sending or receiving unit."""
    paths = set()
    for posting in postings:
        paths.update(_ancestor_paths(posting.sending_unit.path))
        paths.update(_ancestor_paths(posting.receiving_unit.path))
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
    unit, and the receiving unit's leaders. Safe to run twice or concurrently:
    the unique constraint drops duplicates, nothing is checked first. Returns
    the number of (posting, recipient) pairs offered to the database.
    """
    today = today or timezone.localdate()  # Asia/Shanghai, not the host clock
    horizon = today + dt.timedelta(days=settings.REMINDER_MIDTERM_DAYS_AHEAD)
    postings = list(
        Posting.objects.active()
        .filter(midterm_date__gte=today, midterm_date__lte=horizon)
        .values_list(
            "pk",
            "midterm_date",
            "title",
            "cadre__name",
            "receiving_unit_id",
            "receiving_unit__name",
            "sending_unit__path",
            "receiving_unit__path",
        )
    )
    if not postings:
        return 0
    staff_by_path: dict[str, list[int]] = defaultdict(list)
    for user_id, path in User.objects.filter(
        role=Role.ORG_STAFF, is_active=True
    ).values_list("pk", "unit__path"):
        staff_by_path[path].append(user_id)
    leaders_by_unit: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in User.objects.filter(
        role=Role.HOST_LEADER,
        is_active=True,
        unit_id__in={p[4] for p in postings},
    ).values_list("pk", "unit_id"):
        leaders_by_unit[unit_id].append(user_id)

    rows = []
    for pk, due, title, cadre, recv_id, recv_name, send_path, recv_path in postings:
        recipients = set(leaders_by_unit[recv_id])
        for path in {*_ancestor_paths(send_path), *_ancestor_paths(recv_path)}:
            recipients.update(staff_by_path.get(path, ()))
        message = f"{cadre}（{recv_name}{title}）将于{due:%Y年%m月%d日}进行中期考核。"
        rows.extend(
            Reminder(
                recipient_id=user_id,
                posting_id=pk,
                kind=Reminder.Kind.MIDTERM,
                due_date=due,
                message=message,
            )
            for user_id in recipients
        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)
