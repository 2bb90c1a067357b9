"""Password rules (issue 15), as Django password validators
(AUTH_PASSWORD_VALIDATORS): every place that sets a password through Django's
forms (the admin's, `createsuperuser`, `changepassword`) asks them.

Besides Django's own (similarity to the username, length, all digits):
a password is not on the common lists, does not contain the username or its
reverse, nor the pinyin of the user's name or unit, and in production is not
the demo password that is in the repository and printed by `make run`.
"""

import re
from itertools import product
from math import prod
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin, pinyin

# The demo accounts' shared password (portal/demo.py): public, so refused in
# production.
DEMO_PASSWORD = "guazhi-demo-2026"  # noqa: S105

CHINESE_LIST = Path(__file__).resolve().parent / "data" / "common_passwords_zh.txt"


def _bare(password: str) -> str:
    """Lower case, without the symbols around it ("Woaini1314!" -> woaini1314)."""
    return re.sub(r"^[\W_]+|[\W_]+$", "", password.strip().lower())


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of 20,000 common passwords plus the Chinese ones of
    cadres/data/common_passwords_zh.txt (the lists leaked from Chinese sites:
    woaini1314, qq123456, a1234567 ...), also with symbols around them."""

    def __init__(self, **options):
        super().__init__(**options)  # Django's list, or password_list_path
        self.passwords |= {
            line.strip().lower()
            for line in CHINESE_LIST.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        }

    def validate(self, password, user=None):
        if (
            password.lower().strip() in self.passwords
            or _bare(password) in self.passwords
        ):
            raise ValidationError(
                _("这个密码太常见了（在常用密码名单中），容易被猜中，请换一个。"),
                code="password_too_common",
            )

    def get_help_text(self):
        return _("密码不能是常用密码（如 woaini1314、qq123456、a1234567）。")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with the message Django's Chinese catalogue lacks."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {
            "min_length": self.min_length
        }


class UsernameValidator:
    """The username, or the username reversed, inside the password, in any
    case (Django's similarity check misses it in a long password)."""

    def validate(self, password, user=None):
        username = (user.get_username() if user is not None else "") or ""
        username = username.lower()
        if len(username) < 3:
            return
        lowered = password.lower()
        if username in lowered or username[::-1] in lowered:
            raise ValidationError(
                _("密码不能包含用户名（正写或倒写）。"), code="password_has_username"
            )

    def get_help_text(self):
        return _("密码不能包含用户名（正写或倒写）。")


# The ending of a unit's name that says what kind of place it is: the place
# name is what comes before it ("清河县委组织部" -> 清河).
_PLACE_SUFFIX = re.compile(r"^(.+?)(?:自治[区州县旗]|[省市县区镇乡村旗])")
# A surname of two characters ("欧阳", "司马"), the rest is the given name.
_COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
    "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里",
}  # fmt: skip


def _variants(syllable: str) -> list[str]:
    """A syllable as typed: ü is written v, u or yu (吕: lv, lu, lyu)."""
    syllable = syllable.lower().replace("ü", "v")
    if "v" not in syllable:
        return [syllable]
    return [syllable, syllable.replace("v", "u"), syllable.replace("v", "yu")]


def _spellings(text: str, *, first_heteronyms: bool = False) -> list[list[str]]:
    """The syllables of the text, a list of spellings per character; every
    reading of the first one if asked (a surname such as 单 or 曾 is read
    otherwise than in words)."""
    options = [
        _variants(s)
        for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
        if s.isascii() and s.isalpha()
    ]
    if first_heteronyms and options:
        readings = pinyin(text[0], style=Style.NORMAL, heteronym=True)[0]
        for reading in readings:
            options[0] += [v for v in _variants(reading) if v.isalpha()]
        options[0] = list(dict.fromkeys(options[0]))
    return options


def _forms(text: str, *, first_heteronyms: bool = False) -> set[str]:
    """Full pinyin and initials of a text: 张三 -> zhangsan, zs."""
    options = _spellings(text, first_heteronyms=first_heteronyms)
    if prod(len(o) for o in options) > 64:  # a long name: its first spellings
        options = [options[0]] + [o[:1] for o in options[1:]]
    found = set()
    for combo in product(*options):
        found |= {"".join(combo), "".join(s[0] for s in combo)}
    return found - {""}


def name_pinyin(name: str) -> set[str]:
    """What of a person's name (张三丰) a password may not contain: the full
    pinyin (zhangsanfeng), its initials (zsf), the given name (sanfeng), the
    surname (zhang) and the surname with the given name's initials (zhangsf)."""
    name = re.sub(r"\s", "", name)
    if not name:
        return set()
    cut = 2 if name[:2] in _COMPOUND_SURNAMES else 1
    surname, given = name[:cut], name[cut:]
    found = _forms(name, first_heteronyms=True) | _forms(surname, first_heteronyms=True)
    if len(given) > 1:
        found |= {"".join(c) for c in product(*_spellings(given))}
    if given:
        given_initials = "".join(o[0][0] for o in _spellings(given))
        found |= {s + given_initials for s in _forms(surname, first_heteronyms=True)}
    return found


def unit_pinyin(name: str) -> set[str]:
    """What of a unit's name (清河县委组织部) a password may not contain: the
    pinyin of the whole name and of its place (qinghexian, qinghe) and their
    initials (qhxwzzb, qhx)."""
    name = re.sub(r"\s", "", name)
    found = _forms(name)
    place = _PLACE_SUFFIX.match(name)
    if place:
        found |= _forms(place.group(0)) | _forms(place.group(1))
    if len(name) > 2:
        found |= _forms(name[:2])  # most names start with their place
    return found


def _person_names(user) -> list[str]:
    names = [user.get_full_name()]
    cadre = getattr(user, "cadre", None) if getattr(user, "cadre_id", None) else None
    if cadre is not None:
        names.append(cadre.name)
    return [n for n in names if n]


def _unit_names(user) -> list[str]:
    units = []
    if getattr(user, "unit_id", None):
        units.append(user.unit.name)
    if getattr(user, "cadre_id", None) and user.cadre.unit_id:
        units.append(user.cadre.unit.name)
    return [u for u in units if u]


def _found_in(password: str, token: str) -> bool:
    """A token of 4 letters or more anywhere in the password; a shorter one
    (zs, zsf, li) at the start or end of its letters (zs123456, 2026zsf!)."""
    if len(token) < 2:
        return False
    if len(token) >= 4:
        return token in password.lower()
    letters = re.sub(r"[^a-z]", "", password.lower())
    return letters.startswith(token) or letters.endswith(token)


class PinyinValidator:
    """The pinyin of the user's name or unit, full or initials, in any case."""

    def validate(self, password, user=None):
        if user is None:
            return
        for names, to_pinyin, message in (
            (_person_names(user), name_pinyin, _("密码不能包含姓名的拼音或拼音首字母（%(found)s）。")),
            (_unit_names(user), unit_pinyin, _("密码不能包含所在单位名称的拼音或拼音首字母（%(found)s）。")),
        ):  # fmt: skip
            for name in names:
                for token in sorted(to_pinyin(name), key=len, reverse=True):
                    if _found_in(password, token):
                        raise ValidationError(
                            message, code="password_has_pinyin", params={"found": token}
                        )

    def get_help_text(self):
        return _("密码不能包含姓名或所在单位名称的拼音、拼音首字母。")


class DemoPasswordValidator:
    """In production the demo accounts' password is refused: it is in the
    repository and `make run` prints it. In development the demo logins use it."""

    def validate(self, password, user=None):
        if settings.PRODUCTION and _bare(password) == DEMO_PASSWORD:
            raise ValidationError(
                _("这是演示数据的公开密码，正式环境不能使用。"), code="password_demo"
            )

    def get_help_text(self):
        return _("正式环境不能使用演示数据的密码。")
