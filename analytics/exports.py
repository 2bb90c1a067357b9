"""The statistics pages as .xlsx (guazhi.excel), and the rows of the record
list: pure functions, rows in, bytes or rows out."""

from django.utils.translation import gettext_lazy as _

from guazhi.excel import ColumnSpec, Sheet, build_sheets

from .services import CategoryRow, ExchangeSets

RECORD_HEADS = {
    "warning": [
        _("干部"),
        _("接收单位"),
        _("预警等级"),
        _("方面"),
        _("发生日期"),
        _("扣分"),
    ],
    "support": [
        _("干部"),
        _("接收单位"),
        _("类别"),
        _("状态"),
        _("提出日期"),
        _("解决时间"),
    ],
    "assessment": [
        _("干部"),
        _("接收单位"),
        _("考核轮次"),
        _("考核等次"),
        _("综合得分"),
        _("排名"),
    ],
}


def record_row(kind: str, record) -> dict:
    """One row of the record list: the posting's URL and the cells."""
    posting = record.posting
    lead = [posting.cadre.name, posting.receiving_unit.name]
    if kind == "warning":
        cells = [
            record.get_level_display(),
            record.get_dimension_display(),
            record.occurred_on,
            record.points,
        ]
    elif kind == "support":
        cells = [
            record.get_category_display(),
            record.get_status_display(),
            record.raised_on,
            record.resolved_at or "",
        ]
    else:
        cells = [
            record.round.name,
            record.get_grade_display(),
            record.score,
            record.rank,
        ]
    return {"url": posting.get_absolute_url(), "cells": lead + cells}


def _table_sheet(table) -> Sheet:
    columns = [ColumnSpec(_("项目"), 24)] + [
        ColumnSpec(str(name), 12) for name in table.columns
    ]
    rows = [[row.label, *[cell.value for cell in row.cells]] for row in table.rows]
    if table.rest:
        rows.append([str(_("其余")), table.rest.value])
    return Sheet(str(table.title), columns, rows)


def workbook(tables) -> bytes:
    """One sheet per table of a statistics page, in the page's order."""
    return build_sheets([_table_sheet(table) for table in tables if table.rows])


EXCHANGE_COLUMNS = [
    ColumnSpec(_("类别"), 20),
    ColumnSpec(_("目标比例(%)"), 12),
    ColumnSpec(_("符合交流条件"), 12),
    ColumnSpec(_("本年已交流"), 12),
    ColumnSpec(_("交流比例(%)"), 12),
    ColumnSpec(_("还需交流"), 12),
    ColumnSpec(_("12个月内将符合条件"), 16),
    ColumnSpec(_("依据设置"), 28),
]


def exchange_workbook(sets: ExchangeSets, rows: list[CategoryRow]) -> bytes:
    summary = [
        [
            str(row.category.label),
            row.target_pct,
            row.eligible,
            row.exchanged,
            row.rate_pct if row.rate_pct is not None else "",
            row.needed,
            row.soon,
            row.category.setting,
        ]
        for row in rows
    ]
    labels = {row.category.key: str(row.category.label) for row in rows}
    staying = (
        [c.name, c.unit.name, c.position, c.position_since, labels[c.category]]
        for c in sets.staying.select_related("unit").order_by("position_since", "pk")
    )
    moved = (
        [
            r.cadre.name,
            r.from_unit.name,
            r.from_post,
            r.from_since,
            r.on,
            r.get_kind_display(),
            r.to_unit.name,
            r.to_post,
            labels[r.category],
        ]
        for r in sets.exchanged.select_related("cadre", "from_unit", "to_unit")
    )
    return build_sheets(
        [
            Sheet(
                f"{sets.year}年交流统计（基准日{sets.reference:%Y-%m-%d}）",
                EXCHANGE_COLUMNS,
                summary,
            ),
            Sheet(
                str(_("符合条件未交流")),
                [
                    ColumnSpec(_("姓名"), 10),
                    ColumnSpec(_("单位"), 20),
                    ColumnSpec(_("现任职务"), 16),
                    ColumnSpec(_("任现职时间"), 12),
                    ColumnSpec(_("类别"), 16),
                ],
                staying,
            ),
            Sheet(
                str(_("本年已交流")),
                [
                    ColumnSpec(_("姓名"), 10),
                    ColumnSpec(_("原单位"), 20),
                    ColumnSpec(_("原职务"), 16),
                    ColumnSpec(_("任原职时间"), 12),
                    ColumnSpec(_("交流日期"), 12),
                    ColumnSpec(_("方式"), 8),
                    ColumnSpec(_("新单位"), 20),
                    ColumnSpec(_("新职务"), 16),
                    ColumnSpec(_("类别"), 16),
                ],
                moved,
            ),
        ]
    )


def exchange_chart(rows: list[CategoryRow]) -> dict:
    return {
        "key": "exchange",
        "title": str(_("交流比例与目标")),
        "type": "bar",
        "labels": [str(row.category.label) for row in rows],
        "values": [row.rate_pct or 0 for row in rows],
        "target": [row.target_pct for row in rows],
    }
