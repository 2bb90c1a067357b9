"""Settings admins change in the app (django-constance): one page in the admin,
each value checked by its type's field, every change kept with who made it and
the value before and after; nobody but a system administrator reaches it."""

import re

import pytest
from constance.codecs import loads
from constance.models import Constance
from constance.utils import get_values
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from siteconfig.models import SettingChange

PAGE = reverse("admin:constance_config_changelist")
HISTORY = reverse("admin:siteconfig_settingchange_changelist")
KEY = "APPRAISAL_SUBMIT_DAYS_BEFORE_END"
DESCRIPTION = settings.CONSTANCE_CONFIG[KEY][1]


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """constance logs each save in the admin log under a content type made on
    first use (its Config is no model, so no migration makes it): a test that
    visited the page earlier, rolled back, leaves a cached id that no longer
    exists."""
    ContentType.objects.clear_cache()


def current() -> int:
    """The setting's value, read without constance's write of the default."""
    return get_values()[KEY]


def _post(client, **values):
    """Submit the settings page as a browser would: every field, and the
    version the page was rendered with."""
    form = client.get(PAGE).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(values)
    return client.post(PAGE, data)


def test_the_settings_page_is_in_chinese(login, admin):
    body = login(admin).get(PAGE).content.decode()
    assert "组织鉴定最早在挂职计划结束日期前多少天可以提交" in body
    assert "组织鉴定" in body  # the fieldset
    assert "系统设置" in body  # the app's name in the breadcrumbs
    assert '<th><div class="text">名称</div></th>' in body  # not 任务名


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "确保该值大于或等于0"),
        ("366", "确保该值小于或等于365"),
        ("三十", "输入整数"),
        ("", "这个字段是必填项"),
    ],
)
def test_a_bad_value_is_refused_with_a_chinese_message(login, admin, value, message):
    response = _post(login(admin), **{KEY: value})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "设置没有保存：请更正下面标出的错误。" in body
    assert current() == 30
    assert not Constance.objects.exists()
    assert not SettingChange.objects.exists()


def test_a_change_is_recorded_with_who_the_old_and_the_new_value(login, admin):
    client = login(admin)
    assert _post(client, **{KEY: "45"}).status_code == 302
    assert current() == 45
    assert _post(client, **{KEY: "20"}).status_code == 302
    assert current() == 20
    changes = [
        (c.key, loads(c.old_value), loads(c.new_value), c.changed_by)
        for c in SettingChange.objects.order_by("pk")
    ]
    assert changes == [(KEY, 30, 45, admin), (KEY, 45, 20, admin)]
    # The history page shows who changed what, from what to what.
    page = client.get(HISTORY)
    table = page.content.decode().split('id="result_list"')[1].split("</table>")[0]
    rows = [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]
    described = [row[2:] for row in rows]
    assert described == [
        [DESCRIPTION, "45", "20", str(admin)],
        [DESCRIPTION, "30", "45", str(admin)],
    ]


def test_saving_unchanged_values_records_nothing(login, admin):
    assert _post(login(admin)).status_code == 302
    assert not SettingChange.objects.exists()


def test_only_a_system_administrator_reaches_the_settings(login, personas):
    for name, user in personas.items():
        if name == "admin":
            continue
        client = login(user)
        for url in (PAGE, HISTORY):
            assert client.get(url).status_code in (302, 403, 404), (name, url)
        response = client.post(PAGE, {KEY: "1"})
        assert response.status_code in (302, 403, 404), name
    assert current() == 30
    assert not SettingChange.objects.exists()


def test_a_staff_account_that_is_not_a_superuser_cannot_change_settings(login, admin):
    admin.is_superuser = False
    admin.save(update_fields=["is_superuser"])
    client = login(admin)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {KEY: "1"}).status_code == 403
    assert client.get(HISTORY).status_code == 403
    assert current() == 30
