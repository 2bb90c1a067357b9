from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Cadre, Unit


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


# --- Dossier records ----------------------------------------------------------


# --- Reports and attachments ---------------------------------------------------


# --- Symposia ------------------------------------------------------------------


# --- Warnings (蓝黄红三级预警) --------------------------------------------------


# --- Appraisal (组织鉴定) -------------------------------------------------------
