"""Rows of several models in one query: a UNION ALL of JSON objects.

A page that shows a handful of small record lists (a posting's changes and
extensions, a dossier's record kinds) would otherwise spend a query on each.
Each part's rows travel as one JSON object per row with the model's columns
and those of the related rows it names, and come back as model instances, the
related rows attached as select_related would attach them. Related rows hold
only the fields asked for; any other field is deferred (read on access).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

# Fields of a user that say who it is (str(user)); the rest stays deferred.
WHO = ("id", "username", "first_name", "last_name")


@dataclass(frozen=True)
class Part:
    """One list: its rows (filtered, ordered) and the related rows to bring.

    `related` maps a select_related path ("author", "symposium__author") to
    the fields to load, or () for all of them.
    """

    key: str
    queryset: QuerySet
    related: dict[str, Sequence[str]] = field(default_factory=dict)


def _fields(model: type[Model], names: Sequence[str]) -> list[models.Field]:
    concrete = model._meta.concrete_fields
    if not names:
        return list(concrete)
    return [f for f in concrete if f.name in names or f.attname in names]


def _related_model(model: type[Model], path: str) -> type[Model]:
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def _columns(part: Part) -> dict:
    model = part.queryset.model
    columns = {f.attname: F(f.attname) for f in _fields(model, ())}
    for path, names in part.related.items():
        for f in _fields(_related_model(model, path), names):
            columns[f"{path}.{f.attname}"] = F(f"{path}__{f.attname}")
    return columns


def _value(f: models.Field, raw):
    """A JSON value as the field holds it in Python."""
    if raw is None:
        return None
    if isinstance(f, models.DateTimeField):
        value = parse_datetime(raw)
        # SQLite keeps UTC without an offset; PostgreSQL writes the offset.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(f, models.DateField):
        return dt.date.fromisoformat(raw[:10])
    if isinstance(f, models.BooleanField):
        return bool(raw)
    if isinstance(f, models.DecimalField):
        return Decimal(str(raw))
    return raw


def _instance(db: str, model, data: dict, prefix: str, names: Sequence[str]):
    fields = _fields(model, names)
    values = [_value(f, data.get(prefix + f.attname)) for f in fields]
    if prefix and values[0] is None:  # an empty nullable relation
        return None
    return model.from_db(db, [f.attname for f in fields], values)


def load(parts: Iterable[Part]) -> dict[str, list[Model]]:
    """Every part's rows, in its queryset's order, from one query."""
    parts = list(parts)
    selects = [
        part.queryset.order_by().values(
            k=Value(part.key), d=JSONObject(**_columns(part))
        )
        for part in parts
    ]
    rows: dict[str, list[Model]] = {part.key: [] for part in parts}
    if not selects:
        return rows
    by_key = {part.key: part for part in parts}
    union = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    for row in union:
        part = by_key[row["k"]]
        rows[part.key].append(_build(part, row["d"]))
    for part in parts:
        _sort(rows[part.key], part.queryset)
    return rows


def _build(part: Part, data: dict) -> Model:
    model, db = part.queryset.model, part.queryset.db
    obj = _instance(db, model, data, "", ())
    # Shallow paths first, so that "symposium__author" finds its symposium.
    for path in sorted(part.related, key=lambda p: p.count("__")):
        owner, _sep, name = path.rpartition("__")
        holder = obj
        for step in owner.split("__") if owner else ():
            holder = getattr(holder, step)
        target = _related_model(model, path)
        related = _instance(db, target, data, f"{path}.", part.related[path])
        setattr(holder, name, related)
    return obj


def _sort(rows: list[Model], queryset: QuerySet) -> None:
    """Order rows as the queryset would (its order_by, else the model's)."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
    for name in reversed(ordering):
        desc = name.startswith("-")
        attr = name.lstrip("-")
        attr = "pk" if attr == "pk" else queryset.model._meta.get_field(attr).attname
        rows.sort(key=lambda r, a=attr: _sort_key(getattr(r, a)), reverse=desc)


def _sort_key(value):
    return (0,) if value is None else (1, value)
