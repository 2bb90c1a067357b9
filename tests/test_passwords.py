"""Password rules (issue 15, cadres/passwords.py): not a common Chinese
choice, not the pinyin of the user's name or unit, nothing close to the
username, and not the demo password in production; in Chinese."""

import re

import pytest
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.password_validation import (
    CommonPasswordValidator as DjangoCommonPasswordValidator,
)
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client

from cadres.models import Role
from cadres.passwords import CHINESE_LIST, DEMO_PASSWORD, name_pinyin, unit_pinyin
from portal import demo
from tests.factories import CadreFactory, UnitFactory, UserFactory

CJK = re.compile(r"[\u4e00-\u9fff]")
STRONG = "Lanmao#Xue-2026"


def _refusals(password, user=None) -> list[str]:
    """The codes of the rules the password breaks."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.fixture
def zhang(db):
    """张三丰 of 清河县委组织部."""
    return UserFactory(
        username="zsf_qh",
        last_name="张",
        first_name="三丰",
        unit=UnitFactory(name="清河县委组织部"),
    )


# The issue's examples and the list's own: Django's list alone misses the
# latter (checked below), so they show the Chinese list is read.
ISSUE_EXAMPLES = [
    "woaini1314",
    "qq123456",
    "a1234567",
    "5201314",
    "123456789",
    "zxcvbnm",
    "iloveyou",
    "1qaz2wsx",
    "abc123456",
]
CHINESE_ONLY = ["woaimama", "zuzhibu123", "huawei@123", "qwe!@#123", "5201314520"]


@pytest.mark.parametrize("password", ISSUE_EXAMPLES + CHINESE_ONLY)
def test_common_chinese_passwords_are_refused(db, password):
    assert "password_too_common" in _refusals(password)
    assert "password_too_common" in _refusals(password.upper() + "!")


def test_the_chinese_list_adds_what_djangos_misses(db):
    django_list = DjangoCommonPasswordValidator().passwords
    ours = {
        line.strip().lower()
        for line in CHINESE_LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    added = ours - django_list
    assert set(CHINESE_ONLY) <= added
    assert len(added) >= 200
    refused = [p for p in sorted(added) if "password_too_common" in _refusals(p)]
    assert refused == sorted(added)
    print(f"passwords: {len(refused)} common Chinese passwords refused")


def test_pinyin_forms_of_names_and_units():
    assert {"zhangsanfeng", "zsf", "zhangsf", "sanfeng", "zhang"} <= name_pinyin(
        "张三丰"
    )
    assert {"shanxiongxin", "danxiongxin"} <= name_pinyin("单雄信")  # surname readings
    assert {"lvbu", "lubu", "lyubu"} <= name_pinyin("吕布")
    assert {"ouyangxiu", "oyx"} <= name_pinyin("欧阳修")
    assert {"qinghexian", "qinghe", "qhx", "qhxwzzb"} <= unit_pinyin("清河县委组织部")
    assert {"baisha", "bsz"} <= unit_pinyin("白沙镇")


@pytest.mark.parametrize(
    "password",
    [
        "ZhangSanFeng!2026",
        "x-zhangsf-2026",
        "zsf19880808",
        "2026#ZSF",
        "SanFeng@8899",
        "Zhang#Lanmao88",
        "Qinghe#Lanmao26",
        "Lanmao@qinghexian",
        "qhx@Lanmao2026",
        "Lanmao@QHXWZZB",
    ],
)
def test_pinyin_of_the_users_name_or_unit_is_refused(zhang, password):
    assert "password_has_pinyin" in _refusals(password, zhang)


def test_a_cadres_name_and_unit_count_too(db):
    cadre = CadreFactory(name="李白", unit=UnitFactory(name="白沙镇人民政府"))
    user = UserFactory(role=Role.CADRE, cadre=cadre, last_name="", username="cadre_x")
    for password in ("Libai#2026x", "Lanmao@baisha", "bszrmzf#Lanmao"):
        assert "password_has_pinyin" in _refusals(password, user), password


def test_the_message_names_what_was_found(zhang):
    with pytest.raises(ValidationError) as caught:
        validate_password("Lanmao@qinghexian", zhang)
    messages = " ".join(caught.value.messages)
    assert "密码不能包含所在单位名称的拼音或拼音首字母（qinghexian）" in messages


def test_a_strong_password_passes_for_everyone(zhang, db):
    assert _refusals(STRONG, zhang) == []
    assert _refusals(STRONG) == []


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("wangxiaoer", "Wangxiaoer!2026", "password_has_username"),
        ("wangxiaoer", "Lanmao#reoaixgnaw", "password_has_username"),
        # Django's similarity at 0.5: its default 0.7 lets this one through.
        ("zhangweidong", "zhangwd2026", "password_too_similar"),
    ],
)
def test_anything_close_to_the_username_is_refused(db, username, password, code):
    user = UserFactory(username=username, last_name="")
    assert code in _refusals(password, user)


def test_the_demo_password_works_in_development(db, settings):
    assert settings.PRODUCTION is False  # the tests run as `make run` does
    assert demo.PASSWORD == DEMO_PASSWORD
    for username, role in demo.DEMO_ACCOUNTS:
        user = UserFactory(username=username, role=role)
        assert _refusals(DEMO_PASSWORD, user) == [], username
        user.set_password(demo.PASSWORD)
        user.save()
        answer = Client().post(
            "/login/", {"username": username, "password": demo.PASSWORD}
        )
        assert answer.status_code == 302, username
    print(f"passwords: {len(demo.DEMO_ACCOUNTS)} demo logins work in development")


def test_the_demo_password_is_refused_in_production(db, settings):
    settings.PRODUCTION = True
    user = UserFactory(username="zuzhibu")
    assert "password_demo" in _refusals(DEMO_PASSWORD, user)
    assert "password_demo" in _refusals(DEMO_PASSWORD + " ", user)
    assert _refusals(STRONG, user) == []


def test_the_admins_password_form_refuses_them_in_chinese(zhang):
    tried = ["woaini1314", "ZhangSanFeng!2026", "zsf_qh-2026", "12345"]
    for password in tried:
        form = AdminPasswordChangeForm(
            zhang, {"password1": password, "password2": password}
        )
        assert not form.is_valid(), password
        errors = form.errors["password2"]
        assert errors and all(CJK.search(e) for e in errors), errors
    print(f"passwords: {len(tried)} weak passwords refused by the admin's form")


def test_every_rule_explains_itself_in_chinese():
    texts = password_validators_help_texts()
    assert len(texts) == 7
    assert all(CJK.search(t) for t in texts), texts
