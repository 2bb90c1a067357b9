"""A round's results as .xlsx: ranking, dimension scores, source scores and
ballot turnout. Pure functions over the lines the results page shows (the
chosen cohort, ranked within it): no request, no queries."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from guazhi.excel import ColumnSpec, Sheet

from .results import Line
from .scoring import grade_label


def _number(text: str | None):
    """A shown value ("86.50") as a number cell, or "" when absent."""
    return Decimal(text) if text else ""


def _who(line: Line) -> tuple:
    posting = line.assessment.posting
    return (line.rank or "", posting.cadre.name)


# The export's title (its file name's first part, a background job's name).
ROUND_TITLE = "考核结果"


def round_sheets(
    lines: Sequence[Line],
    *,
    dimensions: Sequence[tuple[str, str]],
    sources: Sequence[tuple[str, str]],
) -> list[Sheet]:
    """The export's sheets; the page's export and its background job
    (exports.kinds) write these."""
    return [
        _ranking(lines),
        _dimensions(lines, dimensions),
        _sources(lines, sources),
        _turnout(lines),
    ]


def _ranking(lines: Sequence[Line]) -> Sheet:
    columns = [
        ColumnSpec(_("排名"), 6),
        ColumnSpec(_("姓名"), 10),
        ColumnSpec(_("派出单位"), 20),
        ColumnSpec(_("接收单位"), 20),
        ColumnSpec(_("挂任职务"), 16),
        ColumnSpec(_("挂职类型"), 8),
        ColumnSpec(_("综合得分"), 10),
        ColumnSpec(_("分数对应等次"), 12),
        ColumnSpec(_("考核等次"), 10),
        ColumnSpec(_("等次调整原因"), 50),
    ]
    rows = []
    for line in lines:
        posting, result = line.assessment.posting, line.result
        rows.append(
            (
                *_who(line),
                posting.sending_unit.name,
                posting.receiving_unit.name,
                posting.title,
                posting.get_kind_display(),
                result.score if result.score is not None else "",
                grade_label(result.raw_grade),
                grade_label(result.grade),
                result.grade_reason,
            )
        )
    return Sheet(_("排名"), columns, rows)


def _dimensions(lines: Sequence[Line], dimensions) -> Sheet:
    columns = [
        ColumnSpec(_("排名"), 6),
        ColumnSpec(_("姓名"), 10),
        *(ColumnSpec(label, 10) for _code, label in dimensions),
        ColumnSpec(_("综合得分"), 10),
    ]
    rows = [
        (
            *_who(line),
            *(_number(e["score"]) if e else "" for e in line.dims),
            line.result.score if line.result.score is not None else "",
        )
        for line in lines
    ]
    return Sheet(_("维度得分"), columns, rows)


def _sources(lines: Sequence[Line], sources) -> Sheet:
    columns = [
        ColumnSpec(_("排名"), 6),
        ColumnSpec(_("姓名"), 10),
        *(ColumnSpec(label, 12) for _code, label in sources),
        ColumnSpec(_("综合得分"), 10),
        ColumnSpec(_("未计入的来源"), 50),
    ]
    rows = []
    for line in lines:
        left_out = [
            f"{e['label']}（{e['reason']}）"
            for e in line.sources
            if e and not e["present"]
        ]
        rows.append(
            (
                *_who(line),
                *(
                    _number(e["score"]) if e and e["present"] else ""
                    for e in line.sources
                ),
                line.result.score if line.result.score is not None else "",
                "；".join(left_out),
            )
        )
    return Sheet(_("来源得分"), columns, rows)


def _turnout(lines: Sequence[Line]) -> Sheet:
    columns = [
        ColumnSpec(_("姓名"), 10),
        ColumnSpec(_("测评人类别"), 16),
        ColumnSpec(_("权重(%)"), 8),
        ColumnSpec(_("发放票数"), 10),
        ColumnSpec(_("已投票数"), 10),
        ColumnSpec(_("参与率(%)"), 10),
        ColumnSpec(_("计入情况"), 40),
    ]
    rows = []
    for line in lines:
        name = line.assessment.posting.cadre.name
        turnout = line.turnout
        if not turnout:
            rows.append((name, "", "", "", "", "", _("未组织民主测评")))
            continue
        entry = next(e for e in line.sources if e and e.get("turnout"))
        status = _("计入") if entry["present"] else entry["reason"]
        for g in turnout["groups"]:
            rows.append(
                (
                    name,
                    g["name"],
                    g["weight"],
                    g["issued"],
                    g["cast"],
                    _number(g["pct"]),
                    "",
                )
            )
        rows.append(
            (
                name,
                _("合计"),
                "",
                turnout["issued"],
                turnout["cast"],
                _number(turnout["pct"]),
                status,
            )
        )
    return Sheet(_("测评参与"), columns, rows)
