"""Resident ID numbers (居民身份证号码), GB 11643-1999."""

import datetime as dt
import re

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


def mask(value: str) -> str:
    """1101**********1234: the region prefix and the last four only."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
