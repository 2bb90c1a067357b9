"""Resident ID numbers (居民身份证号码), GB 11643-1999."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    pass


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(value: str) -> str:
    return (value or "").strip().upper()


def parse(value: str) -> tuple[dt.date, str]:
    """Return (birth date, gender "M"/"F") of a valid number, else raise."""
    number = normalize(value)
    if not _SHAPE.match(number):
        raise IdNumberError("身份证号应为18位，前17位为数字，最后一位为数字或X。")
    if check_char(number[:17]) != number[17]:
        raise IdNumberError("身份证号校验位不正确，请核对。")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证号中的出生日期无效。") from exc
    if birth.year < 1900 or birth > dt.date.today():
        raise IdNumberError("身份证号中的出生日期无效。")
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return birth, gender


def make(region: str, birth: dt.date, sequence: int, gender: str) -> str:
    """Build a valid number (demo data and tests); sequence 0-499."""
    seq = sequence * 2 + (1 if gender == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


# --- What a user is shown (DOMAIN.md, "Data that must be right") ---------------

# A number must stay among at least this many candidates for whoever may not
# see it, given everything shown with it (mask, birth date, age, gender).
MIN_CANDIDATES = 10_000
# The digits a mask keeps: province and city (GB/T 2260), shared by every
# cadre of a city, so they tell nothing about the person.
MASK_KEPT = 4


def mask(value: str) -> str:
    """1101**************: the province and city digits only.

    The birth date (digits 7-14), the sequence with its gender digit (15-17)
    and the check character stay hidden. Showing the last four instead pins
    the sequence: beside the full birth date that left 9 candidates, beside
    the birth year still ~33 to someone who knows the county.
    """
    if len(value) < 8:  # not a number at all: nothing of it
        return "*" * len(value)
    return value[:MASK_KEPT] + "*" * (len(value) - MASK_KEPT)


@dataclass(frozen=True)
class Shown:
    """What of a cadre's identity one user is shown, on every page and export.

    Org staff and admins see the number and the birth date in full. Everyone
    else sees `mask` (the first four digits), the birth year (never the date,
    never an age beside it) and the gender. What stays unknown: digits 5-6,
    the day of the year, the sequence (two digits and the gender digit's five
    values); the check character follows from the rest:
    100 x 365 x 100 x 5 = 18,250,000 candidates, and still 182,500 to someone
    who knows the county (digits 5-6) from the cadre's unit, against
    MIN_CANDIDATES. tests/test_masks.py counts them on every page.
    """

    full: bool

    def id_number(self, number: str) -> str:
        return number if self.full else mask(number)

    def birth_date(self, birth: dt.date | None) -> str:
        """ "1988-03-14" in full, "1988年" otherwise; "" when unknown."""
        if birth is None:
            return ""
        if self.full:
            return birth.strftime("%Y-%m-%d")
        return _("%(year)s年") % {"year": birth.year}

    def birth_order(self, field: str) -> str:
        """What a list sorted by birth date orders by: within a year, an
        order by the date would tell who was born before whom."""
        return field if self.full else f"{field}__year"


def shown_to(user) -> Shown:
    """The one rule deciding what of an ID number a user is shown."""
    return Shown(full=bool(getattr(user, "sees_full_id_numbers", False)))
