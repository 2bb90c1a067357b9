from guazhi.excel import ColumnSpec, build_workbook

COLUMNS = [
    ColumnSpec("干部姓名", 12),
    ColumnSpec("挂职类型", 10),
    ColumnSpec("派出单位", 24),
    ColumnSpec("接收单位", 24),
    ColumnSpec("挂任职务", 20),
    ColumnSpec("开始日期", 12),
    ColumnSpec("计划结束日期", 14),
    ColumnSpec("中期考核日期", 14),
    ColumnSpec("状态", 10),
]


def posting_roster(postings) -> bytes:
    """The posting list as a workbook; `postings` is already scoped and filtered."""
    rows = (
        (
            p.cadre.name,
            p.get_kind_display(),
            p.sending_unit.name,
            p.receiving_unit.name,
            p.title,
            p.start_date,
            p.planned_end_date,
            p.midterm_date,
            p.get_status_display(),
        )
        for p in postings
    )
    return build_workbook(title="挂职名册", columns=COLUMNS, rows=rows)
