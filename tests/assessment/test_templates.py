"""考核方案: the rule form in plain terms, its validation, immutable versions,
which rounds use which version, and who sees and revises a template."""

import copy
import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services
from assessment.config import default_config
from assessment.forms_rounds import rules_initial
from assessment.models import Round, Template, TemplateVersion
from tests.assessment.factories import make_round, make_version
from tests.conftest import form_errors


def rules_post(config=None, **overrides) -> dict:
    """The POST of the rule form for `config` (defaults), with fields replaced."""
    data = {}
    for key, value in rules_initial(config or default_config()).items():
        if key == "trimmed_mean":
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = str(value)
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def create_post(unit, name="挂职干部考核办法", **overrides) -> dict:
    return {"name": name, "unit": str(unit.pk), **rules_post(**overrides)}


@pytest.fixture
def template_a(org_a):
    return make_version(org_a, name="甲县挂职干部考核办法").template


# --- The form ---------------------------------------------------------------


def test_a_new_template_starts_from_the_default_rules(login, org_a):
    response = login(org_a).get(reverse("assessment:template_create"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["dim_ji"].value() == 35
    assert form["src_host"].value() == 40
    assert form["src_self"].value() == 0
    assert form["thr_excellent"].value() == 90
    assert form["cap_red"].value() == "basic"
    assert form["group_1_name"].value() == "领导班子成员"
    assert form["unit"].value() == org_a.unit_id
    body = response.content.decode()
    assert "德能勤绩廉" in body and "默认测评人类别" in body


def test_creating_a_template_makes_version_1_with_the_rules_entered(login, org_a, tree):
    data = create_post(
        tree.county_a,
        dim_ji=40,
        dim_qin=15,
        ind_ji="重点工作完成情况 60\n群众满意度：40分",
        excellent_quota_pct=20,
        src_host=30,
        src_self=10,
        group_3_name="",
        group_3_weight="",
        group_3_size="",
        group_2_weight=70,
    )
    response = login(org_a).post(reverse("assessment:template_create"), data)
    template = Template.objects.get(name="挂职干部考核办法")
    assert response.status_code == 302
    assert response.url == template.get_absolute_url()
    version = template.versions.get()
    assert version.number == 1
    assert template.unit == tree.county_a
    config = version.config
    assert config["dimensions"] == {
        "de": 15,
        "neng": 20,
        "qin": 15,
        "ji": 40,
        "lian": 10,
    }
    assert config["indicators"] == {
        "ji": [
            {"name": "重点工作完成情况", "points": 60},
            {"name": "群众满意度", "points": 40},
        ]
    }
    assert config["sources"] == {"host": 30, "democratic": 30, "org": 30, "self": 10}
    assert config["excellent_quota_pct"] == 20
    assert config["rater_groups"] == [
        {"name": "领导班子成员", "weight": 30, "size": 7},
        {"name": "中层干部", "weight": 70, "size": 10},
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dim_ji": 40}, "维度权重之和须为100（当前为105）"),
        ({"src_org": 20}, "来源权重之和须为100（当前为90）"),
        (
            {"thr_competent": 95},
            "分数线须满足：优秀 > 称职 > 基本称职",
        ),
        (
            {"ind_de": "政治立场 50\n廉洁自律 40"},
            "“德”各指标分值之和须为100（当前为90）",
        ),
        ({"pts_competent": 99}, "票面分值须按优秀、称职、基本称职、不称职依次降低"),
        ({"cap_red": "excellent"}, "红色预警的封顶等次不能高于黄色预警"),
        ({"excellent_quota_pct": 0}, "优秀比例须为1到100之间的整数，或不设"),
        ({"group_1_weight": 50}, "测评人类别权重之和须为100（当前为120）"),
        ({"min_turnout_pct": 120}, "最低参与率须为0到100的整数"),
    ],
)
def test_rules_that_do_not_add_up_are_refused_with_a_message_and_the_input_kept(
    login, org_a, tree, overrides, message
):
    data = create_post(tree.county_a, **overrides)
    response = login(org_a).post(reverse("assessment:template_create"), data)
    assert response.status_code == 200
    assert message in html.unescape(form_errors(response))
    assert not Template.objects.exists()
    form = response.context["form"]
    for field, value in overrides.items():
        assert str(form[field].value()) == str(value)  # what the user typed


def test_rule_problems_show_together_with_other_missing_fields(login, org_a, tree):
    data = create_post(tree.county_a, name="", dim_ji=40, src_org=20)
    response = login(org_a).post(reverse("assessment:template_create"), data)
    errors = form_errors(response)
    assert "这个字段是必填项" in errors  # the name
    assert "维度权重之和须为100（当前为105）" in errors
    assert "来源权重之和须为100（当前为90）" in errors
    assert not Template.objects.exists()


def test_an_indicator_line_without_points_is_pointed_out(login, org_a, tree):
    data = create_post(tree.county_a, ind_neng="业务能力 60\n学习能力")
    response = login(org_a).post(reverse("assessment:template_create"), data)
    assert "第2行格式不对" in form_errors(response)
    assert not Template.objects.exists()


def test_a_half_filled_rater_group_row_is_pointed_out(login, org_a, tree):
    data = create_post(tree.county_a, group_4_name="服务对象")
    response = login(org_a).post(reverse("assessment:template_create"), data)
    assert "第4行测评人类别须同时填写名称、权重和票数" in form_errors(response)
    assert not Template.objects.exists()


def test_a_template_is_set_by_a_unit_in_the_jurisdiction(org_a, tree):
    with pytest.raises(ValidationError) as caught:
        services.template_create(
            by=org_a, name="越权", unit=tree.county_b, config=default_config()
        )
    assert "只能为本管辖范围内的单位制定考核方案" in str(caught.value)
    assert not Template.objects.exists()


# --- Versions ---------------------------------------------------------------


def test_revising_adds_the_next_version_and_keeps_the_old_one(login, org_a, template_a):
    url = reverse("assessment:template_revise", args=[template_a.pk])
    client = login(org_a)
    assert client.get(url).context["form"]["dim_ji"].value() == 35  # current rules
    data = rules_post(dim_ji=40, dim_lian=5, note="突出实绩导向")
    response = client.post(url, data)
    assert response.status_code == 302
    v1, v2 = template_a.versions.order_by("number")
    assert (v1.number, v2.number) == (1, 2)
    assert v1.config == default_config()  # untouched
    assert v2.config["dimensions"]["ji"] == 40
    assert v2.note == "突出实绩导向"
    assert v2.created_by == org_a


def test_a_revision_needs_a_note(login, org_a, template_a):
    url = reverse("assessment:template_revise", args=[template_a.pk])
    response = login(org_a).post(url, rules_post(dim_ji=40, dim_lian=5))
    assert response.status_code == 200
    assert "这个字段是必填项" in form_errors(response)
    assert template_a.versions.count() == 1
    with pytest.raises(ValidationError, match="请填写修订说明"):
        services.template_revise(
            template=template_a, by=org_a, config=default_config(), note="  "
        )


def test_a_revision_that_changes_nothing_is_refused(org_a, template_a):
    with pytest.raises(ValidationError, match="规则与当前版本完全相同"):
        services.template_revise(
            template=template_a, by=org_a, config=default_config(), note="再存一次"
        )
    assert template_a.versions.count() == 1


def test_invalid_rules_never_become_a_version(org_a, template_a):
    config = default_config()
    config["thresholds"]["basic"] = 80
    with pytest.raises(ValidationError, match="分数线须满足"):
        services.template_revise(template=template_a, by=org_a, config=config, note="x")
    assert template_a.versions.count() == 1


def test_a_round_keeps_its_version_after_the_template_is_revised(
    org_a, world, template_a
):
    v1 = template_a.versions.get()
    round_ = make_round(org_a, [world.a.posting], version=v1)
    config = copy.deepcopy(v1.config)
    config["dimensions"].update(ji=40, lian=5)
    v2 = services.template_revise(
        template=template_a, by=org_a, config=config, note="调整权重"
    )
    round_.refresh_from_db()
    assert round_.template_version == v1
    assert v2.number == 2
    assert services.latest_version(template_a) == v2


def test_the_detail_page_shows_every_version_its_changes_and_its_rounds(
    login, org_a, org_city, world, template_a
):
    v1 = template_a.versions.get()
    make_round(org_a, [world.a.posting], version=v1, name="甲县2026年平时考核")
    config = copy.deepcopy(v1.config)
    config["dimensions"].update(ji=40, lian=5)
    services.template_revise(template=template_a, by=org_a, config=config, note="调整")
    response = login(org_a).get(template_a.get_absolute_url())
    body = response.content.decode()
    assert 'id="version-1"' in body and 'id="version-2"' in body
    assert "甲县2026年平时考核" in body
    assert "绩：35% → 40%" in body
    assert "廉：10% → 5%" in body
    [(latest, _rows, _changes), (first, rows, changes)] = response.context["versions"]
    assert (latest.number, first.number) == (2, 1)
    assert changes == []  # nothing before version 1


def test_a_city_template_serves_its_counties_but_only_the_city_revises_it(
    login, org_a, org_b, org_city, world, tree
):
    city_version = make_version(org_city, name="江州市挂职干部考核办法")
    template = city_version.template
    # County B's round under the city template is not shown to county A.
    make_round(org_b, [world.b.posting], version=city_version, name="乙县考核")
    client = login(org_a)
    listing = client.get(reverse("assessment:template_list")).content.decode()
    assert "江州市挂职干部考核办法" in listing
    detail = client.get(template.get_absolute_url())
    assert detail.status_code == 200
    assert "乙县考核" not in detail.content.decode()
    assert detail.context["may_revise"] is False
    revise = reverse("assessment:template_revise", args=[template.pk])
    assert client.get(revise).status_code == 403
    assert (
        client.post(revise, rules_post(note="x", dim_ji=40, dim_lian=5)).status_code
        == 403
    )
    assert template.versions.count() == 1
    assert login(org_city).get(revise).status_code == 200


def test_the_list_counts_only_rounds_in_scope(login, org_a, org_b, org_city, world):
    city_version = make_version(org_city, name="江州市挂职干部考核办法")
    make_round(org_a, [world.a.posting], version=city_version)
    make_round(org_b, [world.b.posting], version=city_version)
    page = login(org_a).get(reverse("assessment:template_list"))
    [row] = page.context["templates"]
    assert row.rounds_count == 1
    [row] = (
        login(org_city).get(reverse("assessment:template_list")).context["templates"]
    )
    assert row.rounds_count == 2


def test_another_county_cannot_see_the_template(login, org_b, host_a, template_a):
    client = login(org_b)
    for name in ("assessment:template_detail", "assessment:template_revise"):
        url = reverse(name, args=[template_a.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    listing = client.get(reverse("assessment:template_list")).content.decode()
    assert "甲县挂职干部考核办法" not in listing
    assert login(host_a).get(template_a.get_absolute_url()).status_code == 404


def test_no_admin_deletes_templates_versions_or_rounds(client, admin, round_a):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    version = round_a.template_version
    for model, pk in (
        ("template", version.template_id),
        ("templateversion", version.pk),
        ("round", round_a.pk),
    ):
        page = client.get(reverse(f"admin:assessment_{model}_change", args=[pk]))
        assert page.status_code == 200
        delete = reverse(f"admin:assessment_{model}_delete", args=[pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Round.objects.filter(pk=round_a.pk).exists()
    assert TemplateVersion.objects.filter(pk=version.pk).exists()


def test_the_list_runs_the_same_queries_for_5_and_50_templates(
    login, org_city, tree, settings
):
    settings.PAGE_SIZE = 100
    counter = iter(range(1000))

    def add(n):
        names = []
        for _ in range(n):
            version = make_version(org_city, name=f"方案{next(counter)}号")
            make_round(org_city, [], version=version)
            names.append(version.template.name)
        return names

    def count(client, url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), response.content.decode()

    client = login(org_city)
    url = reverse("assessment:template_list")
    shown = add(5)
    client.get(url)
    five, body = count(client, url)
    assert all(name in body for name in shown)
    shown += add(45)
    fifty, body = count(client, url)
    assert all(name in body for name in shown)
    assert fifty == five
