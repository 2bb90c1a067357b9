"""What a cell of a real workbook holds, read the way a clerk meant it.

Each parser takes the raw cell value (as openpyxl or the CSV reader gives it)
and returns the value to store, or raises CellError with a plain Chinese
message. Rosters from Excel and WPS carry full-width digits, spaces and line
breaks, dates in half a dozen spellings and ID numbers that Excel turned into
numbers; these are read here and nowhere else.
"""

import datetime as dt
import re
import unicodedata

from django.utils import timezone
from django.utils.translation import gettext as _

from cadres import idcard


class CellError(ValueError):
    pass


# Full-width ASCII (！ to ～) and the ideographic space, as half-width.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SPACES = re.compile(r"\s+")
# What name-writing software puts between the parts of a minority name.
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("•‧・∙⋅．.", "·"))
YES = {"是", "Y", "YES", "√", "✓", "✔", "TRUE", "1", "对", "有"}
NO = {"否", "N", "NO", "×", "✗", "✘", "FALSE", "0", "无", "不是", ""}


def half_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def text(value) -> str:
    """A cell as text: full-width digits and letters half-width, spaces and
    line breaks around it gone, runs of white space inside one space."""
    if value is None:
        return ""
    if is_formula(value):
        raise CellError(_("这里是公式，请填写数值本身（可复制后“选择性粘贴-数值”）。"))
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", half_width(str(value))).strip()


def compact(value) -> str:
    """text() without any space at all (names, ID numbers, phone numbers)."""
    return text(value).replace(" ", "")


def name(value) -> str:
    """A person's name; a minority name's middle dot in one spelling
    (阿不都·热合曼)."""
    return compact(value).translate(_MIDDLE_DOTS)


def key(value) -> str:
    """How names are compared: compact, and NFKC so that （ and ( agree."""
    return unicodedata.normalize("NFKC", compact(value))


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    word = compact(value).upper()
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError(
        _("“%(value)s”不是是/否，请填写“是”或“否”。") % {"value": text(value)}
    )


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DIGITS8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DIGITS6 = re.compile(r"^(\d{4})(\d{2})$")
# Excel's day 1 is 1900-01-01, with its phantom 1900-02-29: serials count
# from 1899-12-30 (what openpyxl.utils.datetime.from_excel does too).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _make_date(year: int, month: int, day: int, shown: str) -> dt.date:
    try:
        made = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(_("“%(value)s”不是有效的日期。") % {"value": shown}) from exc
    if made.year < 1900 or made.year > timezone.localdate().year + 10:
        raise CellError(_("“%(value)s”不是有效的日期。") % {"value": shown})
    return made


def date(value, *, month_ok: bool = False) -> dt.date | None:
    """A date as Excel stores it, or written 2023-05-01, 2023/5/1, 2023.5.1,
    2023年5月1日, 20230501; with `month_ok` also 2023.05, 202305, 2023年5月
    (the first of the month). None when blank."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = int(value)
        if _DIGITS8.match(str(whole)) or (month_ok and _DIGITS6.match(str(whole))):
            value = str(whole)
        elif 1 <= whole < 100_000:
            return _EXCEL_EPOCH + dt.timedelta(days=whole)
        else:
            raise CellError(_("“%(value)s”不是有效的日期。") % {"value": value})
    shown = text(value)
    if not shown:
        return None
    plain = shown.replace(" ", "")
    if match := _DATE.match(plain) or _DIGITS8.match(plain):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, shown)
    if month_ok and (match := _MONTH.match(plain) or _DIGITS6.match(plain)):
        year, month = (int(g) for g in match.groups())
        return _make_date(year, month, 1, shown)
    spelled = _("2023-05-01、2023/5/1、2023.5.1 或 2023年5月1日")
    if month_ok:
        spelled += _("（也可只写年月，如 2023.05）")
    raise CellError(
        _("“%(value)s”不是日期，请写成 %(spelled)s。")
        % {"value": shown, "spelled": spelled}
    )


def upgrade_15(number: str) -> str:
    """A 15-digit ID number of the first generation (GB 11643-1989: a
    two-digit year, no check character) as the 18-digit number it became."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + idcard.check_char(first17)


def id_number(value) -> str:
    """An ID number as the product stores it: 18 characters, an upper-case X;
    a 15-digit number upgraded. A number that Excel stored as a number has
    lost its last digits (it keeps 15 significant digits): refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            _(
                "身份证号被 Excel 存成了数字，末几位已经丢失。请把该列设为“文本”格式，"
                "按原件重新录入。"
            )
        )
    number = idcard.normalize(compact(value))
    if re.fullmatch(r"\d{15}", number):
        number = upgrade_15(number)
    try:
        idcard.parse(number)
    except idcard.IdNumberError as exc:
        raise CellError(str(exc)) from exc
    return number


def integer(value, *, minimum: int = 0) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and value >= minimum:
            return int(value)
        raise CellError(
            _("“%(value)s”不是不小于%(minimum)s的整数。")
            % {"value": value, "minimum": minimum}
        )
    shown = compact(value)
    if not shown:
        return None
    if not re.fullmatch(r"\d+(\.0+)?", shown) or int(float(shown)) < minimum:
        raise CellError(
            _("“%(value)s”不是不小于%(minimum)s的整数。")
            % {"value": shown, "minimum": minimum}
        )
    return int(float(shown))


def choice(value, aliases: dict[str, str], what: str) -> str:
    """The stored value of a choice written by its label, its stored value or
    one of the common names organisation departments use (`aliases`, keys
    compared after key())."""
    word = key(value)
    if not word:
        return ""
    found = aliases.get(word) or aliases.get(word.upper())
    if found is None:
        allowed = "、".join(k for k in aliases if not k.isascii())
        raise CellError(
            _("“%(value)s”不是可选的%(what)s。可填：%(allowed)s。")
            % {"value": text(value), "what": what, "allowed": allowed}
        )
    return found
