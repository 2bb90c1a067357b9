"""Hostile files: each refused with a clear message, quickly, nothing written,
the worker's memory unharmed (under 50 MB of growth)."""

import io
import time
import tracemalloc

import pytest
from constance.test import override_config
from openpyxl import Workbook

from cadres.models import Cadre
from imports import services
from tests.hostile_uploads import CORPUS
from tests.imports.files import cadre_row, id_for, xlsx

MAX_PEAK_MB = 50


def refused(user, data: bytes, name: str) -> str:
    started = time.perf_counter()
    tracemalloc.start()
    try:
        result = services.preview_file("cadres", io.BytesIO(data), name, user=user)
        peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5  # generous: a busy 2-core machine
    assert peak < MAX_PEAK_MB
    assert result.rows == []
    assert len(result.errors) == 1 and result.errors[0].row == 0
    with pytest.raises(services.ImportFailed):
        services.commit_file("cadres", io.BytesIO(data), name, by=user)
    assert Cadre.objects.count() == 0
    return result.errors[0].message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", ["zip_bomb", "xxe", "billion_laughs", "macro_workbook", "traversal_name"]
)
def test_the_hostile_corpus_is_refused(org_a, tree, case):
    hostile = CORPUS[case]
    message = refused(org_a, hostile.build(), "干部.xlsx")
    assert hostile.message in message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"just some text, not a workbook", "干部.xlsx", "不是 Excel"),
        (b"PK\x03\x04" + b"\x00" * 200, "干部.xlsx", "损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "干部.xlsx", "密码"),
        (b"\x00\x01\x02binary", "干部.csv", "不是 Excel"),
    ],
)
def test_not_a_workbook_corrupt_and_password_protected(org_a, tree, data, name, words):
    assert words in refused(org_a, data, name)


@pytest.mark.django_db
def test_a_macro_workbook_by_its_name_is_refused(org_a, tree):
    data = xlsx([cadre_row(id_for(1))])
    assert "宏" in refused(org_a, data, "干部.xlsm")


@pytest.mark.django_db
def test_a_truncated_workbook_is_refused(org_a, tree):
    data = xlsx([cadre_row(id_for(1))])
    assert "损坏" in refused(org_a, data[: len(data) // 2], "干部.xlsx")


@pytest.mark.django_db
def test_a_sheet_claiming_a_million_rows_stops_after_blank_rows(org_a, tree):
    wb = Workbook()
    ws = wb.active
    from imports.spec import SPECS

    ws.append(SPECS["cadres"].headers)
    ws.append(cadre_row(id_for(1)))
    ws.cell(row=1_048_576, column=1, value="远处的一格")
    buffer = io.BytesIO()
    wb.save(buffer)
    started = time.perf_counter()
    result = services.preview_file(
        "cadres", io.BytesIO(buffer.getvalue()), "干部.xlsx", user=org_a
    )
    assert time.perf_counter() - started < 5
    assert [r.number for r in result.rows] == [2]
    assert result.errors == []


@pytest.mark.django_db
@override_config(IMPORT_MAX_ROWS=10)
def test_more_rows_than_the_setting_is_refused(org_a, tree):
    data = xlsx([cadre_row(id_for(n)) for n in range(11)])
    assert "10行" in refused(org_a, data, "干部.xlsx")
