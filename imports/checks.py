"""Every row validated before anything is written: the preview.

`preview(kind, table, user=..., mapping=...)` reads each row with the column
spec, resolves its units and finds the record it updates, and asks the same
rule functions as the forms (cadres.idcard, postings.services). Units, cadres,
postings, batches and users are looked up once per table, never per row.
The result says, row by row, 新增 / 更新 (old → new) / 无变化 / 错误, with
every error and warning as (row, column, message); commit (imports.services)
writes what it planned, and only when it holds no error.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres import idcard
from cadres.lookups import units_for
from cadres.models import (
    Cadre,
    Rank,
    Role,
    Unit,
    UnitLevel,
    User,
    ancestor_paths,
    chain_levels,
)
from postings.models import Batch, Posting, cadres_visible_to
from postings.services import (
    COMPLETE_EARLY_GRACE,
    RuleData,
    default_end_date,
    hard_rule_errors,
    post_category,
    soft_violations,
)

from . import parsing
from .parsing import CellError
from .reading import Table
from .spec import (
    CATEGORIES,
    EDUCATION,
    GENDERS,
    LEVELS,
    POLITICAL,
    POSTING_KINDS,
    RANKS,
    ROLES,
    SPECS,
    STATUSES,
    UNIT_KINDS,
    Spec,
)

NEW, UPDATE, SAME, ERROR = "new", "update", "same", "error"
ACTION_LABELS = {
    NEW: gettext_lazy("新增"),
    UPDATE: gettext_lazy("更新"),
    SAME: gettext_lazy("无变化"),
    ERROR: gettext_lazy("错误"),
}
# Rows per `IN (...)` query when looking records up by key.
CHUNK = 900


@dataclass
class Problem:
    row: int  # the row number in the sheet; 0 for the file as a whole
    column: str
    message: str
    rule: str = ""  # a warning's soft rule (postings.models.RuleOverride.Rule)


@dataclass
class RowPlan:
    number: int
    cells: list
    label: str = ""
    action: str = NEW
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # model field -> value to write
    target: object = None  # the record updated
    extra: dict = field(default_factory=dict)


@dataclass
class Preview:
    spec: Spec
    headers: list[str]
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unknown_units: dict[str, list[int]] = field(default_factory=dict)
    new_batches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(ACTION_LABELS, 0)
        for row in self.rows:
            found[row.action] += 1
        return found

    def warning_reasons(self) -> dict[str, str]:
        """One line per soft rule raised, with the rows raising it."""
        rows: dict[str, list[int]] = defaultdict(list)
        for warning in self.warnings:
            rows[warning.rule].append(warning.row)
        return {
            rule: "、".join(_("第%(row)s行") % {"row": n} for n in numbers)
            for rule, numbers in rows.items()
        }


class Row:
    """One row's cells by header, collecting its problems."""

    def __init__(self, plan: RowPlan, columns: dict[str, int], preview: Preview):
        self.plan, self.columns, self.preview = plan, columns, preview

    def raw(self, header: str):
        at = self.columns.get(header)
        return None if at is None else self.plan.cells[at]

    def present(self, header: str) -> bool:
        return header in self.columns

    def error(self, header: str, message: str) -> None:
        self.plan.action = ERROR
        self.preview.errors.append(Problem(self.plan.number, header, message))

    def warn(self, header: str, message: str, rule: str) -> None:
        self.preview.warnings.append(Problem(self.plan.number, header, message, rule))

    def get(self, header: str, parse=parsing.text, **options):
        """The parsed value, None after recording an error (or when blank and
        optional); a required blank cell is an error."""
        value = self.raw(header)
        # str.strip() takes the ideographic space and line breaks too.
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.preview.spec.column(header).required:
                self.error(header, _("必须填写。"))
            return None
        try:
            return parse(value, **options)
        except CellError as exc:
            self.error(header, str(exc))
            return None

    def choice(self, header: str, names: dict[str, str], what: str):
        return self.get(header, parsing.choice, aliases=names, what=what)

    def limited(self, header: str, value: str | None, model, name: str) -> str:
        limit = model._meta.get_field(name).max_length
        if value and limit and len(value) > limit:
            self.error(
                header,
                _("不能超过%(limit)s个字（现有%(count)s个）。")
                % {"limit": limit, "count": len(value)},
            )
        return value or ""


# --- Units -------------------------------------------------------------------


class UnitIndex:
    """Units by name, read once: resolves what a cell says as the lookup
    fields do (a name, “上级单位/单位名称”, or the “单位（上级单位）” of the
    suggestions), within the units given. A name that is not found may be
    mapped once to a unit (`mapping`: key(cell) -> unit id)."""

    def __init__(self, units, mapping: dict[str, int] | None = None):
        self.by_id: dict[int, Unit] = {u.pk: u for u in units}
        self.by_name: dict[str, list[Unit]] = defaultdict(list)
        for unit in self.by_id.values():
            self.by_name[parsing.key(unit.name)].append(unit)
        self.mapping = mapping or {}
        self.parents: dict[int, Unit] = {}

    def add(self, unit: Unit) -> None:
        self.by_id[unit.pk] = unit
        self.by_name[parsing.key(unit.name)].append(unit)

    def parent_name(self, unit: Unit) -> str:
        parent = self.by_id.get(unit.parent_id) or self.parents.get(unit.parent_id)
        return parent.name if parent else ""

    def _under(self, unit: Unit, names: list[str]) -> bool:
        """Whether the units above `unit` are named `names`, nearest last."""
        above = unit
        for wanted in reversed(names):
            above = self.by_id.get(above.parent_id) or self.parents.get(above.parent_id)
            if above is None or parsing.key(above.name) != wanted:
                return False
        return True

    def find(self, cell: str) -> list[Unit]:
        plain = parsing.key(cell)
        if plain.endswith(")") and "(" in plain:  # 单位（上级单位）
            name, parent = plain[:-1].split("(", 1)
            parts = [parent, name]
        else:
            parts = [p for p in plain.split("/") if p]
        name, above = parts[-1], parts[:-1]
        return [u for u in self.by_name.get(name, []) if self._under(u, above)]

    def resolve(self, cell: str, unknown: dict[str, list[int]], row: int) -> Unit:
        mapped = self.mapping.get(parsing.key(cell))
        if mapped is not None and mapped in self.by_id:
            return self.by_id[mapped]
        found = self.find(cell)
        if not found:
            unknown.setdefault(cell, []).append(row)
            raise CellError(
                _(
                    "找不到单位“%(cell)s”（或不在您的管辖范围内）。请核对名称，"
                    "或在预览页把它对应到已有单位；导入不会新建单位。"
                )
                % {"cell": cell}
            )
        if len(found) > 1:
            parents = "、".join(
                sorted({self.parent_name(u) or _("顶层") for u in found})
            )
            raise CellError(
                _(
                    "有%(count)s个单位叫“%(cell)s”（上级分别为%(parents)s），"
                    "请写成“上级单位/单位名称”，如“%(parent)s/%(name)s”。"
                )
                % {
                    "count": len(found),
                    "cell": cell,
                    "parents": parents,
                    "parent": self.parent_name(found[0]),
                    "name": found[0].name,
                }
            )
        return found[0]


def _units(queryset) -> list[Unit]:
    return list(queryset.only("pk", "name", "kind", "parent_id", "path"))


def unit_index(user, *, everywhere: bool = False, mapping=None) -> UnitIndex:
    """The units a user may enter: their jurisdiction (the lookup fields'
    `units_for`), or every unit where the posting form offers every unit."""
    units = Unit.objects.all() if everywhere else units_for(user)
    index = UnitIndex(_units(units), mapping)
    if not everywhere and user.role != Role.ADMIN:
        # The names above the jurisdiction, for “上级单位/单位名称”.
        above = Unit.objects.filter(path__in=ancestor_paths(user.unit.path))
        index.parents = {u.pk: u for u in _units(above)}
    return index


def _resolve_unit(row: Row, header: str, index: UnitIndex) -> Unit | None:
    cell = row.get(header)
    if cell is None:
        return None
    try:
        return index.resolve(cell, row.preview.unknown_units, row.plan.number)
    except CellError as exc:
        row.error(header, str(exc))
        return None


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _changes(row: Row, target, data: dict, labels: dict[str, tuple[str, dict]]):
    """(column, old, new) for each field whose value differs; `labels`: field
    -> (column, display names of its values)."""
    changes = []
    for name, value in data.items():
        old = getattr(target, name)
        if old == value or (old in (None, "") and value in (None, "")):
            continue
        column, names = labels[name]
        changes.append(
            (column, names.get(old, _shown(old)), names.get(value, _shown(value)))
        )
    return changes


def _label_names(choices) -> dict:
    return {value: str(label) for value, label in choices}


def _duplicates(preview: Preview, keys: dict, column: str, what: str) -> None:
    """The same key on several rows: an error on each of them."""
    for rows in keys.values():
        if len(rows) < 2:
            continue
        for row in rows:
            others = "、".join(str(r.plan.number) for r in rows if r is not row)
            row.error(
                column,
                _("%(what)s与第%(others)s行重复：同一文件中只能出现一次。")
                % {"what": what, "others": others},
            )


def _start(spec: Spec, table: Table, preview: Preview) -> dict[str, int] | None:
    """The header checked against the spec: the columns by position, or None
    after a file error."""
    columns = {h: i for i, h in enumerate(table.headers) if h}
    unknown = [h for h in columns if h not in spec.headers]
    missing = [
        c.header
        for c in spec.columns
        if not c.optional_column and c.header not in columns
    ]
    for header in unknown:
        preview.errors.append(
            Problem(
                0,
                header,
                _("未知的列“%(header)s”。请使用模板中的列名。") % {"header": header},
            )
        )
    if missing:
        preview.errors.append(
            Problem(
                0,
                "、".join(missing),
                _("缺少必需的列：%(columns)s。") % {"columns": "、".join(missing)},
            )
        )
    return None if unknown or missing else columns


def preview(kind: str, table: Table, *, user: User, mapping=None) -> Preview:
    spec = SPECS[kind]
    result = Preview(spec=spec, headers=table.headers)
    columns = _start(spec, table, result)
    if columns is None:
        return result
    rows = [
        Row(RowPlan(number, cells), columns, result) for number, cells in table.rows
    ]
    result.rows = [row.plan for row in rows]
    CHECKERS[kind](rows, user=user, mapping=mapping or {}, preview=result)
    for row in rows:
        if row.plan.action != ERROR and row.plan.target is not None:
            row.plan.action = UPDATE if row.plan.changes else SAME
    result.errors.sort(key=lambda p: p.row)
    return result


# --- Units -------------------------------------------------------------------


def check_units(rows: list[Row], *, user, mapping, preview: Preview) -> None:
    index = unit_index(user, mapping=mapping)
    placed: dict[tuple, list[Row]] = defaultdict(list)
    seen = {(u.parent_id, parsing.key(u.name)): u for u in index.by_id.values()}
    kinds = _label_names(Unit.Kind.choices)
    labels = {
        "kind": ("单位类别", kinds),
        "distance_km": ("距市区公里数", {}),
        "is_power_department": ("是否实权部门", {}),
    }
    pending = 0
    for row in rows:
        plan = row.plan
        name = row.limited("单位名称", row.get("单位名称"), Unit, "name")
        kind = row.choice("单位类别", UNIT_KINDS, "单位类别")
        level = row.choice("层级", LEVELS, "层级")
        distance = row.get("距市区公里数", parsing.integer)
        power = row.get("是否实权部门", parsing.boolean)
        parent = None
        if parsing.text(row.raw("上级单位")):
            parent = _resolve_unit(row, "上级单位", index)
        elif user.role != Role.ADMIN:
            row.error(
                "上级单位", _("必须填写：只能在本部门管辖范围内的单位之下导入单位。")
            )
        if plan.action == ERROR or not name:
            continue
        plan.label = f"{index.parent_name(parent) + '/' if parent else ''}{name}"
        parent_id = parent.pk if parent else None
        placed[(parent_id, parsing.key(name))].append(row)
        plan.data = {
            "name": name,
            "kind": kind,
            "parent": parent,
            "distance_km": distance,
            "is_power_department": bool(power),
        }
        target = seen.get((parent_id, parsing.key(name)))
        if target is not None and target.pk > 0:
            plan.target = target
            changes = {"kind": kind, "is_power_department": bool(power)}
            if row.present("距市区公里数"):
                changes["distance_km"] = distance
            plan.changes = _changes(row, target, changes, labels)
            plan.data = changes
            unit = target
        else:
            # A unit of this file, found by later rows as a parent.
            pending -= 1
            unit = Unit(pk=pending, name=name, kind=kind, parent_id=parent_id)
            seen[(parent_id, parsing.key(name))] = unit
            index.add(unit)
            plan.extra["temp_id"] = pending
        if level:
            chain = _chain(unit, index)
            found = chain_levels(chain)[-1][1] if chain else None
            if found is not None and found != int(level):
                row.error(
                    "层级",
                    _(
                        "层级“%(level)s”与上级单位不符："
                        "按上级单位，%(name)s为%(found)s。"
                    )
                    % {
                        "level": UnitLevel(int(level)).label,
                        "name": name,
                        "found": found.label,
                    },
                )
    _duplicates(preview, placed, "单位名称", _("同一上级单位下的单位名称"))


def _chain(unit: Unit, index: UnitIndex) -> list[Unit]:
    chain = [unit]
    while chain[0].parent_id is not None:
        above = index.by_id.get(chain[0].parent_id) or index.parents.get(
            chain[0].parent_id
        )
        if above is None:
            break
        chain.insert(0, above)
    return chain


# --- Cadres ------------------------------------------------------------------


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def existing_cadres(user, numbers: list[str]) -> tuple[dict[str, Cadre], set[str]]:
    """(cadres the user may update, by ID number; ID numbers registered out
    of the user's scope), two queries per CHUNK numbers."""
    mine, taken = {}, set()
    for chunk in _chunks(numbers):
        found = Cadre.objects.filter(id_number__in=chunk)
        mine.update(
            (c.id_number, c)
            for c in cadres_visible_to(user, found).select_related("unit")
        )
        taken.update(found.values_list("id_number", flat=True))
    return mine, taken - set(mine)


CADRE_FIELDS = {
    # column -> model field
    "姓名": "name",
    "性别": "gender",
    "出生日期": "birth_date",
    "民族": "ethnicity",
    "政治面貌": "political_status",
    "学历": "education",
    "专业": "speciality",
    "工作单位": "unit",
    "现任职务": "position",
    "职级": "rank",
    "任现职时间": "position_since",
    "是否后备干部": "is_reserve",
    "联系电话": "phone",
    "任现职级时间": "rank_since",
    "是否领导职务": "is_leader",
}


def check_cadres(rows: list[Row], *, user, mapping, preview: Preview) -> None:
    index = unit_index(user, mapping=mapping)
    today = timezone.localdate()
    numbers: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        number = row.get("身份证号", parsing.id_number)
        if number:
            numbers[number].append(row)
            row.plan.extra["id_number"] = number
    _duplicates(preview, numbers, "身份证号", "身份证号")
    mine, taken = existing_cadres(user, list(numbers))
    names = {
        "gender": _label_names(Cadre._meta.get_field("gender").choices),
        "rank": _label_names(Rank.choices),
        "political_status": _label_names(POLITICAL_CHOICES),
        "education": _label_names(EDUCATION_CHOICES),
    }
    labels = {f: (c, names.get(f, {})) for c, f in CADRE_FIELDS.items()}
    for row in rows:
        plan = row.plan
        number = plan.extra.get("id_number")
        data = {
            "name": row.limited("姓名", row.get("姓名", parsing.name), Cadre, "name"),
            "gender": row.choice("性别", GENDERS, "性别"),
            "birth_date": row.get("出生日期", parsing.date),
            "ethnicity": row.limited("民族", row.get("民族"), Cadre, "ethnicity"),
            "political_status": row.choice("政治面貌", POLITICAL, "政治面貌") or "",
            "education": row.choice("学历", EDUCATION, "学历") or "",
            "speciality": row.limited("专业", row.get("专业"), Cadre, "speciality"),
            "unit": _resolve_unit(row, "工作单位", index),
            "position": row.limited("现任职务", row.get("现任职务"), Cadre, "position"),
            "rank": row.choice("职级", RANKS, "职级"),
            "position_since": row.get("任现职时间", parsing.date, month_ok=True),
            "is_reserve": bool(row.get("是否后备干部", parsing.boolean)),
            "phone": row.limited(
                "联系电话", row.get("联系电话", parsing.compact), Cadre, "phone"
            ),
        }
        if row.present("任现职级时间"):
            data["rank_since"] = row.get("任现职级时间", parsing.date, month_ok=True)
        if row.present("是否领导职务"):
            data["is_leader"] = bool(row.get("是否领导职务", parsing.boolean))
        if data["rank"]:
            data["rank"] = int(data["rank"])
        if number is None:
            plan.action = ERROR
            continue
        plan.label = f"{data['name'] or ''} {idcard.mask(number)}"
        id_birth, id_gender = idcard.parse(number)
        # The agreement the cadre form asks for (CadreForm.clean).
        if data["birth_date"] and data["birth_date"] != id_birth:
            row.error(
                "出生日期",
                _("出生日期与身份证号不一致（身份证号显示为%(date)s）。")
                % {"date": format(id_birth, "%Y-%m-%d")},
            )
        if data["gender"] and data["gender"] != id_gender:
            row.error("性别", _("性别与身份证号不一致。"))
        data["birth_date"] = data["birth_date"] or id_birth
        data["gender"] = data["gender"] or id_gender
        for column in ("任现职时间", "任现职级时间"):
            since = data.get(CADRE_FIELDS[column])
            if since and not (id_birth < since <= today):
                row.error(
                    column,
                    _("%(column)s应在出生日期之后、不晚于今天。") % {"column": column},
                )
        if number in taken:
            row.error(
                "身份证号",
                _(
                    "该身份证号已登记在您管辖范围以外的单位，不能导入；"
                    "请联系其所在单位的组织部。"
                ),
            )
        if plan.action == ERROR:
            continue
        target = mine.get(number)
        if target is not None:
            plan.target = target
            plan.changes = _changes(row, target, data, labels)
        plan.data = {"id_number": number, **data}


POLITICAL_CHOICES = Cadre._meta.get_field("political_status").choices
EDUCATION_CHOICES = Cadre._meta.get_field("education").choices


# --- Postings ----------------------------------------------------------------

POSTING_COLUMNS = {
    "planned_end_date": "结束日期",
    "receiving_unit": "接收单位",
    "sending_unit": "派出单位",
    "batch": "批次",
    "cadre": "身份证号",
    "category": "岗位类别",
    "__all__": "身份证号",
}


def check_postings(rows: list[Row], *, user, mapping, preview: Preview) -> None:
    home = unit_index(user, mapping=mapping)
    anywhere = unit_index(user, everywhere=True, mapping=mapping)
    numbers: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if number := row.get("身份证号", parsing.id_number):
            numbers[number].append(row)
            row.plan.extra["id_number"] = number
    cadres: dict[str, Cadre] = {}
    for chunk in _chunks(list(numbers)):
        found = Cadre.objects.filter(id_number__in=chunk).select_related("unit")
        cadres.update((c.id_number, c) for c in cadres_visible_to(user, found))
    postings = {
        (p.cadre_id, p.receiving_unit_id, p.start_date): p
        for chunk in _chunks([c.pk for c in cadres.values()])
        for p in Posting.objects.visible_to(user)
        .filter(cadre_id__in=chunk)
        .select_related("sending_unit", "batch")
    }
    batches = {
        parsing.key(b.name): b
        for b in Batch.objects.visible_to(user).select_related("unit").order_by("pk")
    }
    new_batches: dict[str, Batch] = {}
    today = timezone.localdate()
    keys: dict[tuple, list[Row]] = defaultdict(list)
    checked: list[tuple[Row, Posting]] = []
    statuses = _label_names(Posting.Status.choices)
    labels = {
        "kind": ("挂职类型", _label_names(Posting.Kind.choices)),
        "sending_unit": ("派出单位", {}),
        "title": ("挂任职务", {}),
        "planned_end_date": ("结束日期", {}),
        "batch": ("批次", {}),
        "category": ("岗位类别", _label_names(CATEGORY_CHOICES)),
        "post_rank": ("挂任职级", _label_names(Rank.choices)),
        "ended_on": ("实际结束日期", {}),
        "end_reason": ("结束原因", {}),
    }
    for row in rows:
        plan = row.plan
        number = plan.extra.get("id_number")
        cadre = cadres.get(number) if number else None
        name = row.get("姓名", parsing.name)
        if number and cadre is None:
            row.error(
                "身份证号",
                _("找不到该身份证号的干部（或不在您的管辖范围内）。请先导入干部。"),
            )
        elif cadre is not None and name and name != cadre.name:
            row.error(
                "姓名",
                _("姓名与该身份证号登记的干部“%(name)s”不一致。")
                % {"name": cadre.name},
            )
        kind = row.choice("挂职类型", POSTING_KINDS, "挂职类型")
        sending = _resolve_unit(row, "派出单位", home)
        receiving = _resolve_unit(row, "接收单位", anywhere)
        title = row.limited("挂任职务", row.get("挂任职务"), Posting, "title")
        start = row.get("开始日期", parsing.date)
        end = row.get("结束日期", parsing.date)
        batch_name = row.get("批次")
        category = row.choice("岗位类别", CATEGORIES, "岗位类别") or ""
        post_rank = row.choice("挂任职级", RANKS, "挂任职级")
        status = row.choice("状态", STATUSES, "状态") or Posting.Status.PROPOSED
        ended_on = row.get("实际结束日期", parsing.date)
        reason = row.limited("结束原因", row.get("结束原因"), Posting, "end_reason")
        batch = None
        if batch_name:
            batch = batches.get(parsing.key(batch_name))
            if batch is None and user.role != Role.ADMIN:
                batch = new_batches.setdefault(
                    parsing.key(batch_name),
                    Batch(name=batch_name, year=(start or today).year, unit=user.unit),
                )
            elif batch is None:
                row.error(
                    "批次",
                    _("找不到批次“%(batch)s”。系统管理员请先创建批次。")
                    % {"batch": batch_name},
                )
        if plan.action == ERROR or cadre is None:
            plan.action = ERROR
            continue
        plan.label = f"{cadre.name} {receiving.name} {start:%Y-%m-%d}"
        try:
            category = post_category(
                title=title, receiving_unit=receiving, category=category
            )
        except ValidationError as exc:
            row.error("岗位类别", exc.message_dict["category"][0])
            continue
        end = end or default_end_date(
            start=start, category=category, batch=batch if batch and batch.pk else None
        )
        _status_dates(row, status, start, end, ended_on, reason, today)
        key = (cadre.pk, receiving.pk, start)
        keys[key].append(row)
        target = postings.get(key)
        posting = Posting(
            pk=target.pk if target else None,
            cadre=cadre,
            kind=kind,
            sending_unit=sending,
            receiving_unit=receiving,
            title=title,
            start_date=start,
            planned_end_date=end,
            status=status,
            batch=batch if batch and batch.pk else None,
            category=category,
            post_rank=int(post_rank) if post_rank else None,
        )
        checked.append((row, posting))
        data = {
            "kind": kind,
            "sending_unit": sending,
            "title": title,
            "planned_end_date": end,
            "batch": batch,
            "category": category,
            "post_rank": int(post_rank) if post_rank else None,
        }
        plan.extra.update(status=status, ended_on=ended_on, end_reason=reason)
        if target is not None:
            plan.target = target
            if target.status != status:
                row.error(
                    "状态",
                    _(
                        "系统中该挂职的状态为“%(old)s”，与文件中的"
                        "“%(new)s”不同：状态变更请在挂职页面办理。"
                    )
                    % {"old": statuses[target.status], "new": statuses[status]},
                )
                continue
            plan.changes = _changes(row, target, data, labels)
        plan.data = {
            "cadre": cadre,
            "receiving_unit": receiving,
            "start_date": start,
            **data,
        }
    # Rules 1 to 3 against the database, read once for the whole file.
    rule_data = RuleData.load(posting for _row, posting in checked)
    for row, posting in checked:
        for name_, message in hard_rule_errors(
            posting, by=user, data=rule_data
        ).items():
            row.error(POSTING_COLUMNS.get(name_, "身份证号"), message)
        for violation in soft_violations(posting, rule_data):
            row.warn("接收单位", violation.detail, violation.rule)
    _duplicates(preview, keys, "身份证号", _("身份证号、接收单位和开始日期"))
    _overlaps_in_file(keys)
    preview.new_batches = [b.name for b in new_batches.values()]


CATEGORY_CHOICES = Posting._meta.get_field("category").choices


def _status_dates(row, status, start, end, ended_on, reason, today) -> None:
    """What a posting recorded with its history needs (the transitions'
    conditions, postings.services.posting_transition)."""
    if status == Posting.Status.ACTIVE and start > today:
        row.error("状态", _("开始日期在今天以后，不能记为在岗。"))
    ended = status in (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)
    if ended and ended_on is None:
        row.error("实际结束日期", _("期满或提前结束的挂职须填写实际结束日期。"))
    if not ended and ended_on is not None:
        row.error("实际结束日期", _("只有期满或提前结束的挂职填写实际结束日期。"))
    if ended and ended_on is not None:
        if ended_on < start:
            row.error("实际结束日期", _("实际结束日期不能早于开始日期。"))
        elif ended_on > today:
            row.error("实际结束日期", _("实际结束日期不能晚于今天。"))
        elif (
            status == Posting.Status.COMPLETED and ended_on < end - COMPLETE_EARLY_GRACE
        ):
            row.error(
                "实际结束日期",
                _("实际结束日期早于结束日期%(end)s，应记为提前结束并填写原因。")
                % {"end": format(end, "%Y-%m-%d")},
            )
    if status == Posting.Status.ENDED_EARLY and not reason:
        row.error("结束原因", _("提前结束须填写结束原因。"))


def _overlaps_in_file(keys: dict[tuple, list[Row]]) -> None:
    """Rule 1 within the file: one cadre's live rows may not overlap."""
    live = (Posting.Status.PROPOSED, Posting.Status.ACTIVE)
    by_cadre: dict[int, list[Row]] = defaultdict(list)
    for rows in keys.values():
        for row in rows:
            if row.plan.action != ERROR and row.plan.extra.get("status") in live:
                by_cadre[row.plan.data["cadre"].pk].append(row)
    for rows in by_cadre.values():
        for row in rows:
            mine = row.plan.data
            for other in rows:
                theirs = other.plan.data
                if other is row:
                    continue
                if (
                    theirs["start_date"] < mine["planned_end_date"]
                    and theirs["planned_end_date"] > mine["start_date"]
                ):
                    row.error(
                        "开始日期",
                        _(
                            "与第%(row)s行是同一干部、时间重叠的挂职："
                            "同一时间只能有一项拟派或在岗的挂职。"
                        )
                        % {"row": other.plan.number},
                    )
                    break


# --- Users -------------------------------------------------------------------


def check_users(rows: list[Row], *, user, mapping, preview: Preview) -> None:
    index = unit_index(user, mapping=mapping)
    usernames: dict[str, list[Row]] = defaultdict(list)
    numbers: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        username = row.get("用户名", parsing.compact)
        if username:
            try:
                User.username_validator(username)
            except ValidationError:
                row.error("用户名", _("用户名只能包含字母、数字和 @.+-_。"))
            usernames[username].append(row)
            row.plan.extra["username"] = username
        if number := row.get("干部身份证号", parsing.id_number):
            numbers[number].append(row)
            row.plan.extra["id_number"] = number
    _duplicates(preview, usernames, "用户名", "用户名")
    _duplicates(preview, numbers, "干部身份证号", "干部身份证号")
    existing = {
        u.username: u
        for chunk in _chunks(list(usernames))
        for u in User.objects.filter(username__in=chunk).select_related("unit", "cadre")
    }
    cadres: dict[str, Cadre] = {}
    for chunk in _chunks(list(numbers)):
        found = Cadre.objects.filter(id_number__in=chunk).select_related("unit")
        cadres.update((c.id_number, c) for c in cadres_visible_to(user, found))
    accounts = {
        u.cadre_id: u.username
        for u in User.objects.filter(cadre__in=list(cadres.values()))
    }
    scope = set(index.by_id)
    roles = _label_names(Role.choices)
    labels = {
        "last_name": ("姓名", {}),
        "role": ("角色", roles),
        "unit": ("所属单位", {}),
        "email": ("电子邮箱", {}),
        "cadre": ("干部身份证号", {}),
    }
    for row in rows:
        plan = row.plan
        username = plan.extra.get("username")
        name = row.limited("姓名", row.get("姓名", parsing.name), User, "last_name")
        role = row.choice("角色", ROLES, "角色")
        unit = None
        if parsing.text(row.raw("所属单位")):
            unit = _resolve_unit(row, "所属单位", index)
        elif role in (Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT):
            row.error(
                "所属单位",
                _("组织部工作人员、接收单位领导和派出单位联系人必须填写所属单位。"),
            )
        email = row.get("电子邮箱", parsing.compact) or ""
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row.error(
                    "电子邮箱",
                    _("“%(email)s”不是有效的电子邮箱。") % {"email": email},
                )
        number = plan.extra.get("id_number")
        cadre = cadres.get(number) if number else None
        if number and cadre is None:
            row.error(
                "干部身份证号", _("找不到该身份证号的干部（或不在您的管辖范围内）。")
            )
        if role == Role.CADRE and not parsing.text(row.raw("干部身份证号")):
            row.error("干部身份证号", _("挂职干部账号必须填写干部身份证号。"))
        if role == Role.ADMIN and user.role != Role.ADMIN:
            row.error("角色", _("只有系统管理员能导入系统管理员账号。"))
        # A cadre's account acts as the cadre and sees every posting of theirs:
        # org staff open one only for a cadre of their own units, not for one
        # they merely host (who is another jurisdiction's to manage).
        if (
            role == Role.CADRE
            and cadre is not None
            and user.role != Role.ADMIN
            and not cadre.unit.path.startswith(user.unit.path)
        ):
            row.error(
                "干部身份证号",
                _(
                    "该干部的所在单位（%(unit)s）不在您的管辖范围内：只能为本管辖"
                    "范围内单位的干部开设账号，请由其所在地组织部或系统管理员办理。"
                )
                % {"unit": cadre.unit.name},
            )
        if role == Role.CADRE and unit is None and cadre is not None:
            unit = cadre.unit if cadre.unit_id in scope else None
        target = existing.get(username) if username else None
        if target is not None and user.role != Role.ADMIN:
            if target.role == Role.ADMIN or target.unit_id not in scope:
                row.error(
                    "用户名", _("该用户名已被使用（不在您的管辖范围内），请换一个。")
                )
        if cadre is not None and accounts.get(cadre.pk, username) != username:
            row.error(
                "干部身份证号",
                _("该干部已有账号“%(username)s”，一名干部只能有一个账号。")
                % {"username": accounts[cadre.pk]},
            )
        if plan.action == ERROR or not username:
            plan.action = ERROR
            continue
        plan.label = f"{username} {name}"
        data = {
            "last_name": name,
            "role": role,
            "unit": unit,
            "email": email,
            "cadre": cadre if role == Role.CADRE else None,
        }
        if target is not None:
            plan.target = target
            plan.changes = _changes(row, target, data, labels)
            # Users are the admins' to manage (DOMAIN.md, roles): org staff
            # bring new accounts in, and an account already there may only
            # come back unchanged, so that nobody redirects a colleague's
            # reminders or changes their role from a file.
            if plan.changes and user.role != Role.ADMIN:
                row.error(
                    "用户名",
                    _(
                        "账号“%(username)s”已存在：修改已有账号（姓名、角色、单位、"
                        "邮箱、干部）须由系统管理员在系统管理中办理。"
                    )
                    % {"username": username},
                )
                plan.action = ERROR
                continue
        plan.data = {"username": username, **data}


CHECKERS = {
    "units": check_units,
    "cadres": check_cadres,
    "postings": check_postings,
    "users": check_users,
}
