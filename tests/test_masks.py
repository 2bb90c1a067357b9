"""ID numbers cannot be rebuilt from what a page shows (DOMAIN.md, "Data that
must be right"; issue 16): for the roles that may not see them, everything a
page or an export shows of a cadre together (mask, birth date, age, gender)
leaves at least idcard.MIN_CANDIDATES numbers.

Counted, not eyeballed: `candidates` counts every 18-character number that
agrees with what a response shows (the digits in view, the birth dates the
page allows, the gender's parity in digit 17, the check character). Every page
and export of the project is fetched by every persona and counted. The gender
and the birth year are taken as known on every page (a 4-digit year is hard to
keep off a page), so the count is a floor.
"""

import datetime as dt
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse

from cadres import idcard
from cadres.idcard import CHECK_CHARS, WEIGHTS
from cadres.policy import role_may_use
from tests.conftest import all_urls
from tests.factories import CadreFactory
from tests.test_scope_matrix import OUT_OF_SCOPE_KWARGS

RESTRICTED = ["host_a", "home_a", "cadre_user"]
FULL = ["org_a", "org_city", "admin"]
PHONE_A = "13907551234"


# --- The counter ------------------------------------------------------------------


@dataclass
class Known:
    """What someone knows of one number: fixed characters by position (0-17),
    the birth dates still possible, the gender if known."""

    digits: dict[int, str] = field(default_factory=dict)
    dates: list[dt.date] = field(default_factory=list)
    gender: str | None = None


def _convolve(sums: Counter, options: Counter) -> Counter:
    out: Counter = Counter()
    for a, m in sums.items():
        for b, n in options.items():
            out[(a + b) % 11] += m * n
    return out


def candidates(known: Known) -> int:
    """How many valid numbers agree with `known`: the weighted sum mod 11 is
    carried over the free positions (the birth date as one block), then the
    check character picks the sums that match."""
    sums = Counter({0: 1})
    for pos in (*range(6), 14, 15, 16):
        digits = [int(known.digits[pos])] if pos in known.digits else range(10)
        if pos == 16 and known.gender:
            digits = [d for d in digits if d % 2 == (known.gender == "M")]
        sums = _convolve(sums, Counter(d * WEIGHTS[pos] % 11 for d in digits))
    by_date: Counter = Counter()
    for day in known.dates:
        text = f"{day:%Y%m%d}"
        if all(known.digits.get(6 + i, c) == c for i, c in enumerate(text)):
            by_date[sum(int(c) * WEIGHTS[6 + i] for i, c in enumerate(text)) % 11] += 1
    sums = _convolve(sums, by_date)
    check = known.digits.get(17)
    return sum(n for s, n in sums.items() if check is None or CHECK_CHARS[s] == check)


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _age_on(birth: dt.date, today: dt.date) -> int:
    return (
        today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    )


def known_from(text: str, cadre, *, county_known: bool = False) -> Known:
    """What `text` (a page or an export) tells of `cadre`'s number, with the
    gender and the birth year taken as known. `county_known`: also the first
    six digits, as someone who knows the cadre's county would guess them."""
    number, birth, today = cadre.id_number, cadre.birth_date, dt.date.today()
    known = Known(gender=cadre.gender)
    if county_known:
        known.digits.update(enumerate(number[:6]))
    for token in re.findall(r"[0-9X*]{18}", text):
        if all(t in ("*", n) for t, n in zip(token, number, strict=True)):
            known.digits.update((i, t) for i, t in enumerate(token) if t != "*")
    dates = _days(dt.date(birth.year, 1, 1), min(dt.date(birth.year, 12, 31), today))
    full_forms = [
        f"{birth:%Y-%m-%d}",
        f"{birth:%Y/%m/%d}",
        f"{birth:%Y.%m.%d}",
        f"{birth:%Y%m%d}",
        f"{birth.year}年{birth.month}月{birth.day}日",
    ]
    month_forms = [f"{birth:%Y-%m}", f"{birth:%Y/%m}", f"{birth.year}年{birth.month}月"]
    if any(form in text for form in full_forms):
        dates = [birth]
    elif any(form in text for form in month_forms):
        dates = [d for d in dates if d.month == birth.month]
    age = _age_on(birth, today)
    if re.search(rf"(?<!\d){age}\s*岁", text) or (
        "年龄" in text and re.search(rf"(?<!\d){age}(?!\d)", text)
    ):
        dates = [d for d in dates if _age_on(d, today) == age]
    known.dates = dates
    return known


def test_the_counter_agrees_with_brute_force():
    """Two unknown digits and a month of dates, counted both ways."""
    number = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")
    known = Known(
        digits={i: c for i, c in enumerate(number) if i not in (4, 15, *range(6, 14))},
        dates=_days(dt.date(1988, 3, 1), dt.date(1988, 3, 31)),
        gender="F",
    )
    brute = 0
    for d4 in "0123456789":
        for d15 in "0123456789":
            for day in known.dates:
                first17 = number[:4] + d4 + number[5:6] + f"{day:%Y%m%d}"
                first17 += number[14] + d15 + number[16]
                if idcard.check_char(first17) == number[17]:
                    brute += 1
    assert candidates(known) == brute
    assert 0 < brute < 100 * 31  # the check character does narrow it


def test_the_old_mask_beside_the_full_birth_date_left_nine_or_so():
    """What the issue measured: first and last four, the date and the gender."""
    number = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")
    old_mask = number[:4] + "*" * 10 + number[-4:]
    text = f"{old_mask} 女 1988-03-14"
    cadre = CadreFactory.build(
        id_number=number, birth_date=dt.date(1988, 3, 14), gender="F"
    )
    assert candidates(known_from(text, cadre)) < 20


def test_the_rule_leaves_enough_even_to_someone_who_knows_the_county():
    number = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")
    cadre = CadreFactory.build(
        id_number=number, birth_date=dt.date(1988, 3, 14), gender="F"
    )
    shown = idcard.Shown(full=False)
    text = f"{shown.id_number(number)} 女 {shown.birth_date(cadre.birth_date)}"
    assert candidates(known_from(text, cadre)) >= idcard.MIN_CANDIDATES
    assert candidates(known_from(text, cadre, county_known=True)) >= 10**5
    # ... and an age beside the year would narrow it: the counter sees that.
    age = _age_on(cadre.birth_date, dt.date.today())
    narrowed = candidates(known_from(f"{text} {age}岁", cadre, county_known=True))
    assert narrowed < candidates(known_from(text, cadre, county_known=True))


def test_org_staff_and_admins_see_the_rule_in_full():
    class Viewer:
        sees_full_id_numbers = True

    shown = idcard.shown_to(Viewer())
    assert shown.id_number("110101198803140372") == "110101198803140372"
    assert shown.birth_date(dt.date(1988, 3, 14)) == "1988-03-14"
    assert idcard.shown_to(object()).id_number("110101198803140372") == (
        "1101**************"
    )


# --- Every page and export ---------------------------------------------------------


def _text(response) -> str:
    """What a response shows: the page's text, or every cell of a workbook."""
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(BytesIO(response.content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return html.unescape(response.content.decode(errors="replace"))


def _pages(world) -> list[str]:
    """Every GET URL of the project's own apps, object URLs on side A's objects
    (each object URL has a builder there: tests/test_scope_matrix.py fails
    until it does)."""
    urls = []
    for info in all_urls():
        if info.namespace == "admin" or info.name == "assessment:ballot_entry":
            continue
        if info.kwargs and info.name not in OUT_OF_SCOPE_KWARGS:
            continue
        if info.kwargs:
            urls.append(
                reverse(info.name, kwargs=OUT_OF_SCOPE_KWARGS[info.name](world.a))
            )
        else:
            urls.append(reverse(info.name))
    # The roster sorted by birth, and the cadre's own page.
    return [*urls, reverse("cadres:list") + "?sort=birth"]


def _shown_pages(client, world) -> dict[str, str]:
    """url -> text of every page and export the client may open."""
    out = {}
    for url in _pages(world):
        response = client.get(url)
        if response.status_code == 200:
            out[url] = _text(response)
    return out


@pytest.fixture
def cadre_a(world):
    cadre = world.a.cadre
    cadre.phone = PHONE_A
    cadre.save(update_fields=["phone"])
    return cadre


@pytest.mark.parametrize("persona", RESTRICTED)
def test_no_page_or_export_narrows_a_number_for_roles_without_id_numbers(
    login, personas, world, cadre_a, persona
):
    pages = _shown_pages(login(personas[persona]), world)
    assert reverse("cadres:detail", args=[cadre_a.pk]) in pages  # pages were read
    narrow = {}
    for url, text in pages.items():
        loose = candidates(known_from(text, cadre_a))
        strict = candidates(known_from(text, cadre_a, county_known=True))
        if min(loose, strict) < idcard.MIN_CANDIDATES:
            narrow[url] = (loose, strict)
    assert narrow == {}
    shown = "\n".join(pages.values())
    assert idcard.mask(cadre_a.id_number) in shown  # the mask is there
    assert f"{cadre_a.birth_date.year}年" in shown  # the birth year too


@pytest.mark.parametrize("persona", FULL)
def test_org_staff_and_admins_still_see_the_full_number(
    login, personas, world, cadre_a, persona
):
    client = login(personas[persona])
    for name in ["cadres:detail", "cadres:dossier_print", "cadres:dossier_export"]:
        text = _text(client.get(reverse(name, args=[cadre_a.pk])))
        assert cadre_a.id_number in text, name
        assert f"{cadre_a.birth_date:%Y-%m-%d}" in text, name
    listing = _text(client.get(reverse("cadres:list"), {"q": cadre_a.name}))
    assert cadre_a.id_number in listing


def test_a_roster_sorted_by_birth_tells_nothing_finer_than_the_year(
    login, home_a, org_a, tree
):
    """Sorted by the date, the order within a year would say who is older."""
    later = CadreFactory(
        name="排序年末", unit=tree.organ_a, birth_date=dt.date(1985, 12, 1)
    )
    earlier = CadreFactory(
        name="排序年初", unit=tree.organ_a, birth_date=dt.date(1985, 1, 2)
    )
    assert later.pk < earlier.pk

    def order(user) -> list[str]:
        body = login(user).get(reverse("cadres:list"), {"sort": "birth"}).content
        text = body.decode()
        return sorted([later.name, earlier.name], key=text.index)

    assert order(home_a) == [later.name, earlier.name]  # by year, then pk
    assert order(org_a) == [earlier.name, later.name]  # by the date


# --- Phones (DOMAIN.md): those who work with the cadre, and the cadre alone -------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("org_a", True),
        ("admin", True),
        ("host_a", True),
        ("home_a", True),
        ("cadre_user", True),  # their own
        ("host_b", False),
        ("org_b", False),
    ],
)
def test_a_phone_is_shown_only_to_who_works_with_the_cadre(
    login, personas, world, cadre_a, persona, sees
):
    pages = _shown_pages(login(personas[persona]), world)
    assert any(PHONE_A in text for text in pages.values()) is sees


def test_another_cadre_never_sees_a_cadres_phone(login, world, cadre_a, cadre_b):
    assert role_may_use(cadre_b.role, "cadres:detail")
    pages = _shown_pages(login(cadre_b), world)
    assert pages  # they read their own pages
    assert not any(PHONE_A in text for text in pages.values())
