"""The dossier as .xlsx: a summary sheet, the postings, one sheet per record kind.

Pure functions over a loaded `Dossier`: no request, no queries.
"""

import datetime as dt

from django.utils import timezone

from cadres.idcard import Shown
from cadres.models import Gender, Rank
from guazhi.excel import ColumnSpec, Sheet, build_sheets
from records.display import display, field_label

from .dossier import KINDS, Dossier, Kind

WIDE = 40


def dossier_workbook(file: Dossier, *, shown: Shown) -> bytes:
    """`shown`: what of the ID number and birth date the reader may see."""
    return build_sheets(
        [
            _summary_sheet(file, shown),
            _postings_sheet(file),
            *(_kind_sheet(file, spec) for spec in KINDS),
        ]
    )


def _posting_label(posting) -> str:
    return f"{posting.receiving_unit.name}{posting.title}（{posting.start_date:%Y-%m}）"


def _summary_sheet(file: Dossier, shown: Shown) -> Sheet:
    cadre, summary = file.cadre, file.summary()
    current = summary.current
    rows = [
        ("姓名", cadre.name),
        ("身份证号", shown.id_number(cadre.id_number)),
        ("性别", cadre.get_gender_display()),
        ("出生日期", shown.birth_date(cadre.birth_date)),
        ("所在单位", cadre.unit.name),
        ("现任职务", cadre.position),
        ("职级", cadre.get_rank_display()),
        ("当前挂职", _posting_label(current) if current else "无"),
        ("已挂职天数", summary.days_served or ""),
        ("月小结（已交/应交）", f"{summary.notes_filed}/{summary.notes_expected}"),
        (
            "待交材料",
            "；".join(f"{s.label} {s.due:%Y-%m-%d}" for s in summary.reports_due),
        ),
        (
            "逾期材料",
            "；".join(f"{s.label} {s.due:%Y-%m-%d}" for s in summary.reports_overdue),
        ),
        ("当前预警等级", f"{summary.warning_label}（{summary.warning_points}分）"),
        ("最近考核等级", summary.grade or "暂无"),
        ("未解决的保障需求", summary.open_needs),
        ("导出时间", timezone.localtime().replace(tzinfo=None)),
    ]
    return Sheet("概况", [ColumnSpec("项目", 22), ColumnSpec("内容", 60)], rows)


def _postings_sheet(file: Dossier) -> Sheet:
    columns = [
        ColumnSpec(h, w)
        for h, w in [
            ("类型", 8),
            ("派出单位", 20),
            ("接收单位", 20),
            ("挂任职务", 16),
            ("开始日期", 12),
            ("计划结束日期", 12),
            ("实际结束日期", 12),
            ("状态", 8),
            ("档案完整度", 10),
            ("缺少的材料", 60),
        ]
    ]
    rows = [
        (
            p.get_kind_display(),
            p.sending_unit.name,
            p.receiving_unit.name,
            p.title,
            p.start_date,
            p.planned_end_date,
            p.ended_on,
            p.get_status_display(),
            f"{check.done}/{check.expected}",
            "；".join(check.missing),
        )
        for check in file.checks()
        for p in [check.posting]
    ]
    return Sheet("挂职", columns, rows)


def _kind_sheet(file: Dossier, spec: Kind) -> Sheet:
    if spec.key == "symposium":
        names = ["会议名称", "主持人/主办单位", "会议纪要", "参会干部"]
    else:
        names = [field_label(spec.model, n) for n in spec.fields]
    if spec.key == "report":
        names.append("附件")
    columns = [
        ColumnSpec("挂职", 28),
        ColumnSpec("日期", 12),
        *(ColumnSpec(n, WIDE if len(n) > 3 else 14) for n in names),
        ColumnSpec("填报人", 12),
        ColumnSpec("填报时间", 17),
    ]
    rows = []
    for entry in reversed(file.entries(kind=spec.key)):
        record = entry.record
        if spec.key == "symposium":
            s = record.symposium
            values = [s.title, s.host, s.minutes, "、".join(record.attendee_names)]
        else:
            values = [_value(record, n) for n in spec.fields]
        if spec.key == "report":
            values.append("、".join(f.original_name for f in record.files))
        rows.append(
            (
                _posting_label(entry.posting),
                entry.date,
                *values,
                str(entry.author),
                timezone.localtime(entry.created_at).replace(tzinfo=None),
            )
        )
    return Sheet(spec.label, columns, rows)


def _value(record, name: str):
    """Numbers and dates stay numbers and dates in the sheet; the rest as shown."""
    value = getattr(record, name)
    if record._meta.get_field(name).choices:
        return display(record, name)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, int | dt.date):
        return value
    return display(record, name)


CADRE_COLUMNS = [
    ColumnSpec("姓名", 12),
    ColumnSpec("身份证号", 20),
    ColumnSpec("性别", 6),
    ColumnSpec("出生日期", 12),
    ColumnSpec("所在单位", 24),
    ColumnSpec("现任职务", 20),
    ColumnSpec("职级", 8),
    ColumnSpec("后备干部", 10),
]
CADRE_LIST_TITLE = "干部名单"


def cadre_sheet(cadres, *, shown: Shown) -> Sheet:
    """The cadre list as filtered on screen, one sheet; `cadres` is a queryset
    already scoped (cadres_visible_to), filtered and ordered, read as plain
    values in chunks. The ID number and birth date as `shown` allows: a full
    birth date as a date, a year alone as text."""
    genders = {value: str(label) for value, label in Gender.choices}
    ranks = {value: str(label) for value, label in Rank.choices}
    values = cadres.values_list(
        "name",
        "id_number",
        "gender",
        "birth_date",
        "unit__name",
        "position",
        "rank",
        "is_reserve",
    )
    rows = (
        (
            name,
            shown.id_number(id_number),
            genders.get(gender, gender),
            birth if shown.full else shown.birth_date(birth),
            unit,
            position,
            ranks.get(rank, rank),
            "是" if reserve else "否",
        )
        for name, id_number, gender, birth, unit, position, rank, reserve in (
            values.iterator(chunk_size=2000)
        )
    )
    return Sheet(CADRE_LIST_TITLE, CADRE_COLUMNS, rows)


OVERDUE_TITLE = "逾期待办事项"


def overdue_sheets(groups, details, *, kinds: dict, roles: dict, today) -> list[Sheet]:
    """Obligations overdue: a sheet by owing unit and kind (how many, since
    when), and the overdue obligations one by one. `groups` and `details`
    are plain values from querysets already scoped and filtered."""
    group_rows = (
        (unit, kinds.get(kind, kind), n, oldest, (today - oldest).days)
        for unit, kind, n, oldest in groups
    )
    detail_rows = (
        (
            kinds.get(kind, kind),
            cadre,
            roles.get(owed_by, owed_by),
            unit,
            due,
            (today - due).days,
        )
        for kind, cadre, owed_by, unit, due in details
    )
    return [
        Sheet(
            "按单位和类型",
            [
                ColumnSpec("责任单位", 24),
                ColumnSpec("事项", 18),
                ColumnSpec("逾期件数", 10),
                ColumnSpec("最早应完成日期", 14),
                ColumnSpec("最长逾期天数", 12),
            ],
            group_rows,
        ),
        Sheet(
            "逾期明细",
            [
                ColumnSpec("事项", 18),
                ColumnSpec("干部", 12),
                ColumnSpec("责任方", 14),
                ColumnSpec("责任单位", 24),
                ColumnSpec("应完成日期", 12),
                ColumnSpec("逾期天数", 10),
            ],
            detail_rows,
        ),
    ]
