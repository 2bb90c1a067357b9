"""Rows of several models in one query: a UNION ALL of JSON objects.

A page that shows a handful of small record lists (a posting's changes and
extensions, a dossier's record kinds) would otherwise spend a query on each.
Each part's rows travel as one JSON object per row with the model's columns
and those of the related rows it names, and come back as model instances, the
related rows attached as select_related would attach them. Related rows hold
only the fields asked for; any other field is deferred (read on access).

Building and compiling such a query costs far more than running it (a
dossier's seventeen parts: about 15 ms of ORM work for a 1 ms query), so
`load_prepared` compiles it once per shape and afterwards only binds the
primary keys it is about (see there).
"""

import datetime as dt
import functools
import json
import operator
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

# Fields of a user that say who it is (str(user)); the rest stays deferred.
WHO = ("id", "username", "first_name", "last_name")


@dataclass(frozen=True)
class Part:
    """One list: its rows (filtered, ordered) and the related rows to bring.

    `related` maps a select_related path ("author", "symposium__author") to
    the fields to load, or () for all of them; a reverse one-to-one path
    ("successor") is cached as select_related caches it, None included.
    `defer` names fields of the part's own model to leave out (read on
    access). The queryset's annotations come along as attributes.
    """

    key: str
    queryset: QuerySet
    related: dict[str, Sequence[str]] = field(default_factory=dict)
    defer: Sequence[str] = ()


def _fields(
    model: type[Model], names: Sequence[str], defer: Sequence[str] = ()
) -> list[models.Field]:
    """The fields to load. JSON fields are left deferred: inside a JSON object
    SQLite gives them as text and PostgreSQL as JSON, not to be told apart."""
    concrete = [
        f for f in model._meta.concrete_fields if not isinstance(f, models.JSONField)
    ]
    if not names:
        return [f for f in concrete if f.name not in defer]
    return [f for f in concrete if f.name in names or f.attname in names]


def _related_model(model: type[Model], path: str) -> type[Model]:
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def _columns(part: Part) -> dict:
    model = part.queryset.model
    columns = {f.attname: F(f.attname) for f in _fields(model, (), part.defer)}
    for path, names in part.related.items():
        for f in _fields(_related_model(model, path), names):
            columns[f"{path}.{f.attname}"] = F(f"{path}__{f.attname}")
    for name in part.queryset.query.annotation_select:
        columns[f"+{name}"] = F(name)
    return columns


def _datetime(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        value = parse_datetime(raw)
    # SQLite keeps UTC without an offset; PostgreSQL writes the offset.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _date(raw: str) -> dt.date:
    return dt.date.fromisoformat(raw[:10])


def _converter(f: models.Field) -> Callable | None:
    """How a JSON value becomes what the field holds in Python (None: as is)."""
    if isinstance(f, models.DateTimeField):
        return _datetime
    if isinstance(f, models.DateField):
        return _date
    if isinstance(f, models.BooleanField):
        return bool
    if isinstance(f, models.DecimalField):
        # As the database backends give it: with the field's decimal places.
        places = f.decimal_places
        exponent = None if places is None else Decimal(1).scaleb(-places)
        return lambda raw: (
            Decimal(str(raw))
            if exponent is None
            else Decimal(str(raw)).quantize(exponent)
        )
    return None


@functools.cache
def _plan(model, prefix: str, names: tuple, defer: tuple):
    """(values getter, attnames, (index, converter) of the values to convert)
    of the fields a row is made of."""
    fields = _fields(model, names, defer)
    keys = [prefix + f.attname for f in fields]
    get = operator.itemgetter(*keys)
    getter = (lambda data: [get(data)]) if len(keys) == 1 else get
    convert = tuple(
        (i, c) for i, c in enumerate(map(_converter, fields)) if c is not None
    )
    return getter, [f.attname for f in fields], convert


def _instance(db: str, model, data: dict, prefix: str, names: Sequence[str], defer=()):
    getter, attnames, convert = _plan(model, prefix, tuple(names), tuple(defer))
    values = list(getter(data))
    if prefix and values[0] is None:  # an empty nullable relation
        return None
    for i, converter in convert:
        if values[i] is not None:
            values[i] = converter(values[i])
    return model.from_db(db, attnames, values)


def _related(db: str, model, data: dict, prefix: str, names: tuple, seen: dict):
    """A related row, made once per query: rows that share it share it."""
    key = (model, names, data.get(f"{prefix}{model._meta.pk.attname}"))
    if key[2] is None or key not in seen:
        seen[key] = _instance(db, model, data, prefix, names)
    return seen[key]


# Keys per JSON object: a function takes at most 100 arguments on PostgreSQL
# and 127 on SQLite, two per key. A row with more columns is an object of
# objects ("*0", "*1", ...), merged again on reading.
CHUNK = 40


def _json(columns: dict) -> JSONObject:
    if len(columns) <= CHUNK:
        return JSONObject(**columns)
    items = list(columns.items())
    return JSONObject(
        **{
            f"*{i // CHUNK}": JSONObject(**dict(items[i : i + CHUNK]))
            for i in range(0, len(items), CHUNK)
        }
    )


def _flat(data: dict) -> dict:
    if "*0" not in data:
        return data
    merged = {}
    for chunk in data.values():
        merged.update(chunk)
    return merged


def _union(parts: list[Part]) -> QuerySet | None:
    selects = [
        part.queryset.order_by().values(k=Value(part.key), d=_json(_columns(part)))
        for part in parts
    ]
    if not selects:
        return None
    return selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]


def load(parts: Iterable[Part]) -> dict[str, list[Model]]:
    """Every part's rows, in its queryset's order, from one query."""
    parts = list(parts)
    union = _union(parts)
    found = [] if union is None else [(row["k"], row["d"]) for row in union]
    return _collect(parts, found)


def _collect(parts: list[Part], found: Iterable[tuple[str, dict]]):
    rows: dict[str, list[Model]] = {part.key: [] for part in parts}
    plans = {
        part.key: (part, _related_plan(part), _annotations(part)) for part in parts
    }
    seen: dict = {}
    for key, data in found:
        part, related, annotations = plans[key]
        rows[key].append(_build(part, related, annotations, _flat(data), seen))
    for part in parts:
        _sort(rows[part.key], part.queryset)
    return rows


def _related_plan(part: Part) -> list[tuple]:
    """(owner steps, relation, model, JSON prefix, fields, the relation's
    other side when one-to-one) per related path, shallow paths first, so
    that "symposium__author" finds its symposium."""
    model = part.queryset.model
    plan = []
    for path in sorted(part.related, key=lambda p: p.count("__")):
        owner, _sep, name = path.rpartition("__")
        steps = tuple(owner.split("__")) if owner else ()
        holder_model = _related_model(model, owner) if owner else model
        relation = holder_model._meta.get_field(name)
        if not relation.one_to_one:
            back = None
        else:  # forward: the reverse accessor; reverse: the forward field
            back = relation.remote_field if relation.concrete else relation.field
        names = tuple(part.related[path])
        plan.append((steps, relation, relation.related_model, f"{path}.", names, back))
    return plan


def _annotations(part: Part) -> list[tuple]:
    """(attribute, JSON key, converter) of the queryset's annotations."""
    query = part.queryset.query
    return [
        (name, f"+{name}", _converter(query.annotations[name].output_field))
        for name in query.annotation_select
    ]


def _build(part: Part, related, annotations, data: dict, seen: dict) -> Model:
    model, db = part.queryset.model, part.queryset.db
    obj = _instance(db, model, data, "", (), part.defer)
    for name, key, convert in annotations:
        raw = data.get(key)
        setattr(obj, name, raw if raw is None or convert is None else convert(raw))
    # Cached as select_related caches them (None: no such row).
    for steps, relation, target, prefix, names, back in related:
        holder = obj
        for step in steps:
            holder = getattr(holder, step)
        if holder is None:  # an empty nullable relation on the way
            continue
        value = _related(db, target, data, prefix, names, seen)
        relation.set_cached_value(holder, value)
        if back is not None and value is not None:
            back.set_cached_value(value, holder)
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


# --- Compiled once per shape --------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    parts: list[Part]  # built from stand-in keys: for models and ordering only
    db: str
    sql: str | None  # None: every part is empty whatever the keys
    params: tuple
    slots: tuple[tuple[int, int, int], ...]  # (param index, argument, item or -1)
    named: bool = False  # parameters named p0, p1, ... (pyformat)
    # Prepared on the server (PostgreSQL, `_cursor`): not when a part groups
    # (an aggregate annotation), where PostgreSQL cannot match a grouped
    # expression holding a parameter ($n) with the same one in the select list.
    server: bool = False


_PREPARED: OrderedDict = OrderedDict()
_PREPARED_MAX = 256
_lock = threading.Lock()
_UNPREPARED = object()  # a shape whose query cannot be kept
# Stand-ins for the keys while compiling: negative, so never a primary key.
_STAND_IN = -1_987_650_000


def load_prepared(
    key: Hashable, make_parts: Callable[..., list[Part]], *args
) -> dict[str, list[Model]]:
    """`load(make_parts(*args))`, the query built and compiled once per shape.

    Each of `args` is a primary key (int) or a sequence of them, and
    `make_parts` may use them only as values to compare with (`pk=`,
    `posting_id__in=`), so that they reach the SQL as parameters. The first
    call for a shape (`key`, the database vendor, the length of each
    sequence) builds the parts from stand-in keys, compiles the query and
    notes where each stand-in went among the parameters; later calls put the
    keys there and run the SQL. `key` must therefore name everything else
    the parts depend on (whose scope: `scope_shape`). A query whose stand-ins
    do not all come out as parameters is not kept: it is built every time.
    """
    shape = tuple(-1 if isinstance(a, int) else len(a) for a in args)
    vendor = connections["default"].vendor
    cache_key = (key, vendor, shape)
    prepared = _PREPARED.get(cache_key)
    if prepared is None:
        prepared = _prepare(make_parts, shape) or _UNPREPARED
        with _lock:
            _PREPARED[cache_key] = prepared
            while len(_PREPARED) > _PREPARED_MAX:
                _PREPARED.popitem(last=False)
    if prepared is _UNPREPARED:  # keys not all parameters: no shortcut
        return load(make_parts(*args))
    if prepared.sql is None:
        return _collect(prepared.parts, ())
    params = list(prepared.params)
    for index, arg, item in prepared.slots:
        params[index] = args[arg] if item < 0 else args[arg][item]
    if prepared.named:
        params = {f"p{i}": value for i, value in enumerate(params)}
    connection = connections[prepared.db]
    with _cursor(prepared.db) if prepared.server else connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        found = [
            (k, json.loads(d) if isinstance(d, str | bytes) else d)
            for k, d in cursor.fetchall()
        ]
    return _collect(prepared.parts, found)


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds on the server and has the statement prepared at once."""

        def execute(self, query, params=None, **kwargs):
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)

    return PreparingCursor


def _cursor(alias: str):
    """The cursor a prepared query runs on. On PostgreSQL the statement is
    prepared on the server, so that each connection plans it once: planning
    the dossier's query took longer than running it. Django's wrapper around
    it logs the query like any other (query counts, DEBUG)."""
    conn = connections[alias]
    if conn.vendor != "postgresql":
        return conn.cursor()
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors:
        return conn._prepare_cursor(_preparing_cursor_class()(conn.connection))


def _prepare(make_parts, shape) -> _Prepared | None:
    stand_ins, where, n = [], {}, 0
    for arg, size in enumerate(shape):
        if size < 0:
            n += 1
            where[_STAND_IN - n] = (arg, -1)
            stand_ins.append(_STAND_IN - n)
        else:
            items = []
            for item in range(size):
                n += 1
                where[_STAND_IN - n] = (arg, item)
                items.append(_STAND_IN - n)
            stand_ins.append(items)
    parts = make_parts(*stand_ins)
    union = _union(parts)
    if union is None:
        return _Prepared(parts, "default", None, (), ())
    try:
        sql, params = union.query.get_compiler(using=union.db).as_sql()
    except EmptyResultSet:
        return _Prepared(parts, union.db, None, (), ())
    named = False
    server = connections[union.db].vendor == "postgresql" and all(
        part.queryset.query.group_by is None for part in parts
    )
    if connections[union.db].vendor == "sqlite":
        sql, params, named = _for_sqlite(sql, params)
    elif server:
        sql, params = _for_postgresql(sql, params, connections[union.db])
    slots = tuple(
        (index, *where[value])
        for index, value in enumerate(params)
        if type(value) is int and value in where
    )
    if {where[value] for value in where} != {s[1:] for s in slots} or any(
        str(value) in sql for value in where
    ):
        return None
    return _Prepared(parts, union.db, sql, tuple(params), slots, named, server)


# Where the SQL takes a parameter, as django.db.backends.sqlite3 finds them.
_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _for_sqlite(sql: str, params) -> tuple[str, list, bool]:
    """The SQL with its string parameters written in as literals and the
    others named (pyformat), if its placeholders are as expected.

    The strings are the same at every run of a prepared query (the stand-ins
    are integers), and SQLite prepares a statement that has a parameter on
    the right of LIKE (a scope's unit path) again at every run, since the
    value may change the plan: for a dossier's query that took most of its
    time. Named parameters spare the backend a regular expression over the
    whole SQL at every run.
    """
    pieces = _PLACEHOLDER.split(sql)
    if len(pieces) != len(params) + 1:  # not as expected: leave it alone
        return sql, list(params), False
    out, kept = [pieces[0]], []
    for value, piece in zip(params, pieces[1:], strict=True):
        if isinstance(value, str) and "\x00" not in value:
            text = str.__str__(value).replace("'", "''").replace("%", "%%")
            out.append(f"'{text}'")
        else:
            out.append(f"%(p{len(kept)})s")
            kept.append(value)
        out.append(piece)
    return "".join(out), kept, True


def _for_postgresql(sql: str, params, connection) -> tuple[str, list]:
    """The SQL with its string parameters written in as literals, for a
    statement prepared on the server: its generic plan then knows the LIKE
    prefixes (a scope's unit path) and JSON keys, which are the same at every
    run of the shape, and runs in about half the time of one planned for
    any string."""
    from psycopg import sql as pg_sql

    pieces = _PLACEHOLDER.split(sql)
    if len(pieces) != len(params) + 1:  # not as expected: leave it alone
        return sql, list(params)
    connection.ensure_connection()
    out, kept = [pieces[0]], []
    for value, piece in zip(params, pieces[1:], strict=True):
        if isinstance(value, str):
            literal = pg_sql.Literal(str.__str__(value))
            out.append(literal.as_string(connection.connection).replace("%", "%%"))
        else:
            out.append("%s")
            kept.append(value)
        out.append(piece)
    return "".join(out), kept


def scope_shape(user) -> tuple:
    """Everything of `user` that the scope filters (`Posting.scope_parts`,
    `visible_to`) read: a `load_prepared` key for parts filtered by scope."""
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or role is None:
        return (None,)
    unit = user.unit if role == "org_staff" else None
    return (
        role,
        user.pk,
        user.unit_id,
        getattr(user, "cadre_id", None),
        unit and (unit.path, unit.parent_id is None),
    )
