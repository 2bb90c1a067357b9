"""The posting roster as .xlsx: exactly the filtered rows, typed cells, no formulas."""

import datetime as dt
import zipfile
from io import BytesIO
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse

from postings.exports import COLUMNS
from postings.models import Posting
from tests.factories import CadreFactory, PostingFactory


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    # The Chinese file name survives as RFC 6266 filename* in UTF-8 (Excel,
    # WPS, browsers), after an ASCII-only filename for older clients.
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "; filename*=UTF-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]).startswith("挂职名册-")
    return openpyxl.load_workbook(BytesIO(response.content)).active


def _names(sheet) -> list[str]:
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def roster(world, tree):
    """Postings of several kinds and states in county A, besides world's."""
    a = world.a.posting
    specs = [
        ("甲一号", Posting.Kind.DOWNWARD, Posting.Status.PROPOSED, "乡镇长助理"),
        ("甲二号", Posting.Kind.UPWARD, Posting.Status.ACTIVE, "局长助理"),
        ("甲三号", Posting.Kind.OUTWARD, Posting.Status.COMPLETED, "副县长"),
        ("甲四号", Posting.Kind.DOWNWARD, Posting.Status.ENDED_EARLY, "第一书记"),
    ]
    for name, kind, status, title in specs:
        PostingFactory(
            cadre=CadreFactory(name=name, unit=tree.organ_a),
            kind=kind,
            status=status,
            title=title,
            sending_unit=a.sending_unit,
            receiving_unit=tree.township_a1,
        )


def test_export_has_chinese_headers_and_a_frozen_header_row(login, org_a, roster):
    sheet = _sheet(login(org_a).get(reverse("postings:export")))
    headers = [cell.value for cell in sheet[1]]
    assert headers == [c.header for c in COLUMNS]
    assert headers[:5] == ["干部姓名", "挂职类型", "派出单位", "接收单位", "挂任职务"]
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "active"},
        {"status": "proposed"},
        {"kind": "downward"},
        {"kind": "upward", "status": "active"},
        {"q": "甲二"},
        {"q": "第一书记"},
        {"status": "completed", "q": "甲"},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all",
)
def test_export_holds_exactly_the_filtered_rows(login, org_a, roster, params):
    sheet = _sheet(login(org_a).get(reverse("postings:export"), params))
    expected = Posting.objects.visible_to(org_a)
    if "status" in params:
        expected = expected.filter(status=params["status"])
    if "kind" in params:
        expected = expected.filter(kind=params["kind"])
    if "q" in params:
        expected = expected.filter(cadre__name__contains=params["q"]) | expected.filter(
            title__contains=params["q"]
        )
    names = _names(sheet)
    assert sorted(names) == sorted(expected.values_list("cadre__name", flat=True))
    assert len(names) == expected.count() > 0


def test_export_matches_the_list_page_for_the_same_filter(login, org_a, roster):
    client = login(org_a)
    listing = client.get(reverse("postings:list"), {"kind": "downward"})
    # The list's rows are postings.views.PostingRow values.
    shown = [row.cadre for row in listing.context["page_obj"]]
    sheet = _sheet(client.get(reverse("postings:export"), {"kind": "downward"}))
    assert _names(sheet) == shown


def test_export_dates_are_date_cells(login, org_a, world):
    sheet = _sheet(login(org_a).get(reverse("postings:export")))
    posting = world.a.posting
    row = next(
        r for r in sheet.iter_rows(min_row=2) if r[0].value == posting.cadre.name
    )
    start, end, midterm = row[5], row[6], row[7]
    for cell, expected in (
        (start, posting.start_date),
        (end, posting.planned_end_date),
        (midterm, posting.midterm_date),
    ):
        assert isinstance(cell.value, dt.datetime)
        assert cell.value.date() == expected
        assert cell.is_date
        assert cell.number_format == "yyyy-mm-dd"
    assert row[1].value == "下派"
    assert row[8].value == "在岗"


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "=1+1"]
)
def test_export_keeps_formula_like_names_as_text(login, org_a, tree, name):
    PostingFactory(
        cadre=CadreFactory(name=name, unit=tree.organ_a),
        receiving_unit=tree.township_a1,
    )
    response = login(org_a).get(reverse("postings:export"))
    sheet = _sheet(response)
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == 1
    assert cells[0].data_type == "s"
    assert cells[0].value == name
    with zipfile.ZipFile(BytesIO(response.content)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        xml = b"".join(package.read(n) for n in sheets)
    assert b"<f>" not in xml and b"<f " not in xml  # no formula anywhere


def test_export_of_an_empty_selection_has_only_the_header(login, org_a, world):
    sheet = _sheet(login(org_a).get(reverse("postings:export"), {"q": "无此人"}))
    assert sheet.max_row == 1
