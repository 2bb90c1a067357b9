"""A record field's value and label as the dossier, its export and the
history pages show them."""

import datetime as dt

from django.db.models import Model
from django.utils import timezone


def display(record: Model, name: str) -> str:
    """A field's value as the dossier shows it: choice labels, local dates."""
    value = getattr(record, name)
    if value is None or value == "":
        return ""
    if record._meta.get_field(name).choices:
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def field_label(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)
