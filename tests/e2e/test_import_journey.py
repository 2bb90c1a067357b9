"""The Excel import, in a real browser: upload a roster with errors, read
them, download the error rows, fix them, upload again, commit."""

import io

import openpyxl
import pytest

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from imports.spec import SPECS
from tests.e2e.pages import PASSWORD, login, nav


@pytest.fixture
def org(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    unit_create(name="清河县财政局", kind="organ", parent=county)
    User.objects.create_user(
        "zzb", password=PASSWORD, role=Role.ORG_STAFF, unit=county, last_name="组织部"
    )


def _roster(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(SPECS["cadres"].headers[:14])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _row(number, name, rank):
    return [
        name,
        "",
        number,
        "",
        "汉族",
        "党员",
        "本科",
        "财会",
        "清河县财政局",
        "科员",
        rank,
        "2021.03",
        "否",
        "13800000000",
    ]


def test_org_staff_fix_errors_from_the_error_rows_and_commit(
    live_server, new_page, org, tmp_path
):
    import datetime as dt

    base = live_server.url
    page = new_page()
    good = idcard.make("110101", dt.date(1988, 5, 6), 12, "M")
    second = idcard.make("110101", dt.date(1990, 7, 8), 20, "F")
    first_file = tmp_path / "干部名册.xlsx"
    first_file.write_bytes(
        _roster([_row(good, "陈立", "正科"), _row(second, "周敏", "大领导")])
    )

    login(page, base, "zzb")
    nav(page, "导入")
    page.select_option("#id_kind", "cadres")
    page.set_input_files("#id_file", str(first_file))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url("**/imports/*/")

    # The error: by row, column and a plain message; no commit offered.
    errors = page.locator("#errors")
    assert "第3行" in errors.inner_text() and "职级" in errors.inner_text()
    assert page.locator("#commit").count() == 0

    # The error rows come back with the explanation, to be fixed and uploaded.
    with page.expect_download() as info:
        page.click("#download-errors")
    returned = tmp_path / "错误行.xlsx"
    info.value.save_as(returned)
    wb = openpyxl.load_workbook(returned)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "错误说明" and ws.max_row == 2
    assert ws.cell(row=2, column=1).value == "周敏"
    ws.cell(row=2, column=headers.index("职级") + 1).value = "副科"
    ws.delete_cols(len(headers))
    wb.save(returned)

    nav(page, "导入")
    page.select_option("#id_kind", "cadres")
    page.set_input_files("#id_file", str(returned))
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url("**/imports/*/")
    assert page.locator("#errors").count() == 0
    assert "新增 1" in page.locator("#counts").inner_text()
    page.click("#commit")
    page.wait_for_url("**/status/")
    assert "新增 1" in page.locator("#import-done").inner_text()
    assert Cadre.objects.get(id_number=second).rank == 2
    assert not Cadre.objects.filter(id_number=good).exists()  # never committed
