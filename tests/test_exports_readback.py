"""Every export read back by real readers (issue 20): openpyxl (headers, a
data row, dates as dates, a formula-looking name stored as a string) and
LibreOffice headless, which converts each file to CSV without error and shows
the formula-looking name as the text it is, not as its result.

Without `soffice` the LibreOffice half is skipped, except under CI, where it
fails: .ci/run installs Debian's libreoffice-calc-nogui.
"""

import csv
import os
import shutil
import subprocess
from io import BytesIO

import openpyxl
import pytest
from constance.test import override_config
from django.urls import reverse

from exports import tasks
from exports.models import ExportJob
from tests.exports.every_export import (
    FORMULA_NAME,
    cells,
    check_house_rules,
    county_a_batch,
    dirty_world,
    exports_of_county_a,
    is_date,
    workbook,
)
from tests.factories import CadreFactory, PostingFactory

SOFFICE_TIMEOUT = 180
# CSV in UTF-8 (character set 76), comma-separated, double quotes.
CSV_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76"
ANALYTICS = [
    "analytics:structure_export",
    "analytics:effect_export",
    "analytics:exchange_export",
]


def _soffice() -> str:
    path = shutil.which("soffice")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(
            "CI is set but soffice is missing (apt-get install libreoffice-calc-nogui)"
        )
    pytest.skip("soffice (LibreOffice) is not installed")


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def files(
    login, org_a, admin, world, tree, monkeypatch, django_capture_on_commit_callbacks
):
    """name -> (the workbook's bytes, whether it names cadres): every export
    as a role allowed to make it, the background one included."""
    from tests.assessment.factories import make_round

    dirty_world(world)
    batch = county_a_batch(world)
    round_ = make_round(org_a, [world.a.posting])
    client = login(org_a)
    made = {}
    for export in exports_of_county_a(world, batch=batch, round_=round_):
        response = client.get(export.url)
        book = workbook(response)
        check_house_rules(book)
        found = cells(book)
        assert found, f"{export.name}: no data row"
        if export.names_cadres:
            formula = [c for c in found if c.value == FORMULA_NAME]
            assert formula and all(c.data_type == "s" for c in formula), export.name
        if export.has_dates:
            assert any(is_date(c) for c in found), export.name
        made[export.name] = (_body(response), export.names_cadres)
    # the statistics (analytics), built on the same rules
    for name in ANALYTICS:
        response = client.get(reverse(name))
        check_house_rules(workbook(response))
        made[name] = (_body(response), False)
    # the audit trail, as the admin exports it
    response = login(admin).get(reverse("admin:audit_entry_export"))
    book = workbook(response)
    check_house_rules(book)
    assert any(is_date(c) for c in cells(book))
    made["admin:audit_entry_export"] = (_body(response), False)
    # a background export (above EXPORT_BACKGROUND_ROWS), from its job
    for n in range(10):
        PostingFactory(
            cadre=CadreFactory(name=f"甲{n:02d}号", unit=tree.organ_a),
            sending_unit=tree.organ_a,
            receiving_unit=tree.township_a1,
        )
    monkeypatch.setattr(tasks.run_export, "delay", lambda pk: None)
    with override_config(EXPORT_BACKGROUND_ROWS=10):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(reverse("postings:export")).status_code == 302
    job = ExportJob.objects.get()
    assert tasks.run_export(job.pk) == ExportJob.Status.DONE
    response = client.get(reverse("exports:download", args=[job.pk]))
    book = workbook(response)
    check_house_rules(book)
    assert any(c.value == FORMULA_NAME and c.data_type == "s" for c in cells(book))
    made["exports:download"] = (_body(response), True)
    return made


def test_every_export_converts_in_libreoffice(files, tmp_path):
    soffice = _soffice()
    folder = tmp_path / "xlsx"
    folder.mkdir()
    paths = []
    for name, (body, _names) in files.items():
        path = folder / (name.replace(":", "-") + ".xlsx")
        path.write_bytes(body)
        paths.append(path)
    out = tmp_path / "csv"
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_UTF8,
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=SOFFICE_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    for name, (body, _names) in files.items():
        converted = out / (name.replace(":", "-") + ".csv")
        assert converted.exists(), f"{name}: {result.stdout}\n{result.stderr}"
        with converted.open(encoding="utf-8", errors="replace") as f:
            rows = list(csv.reader(f))
        assert len(rows) >= 2, name  # the header and a data row
        values = {v for row in rows for v in row}
        assert "#NAME?" not in values and "Err:508" not in values, name
        first = openpyxl.load_workbook(BytesIO(body)).worksheets[0]
        if any(FORMULA_NAME in row for row in first.iter_rows(values_only=True)):
            # shown as written, not as the formula's result
            assert FORMULA_NAME in values, name
