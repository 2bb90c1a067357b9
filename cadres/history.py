"""What changed in a record, version by version (django-simple-history)."""

from dataclasses import dataclass

from django.db.models import ForeignKey, Model

from .dossier import display

# Context every version shares; listing it under "created with" says nothing.
SKIPPED = {"id", "posting", "created_at", "version"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Version:
    when: object
    who: object
    created: bool
    changes: list[Change]


def _label(version, name: str) -> str:
    return str(version.instance_type._meta.get_field(name).verbose_name)


def _value(version, name: str) -> str:
    instance = version.instance
    if isinstance(instance._meta.get_field(name), ForeignKey):
        related = getattr(instance, name)  # one lookup per changed reference
        return "" if related is None else str(related)
    return display(instance, name)


def changes(record: Model) -> list[Version]:
    """Newest first; the first version lists the values it was created with."""
    versions = list(
        record.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    out, previous = [], None
    for version in versions:
        if previous is None:
            names = [f.name for f in version.tracked_fields if f.name not in SKIPPED]
            rows = [Change(_label(version, n), "", _value(version, n)) for n in names]
            rows = [row for row in rows if row.new]
        else:
            rows = [
                Change(
                    _label(version, c.field),
                    _value(previous, c.field),
                    _value(version, c.field),
                )
                for c in version.diff_against(previous).changes
                if c.field not in SKIPPED
            ]
        out.append(
            Version(
                version.history_date,
                version.history_user,
                version.history_type == "+",
                rows,
            )
        )
        previous = version
    return out[::-1]
