"""The dossier as .xlsx: a summary sheet, the postings, one sheet per record kind.

Pure functions over a loaded `Dossier`: no request, no queries.
"""

import datetime as dt

from django.utils import timezone

from cadres.idcard import Shown
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
