from guazhi.excel import ColumnSpec, build_workbook

from .models import Posting

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
    """The posting list as a workbook; `postings` is a queryset already scoped,
    filtered and ordered. Read as plain values in chunks: no model instance
    per row, and memory stays flat however many rows there are."""
    kinds = {value: str(label) for value, label in Posting.Kind.choices}
    statuses = {value: str(label) for value, label in Posting.Status.choices}
    values = postings.values_list(
        "cadre__name",
        "kind",
        "sending_unit__name",
        "receiving_unit__name",
        "title",
        "start_date",
        "planned_end_date",
        "midterm_date",
        "status",
    )
    rows = (
        (name, kinds[kind], sending, receiving, title, start, end, mid, statuses[s])
        for name, kind, sending, receiving, title, start, end, mid, s in (
            values.iterator(chunk_size=2000)
        )
    )
    return build_workbook(title="挂职名册", columns=COLUMNS, rows=rows)
