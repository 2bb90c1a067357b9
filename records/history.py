"""What changed in a record, version by version (django-simple-history)."""

from dataclasses import dataclass

from django.db.models import ForeignKey, Model

from .display import display

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


def _value(version, name: str, user) -> str:
    """The field's value as shown to `user`: a reference to something outside
    their scope (a relay predecessor in another county, a batch a host leader
    does not see) shows as nothing, as if it did not exist."""
    instance = version.instance
    field = instance._meta.get_field(name)
    if isinstance(field, ForeignKey):
        pk = getattr(instance, field.attname)
        if pk is None:
            return ""
        objects = field.related_model._default_manager
        if hasattr(objects, "visible_to"):
            objects = objects.visible_to(user)
        related = objects.filter(pk=pk).first()  # one query per reference
        return "" if related is None else str(related)
    return display(instance, name)


def changes(record: Model, user) -> list[Version]:
    """Newest first; the first version lists the values it was created with,
    as `user` may see them."""
    versions = list(
        record.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    out, previous = [], None
    for version in versions:
        if previous is None:
            names = [f.name for f in version.tracked_fields if f.name not in SKIPPED]
            rows = [
                Change(_label(version, n), "", _value(version, n, user)) for n in names
            ]
            rows = [row for row in rows if row.new]
        else:
            rows = [
                Change(
                    _label(version, c.field),
                    _value(previous, c.field, user),
                    _value(version, c.field, user),
                )
                for c in version.diff_against(previous).changes
                if c.field not in SKIPPED
            ]
            # A change between references the user cannot see shows nothing.
            rows = [row for row in rows if row.old != row.new]
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
