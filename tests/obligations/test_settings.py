"""The obligations' figures are settings admins change on the settings page,
each checked with a Chinese message."""

import pytest
from constance.utils import get_values
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

PAGE = reverse("admin:constance_config_changelist")
DEFAULTS = {
    "NOTE_DUE_DAY": 10,
    "WORKLOG_GAP_DAYS": 7,
    "FINAL_ASSESSMENT_DAYS_BEFORE_END": 30,
    "VISIT_MONTHS_AFTER_END": 6,
    "SUPPORT_OPEN_DAYS": 30,
    "ROUND_LEAD_DAYS": 30,
}


@pytest.fixture(autouse=True)
def _fresh_content_types():
    ContentType.objects.clear_cache()


def _post(client, **values):
    form = client.get(PAGE).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(values)
    return client.post(PAGE, data)


def test_the_settings_are_on_the_page_with_their_defaults(login, admin):
    body = login(admin).get(PAGE).content.decode()
    assert "待办事项与考核时限" in body
    assert "月小结应在次月几日前" in body
    values = get_values()
    assert {key: values[key] for key in DEFAULTS} == DEFAULTS


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("NOTE_DUE_DAY", "29", "确保该值小于或等于28"),
        ("NOTE_DUE_DAY", "0", "确保该值大于或等于1"),
        ("WORKLOG_GAP_DAYS", "0", "确保该值大于或等于1"),
        ("VISIT_MONTHS_AFTER_END", "61", "确保该值小于或等于60"),
        ("SUPPORT_OPEN_DAYS", "三十", "输入整数"),
    ],
)
def test_a_bad_value_is_refused(login, admin, key, value, message):
    response = _post(login(admin), **{key: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "设置没有保存" in response.content.decode()
    assert get_values()[key] == DEFAULTS[key]


def test_a_good_value_is_kept(login, admin):
    assert _post(login(admin), NOTE_DUE_DAY="15").status_code == 302
    assert get_values()["NOTE_DUE_DAY"] == 15
