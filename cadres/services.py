import calendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Cadre, MonthlyNote, Unit


@transaction.atomic
def unit_create(*, name: str, kind: str, parent: Unit | None = None, **fields) -> Unit:
    unit = Unit(name=name, kind=kind, parent=parent, path=f"/new-{name}/", **fields)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.set_path()
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, parent: Unit | None) -> Unit:
    """Re-parent a unit and rewrite the paths of its whole subtree."""
    if parent is not None and parent.path.startswith(unit.path):
        raise ValidationError("不能把单位移到它自己的下级单位之下。", code="unit_cycle")
    old_path = unit.path
    unit.parent = parent
    unit.set_path()
    unit.save(update_fields=["parent", "path", "depth"])
    for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
        child.path = unit.path + child.path[len(old_path) :]
        child.depth = child.path.count("/") - 2
        child.save(update_fields=["path", "depth"])
    return unit


def _save_cadre(cadre: Cadre) -> Cadre:
    cadre.full_clean()
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"id_number": "该身份证号已登记。"}, code="duplicate_id_number"
        ) from exc
    return cadre


def cadre_create(**fields) -> Cadre:
    return _save_cadre(Cadre(**fields))


def cadre_update(*, cadre: Cadre, **fields) -> Cadre:
    for name, value in fields.items():
        setattr(cadre, name, value)
    return _save_cadre(cadre)


def month_days(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _check_note(note: MonthlyNote) -> None:
    posting = note.posting
    errors = {}
    if posting.status == posting.Status.PROPOSED:
        raise ValidationError(
            "该挂职尚未到岗（拟派），不能填报月小结。", code="not_started"
        )
    first_of_posting = posting.start_date.replace(day=1)
    if note.month < first_of_posting or note.month > posting.planned_end_date:
        errors["month"] = "月份不在该挂职的期限内。"
    if note.month > timezone.localdate().replace(day=1):
        errors["month"] = "不能填报未来月份的月小结。"
    total = note.days_present + note.days_absent + note.days_leave
    if total > month_days(note.month):
        errors["days_present"] = (
            f"出勤、缺勤、请假合计{total}天，超过该月的{month_days(note.month)}天。"
        )
    if errors:
        raise ValidationError(errors)


def _save_note(note: MonthlyNote) -> MonthlyNote:
    _check_note(note)
    note.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"month": f"{note.month:%Y年%m月}的月小结已经填报过，请修改已有的那份。"},
            code="duplicate_note",
        ) from exc
    return note


def monthly_note_file(*, posting, author, **fields) -> MonthlyNote:
    return _save_note(MonthlyNote(posting=posting, author=author, **fields))


def monthly_note_update(*, note: MonthlyNote, **fields) -> MonthlyNote:
    for name, value in fields.items():
        setattr(note, name, value)
    return _save_note(note)
