"""SQL metacharacters in filters and sorts: no error, no widened result (issue 15).

The list pages and the parameters their views read are found by
tests/test_bad_params.py's crawl of the demo city as its org staff. Each
parameter of each page is given each metacharacter value, one at a time, and
compared with the same page given a harmless value: the answer is not an error
and its table (or exported sheet) holds no more rows than the harmless one's.
The ORM parameterises every query; this keeps anyone from adding a raw one
that does not.
"""

import re
from io import BytesIO

import openpyxl

from tests.test_bad_params import _crawl, org_staff_client  # noqa: F401

METACHARS = [
    "'",
    '"',
    ";",
    "--",
    "/*",
    "*/",
    "' OR '1'='1",
    '" OR "1"="1',
    "1 OR 1=1",
    "1' OR '1'='1' --",
    "x'; DROP TABLE cadres_cadre; --",
    "%",
    "_",
    "%%",
    "\\",
    "\\'",
    "name",  # a column name as a sort key
    "-id; SELECT 1",
    "1) OR (1=1",
]

HARMLESS = "zzqxharmless"

SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(response) -> int | None:
    """The rows of the page's tables, or of an exported sheet; None otherwise."""
    kind = response.get("Content-Type", "")
    if kind.startswith("text/html"):
        html = response.content.decode(errors="replace")
        bodies = re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
        # A table's "nothing found" line is one cell spanning the columns.
        return sum(
            1
            for body in bodies
            for row in re.findall(r"<tr[\s>](.*?)</tr>", body, re.S)
            if "colspan" not in row
        )
    if kind.startswith(SHEET):
        book = openpyxl.load_workbook(BytesIO(response.content), read_only=True)
        return sum(sheet.max_row or 0 for sheet in book.worksheets)
    return None


def test_metacharacters_neither_fail_nor_widen_a_list(org_staff_client, capsys):  # noqa: F811
    client = org_staff_client
    pages = _crawl(client)
    for name in ("cadres:list", "postings:list", "cadres:note_list"):
        assert name in pages, name
    # The crawl saw the search box: the obvious place for an injection.
    assert "q" in pages["postings:list"][1]

    failures = []
    widened = []
    tried = 0
    pairs = 0
    for name, (path, params) in sorted(pages.items()):
        for param in sorted(params):
            pairs += 1
            baseline = _rows(client.get(path, {param: HARMLESS}))
            for value in METACHARS:
                tried += 1
                response = client.get(path, {param: value})
                if response.status_code >= 500:
                    failures.append(f"{name} {path}?{param}={value!r}")
                    continue
                rows = _rows(response)
                if baseline is not None and rows is not None and rows > baseline:
                    widened.append(f"{name} ?{param}={value!r}: {rows} > {baseline}")
    assert failures == [], "\n".join(failures)
    assert widened == [], "\n".join(widened)
    assert tried > 300
    with capsys.disabled():
        print(
            f"\nSQL metacharacters: {tried} requests ({pairs} parameters of "
            f"{len(pages)} pages x {len(METACHARS)} values), 0 errors, 0 widened"
        )


def test_a_search_that_matches_nothing_shows_no_rows(org_staff_client):  # noqa: F811
    """The baseline means something: a harmless search empties the table that
    the unfiltered page fills (so a widened count would show)."""
    full = _rows(org_staff_client.get("/postings/"))
    empty = _rows(org_staff_client.get("/postings/", {"q": HARMLESS}))
    assert full > 0
    assert empty == 0
    # And a LIKE wildcard is taken literally, not as "match everything".
    assert _rows(org_staff_client.get("/postings/", {"q": "%"})) < full
