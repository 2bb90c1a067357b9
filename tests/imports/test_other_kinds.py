"""Units, postings and user accounts: keys, scope, rules, history."""

import datetime as dt
import io

import pytest

from cadres.models import Role, Unit, User
from imports import services
from imports.checks import NEW, SAME
from postings.models import Batch, Posting, StatusChange
from tests.factories import CadreFactory
from tests.imports.files import id_for, xlsx


def run(user, kind, rows, **kw):
    return services.preview_file(
        kind, io.BytesIO(xlsx(rows, kind=kind)), "f.xlsx", user=user, **kw
    )


def commit(user, kind, rows, **kw):
    return services.commit_file(
        kind, io.BytesIO(xlsx(rows, kind=kind)), "f.xlsx", by=user, **kw
    )


def problems(result):
    return [(p.row, p.column) for p in result.errors]


# --- Units -------------------------------------------------------------------


@pytest.mark.django_db
def test_units_are_created_under_parents_of_the_file_and_updated_by_name(org_a, tree):
    rows = [
        ["甲二镇", "甲县", "乡镇", "乡", "40", "否"],
        ["甲二村", "甲二镇", "村", "村", "", ""],
        ["甲县财政局", "甲县", "党政机关", "县", "", "是"],
    ]
    result = run(org_a, "units", rows)
    assert result.errors == []
    assert [r.action for r in result.rows] == [NEW, NEW, "update"]
    commit(org_a, "units", rows)
    town = Unit.objects.get(name="甲二镇")
    assert town.parent == tree.county_a and town.distance_km == 40
    assert Unit.objects.get(name="甲二村").parent == town
    assert Unit.objects.get(pk=tree.organ_a.pk).is_power_department
    before = Unit.objects.count()
    commit(org_a, "units", rows)
    assert Unit.objects.count() == before
    assert [r.action for r in run(org_a, "units", rows).rows] == [SAME] * 3


@pytest.mark.django_db
def test_unit_level_is_checked_against_the_parent_chain(org_a, tree):
    result = run(org_a, "units", [["甲二镇", "甲县", "乡镇", "县", "", ""]])
    assert problems(result) == [(2, "层级")]
    assert not Unit.objects.filter(name="甲二镇").exists()


@pytest.mark.django_db
def test_org_staff_cannot_import_units_outside_their_jurisdiction(org_a, tree):
    result = run(org_a, "units", [["乙二镇", "乙县", "乡镇", "", "", ""]])
    assert problems(result) == [(2, "上级单位")]
    top = run(org_a, "units", [["新省", "", "地区", "", "", ""]])
    assert problems(top) == [(2, "上级单位")]


# --- Postings ----------------------------------------------------------------


def posting_row(number, name, **extra):
    values = {
        "身份证号": number,
        "姓名": name,
        "挂职类型": "下派",
        "派出单位": "甲县财政局",
        "接收单位": "甲一镇",
        "挂任职务": "乡镇长助理",
        "开始日期": "2026-03-01",
        "结束日期": "2027-03-01",
        "批次": "",
    }
    values.update(extra)
    return list(values.values())


@pytest.mark.django_db
def test_postings_are_created_with_a_new_batch_and_reimported_without_duplicates(
    org_a, tree
):
    cadre = CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    rows = [posting_row(id_for(1), "张伟", 批次="2026年第一批")]
    result = run(org_a, "postings", rows)
    assert result.errors == [] and result.new_batches == ["2026年第一批"]
    outcome = commit(org_a, "postings", rows)
    posting = Posting.objects.get(cadre=cadre)
    assert posting.status == Posting.Status.PROPOSED
    assert posting.batch.name == "2026年第一批" and posting.batch.unit == tree.county_a
    assert outcome["batches"] == ["2026年第一批"]
    assert posting.history.first().history_user == org_a
    commit(org_a, "postings", rows)
    assert Posting.objects.count() == 1 and Batch.objects.count() == 1
    assert [r.action for r in run(org_a, "postings", rows).rows] == [SAME]


@pytest.mark.django_db
def test_history_postings_record_each_status_change_by_the_importer(org_a, tree):
    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    headers = [
        "身份证号",
        "姓名",
        "挂职类型",
        "派出单位",
        "接收单位",
        "挂任职务",
        "开始日期",
        "结束日期",
        "批次",
        "状态",
        "实际结束日期",
        "结束原因",
    ]
    row = posting_row(id_for(1), "张伟", 开始日期="2024-01-01", 结束日期="2025-01-01")
    rows = [row + ["提前结束", "2024-06-30", "工作需要召回"]]
    data = xlsx(rows, headers=headers)
    assert (
        services.preview_file("postings", io.BytesIO(data), "f.xlsx", user=org_a).errors
        == []
    )
    services.commit_file("postings", io.BytesIO(data), "f.xlsx", by=org_a)
    posting = Posting.objects.get()
    assert posting.status == Posting.Status.ENDED_EARLY
    assert posting.ended_on == dt.date(2024, 6, 30)
    changes = list(StatusChange.objects.order_by("pk").values_list("to_status", "by"))
    assert changes == [("active", org_a.pk), ("ended_early", org_a.pk)]
    missing = xlsx([row + ["提前结束", "", ""]], headers=headers)
    result = services.preview_file(
        "postings", io.BytesIO(missing), "g.xlsx", user=org_a
    )
    assert {c for _r, c in problems(result)} >= {"实际结束日期", "结束原因"}


@pytest.mark.django_db
def test_rule_one_against_the_file_and_the_database(org_a, tree, world):
    cadre = CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    rows = [
        posting_row(id_for(1), "张伟"),
        posting_row(id_for(1), "张伟", 接收单位="甲一村", 开始日期="2026-06-01"),
    ]
    result = run(org_a, "postings", rows)
    assert (2, "开始日期") in problems(result) and (3, "开始日期") in problems(result)
    in_db = world.a.posting.cadre
    result = run(org_a, "postings", [posting_row(in_db.id_number, in_db.name)])
    assert problems(result) == [(2, "身份证号")]
    assert "已有" in result.errors[0].message
    assert Posting.objects.filter(cadre=cadre).count() == 0


@pytest.mark.django_db
def test_unknown_cadre_wrong_name_and_out_of_scope_sending_unit(org_a, tree):
    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    result = run(
        org_a,
        "postings",
        [
            posting_row(id_for(2), "李四"),
            posting_row(id_for(1), "张三"),
            posting_row(id_for(1), "张伟", 派出单位="乙县农业局"),
        ],
    )
    assert problems(result) == [(2, "身份证号"), (3, "姓名"), (4, "派出单位")]


@pytest.mark.django_db
def test_soft_rules_are_warnings_that_need_one_reason(org_a, tree):
    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a, rank=1)
    headers = [
        "身份证号",
        "姓名",
        "挂职类型",
        "派出单位",
        "接收单位",
        "挂任职务",
        "开始日期",
        "结束日期",
        "批次",
        "挂任职级",
    ]
    data = xlsx([posting_row(id_for(1), "张伟") + ["正处"]], headers=headers)
    result = services.preview_file("postings", io.BytesIO(data), "f.xlsx", user=org_a)
    assert result.errors == [] and result.warnings
    assert "rank_fit" in result.warning_reasons()
    with pytest.raises(services.ImportFailed):
        services.commit_file("postings", io.BytesIO(data), "f.xlsx", by=org_a)
    assert Posting.objects.count() == 0
    services.commit_file(
        "postings", io.BytesIO(data), "f.xlsx", by=org_a, reason="组织决定"
    )
    assert Posting.objects.get().overrides.get().reason == "组织决定"


# --- Users -------------------------------------------------------------------


@pytest.mark.django_db
def test_users_get_no_password_but_a_one_time_link(org_a, tree):
    cadre = CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    rows = [
        ["zhangwei", "张伟", "挂职干部", "", "zw@example.gov.cn", id_for(1)],
        ["lisi", "李四", "接收单位领导", "甲一镇", "", ""],
    ]
    result = run(org_a, "users", rows)
    assert result.errors == []
    outcome = commit(org_a, "users", rows)
    zhang = User.objects.get(username="zhangwei")
    assert zhang.cadre == cadre and zhang.role == Role.CADRE
    assert not zhang.has_usable_password()
    links = services.first_login_links(outcome["new_users"], "http://x")
    assert [name for name, _link in links] == ["lisi", "zhangwei"]
    assert commit(org_a, "users", rows)["created"] == 0
    assert User.objects.filter(username__in=["zhangwei", "lisi"]).count() == 2


@pytest.mark.django_db
def test_user_rows_are_refused_by_row_and_column(org_a, tree, org_b):
    rows = [
        ["zhangwei", "张伟", "挂职干部", "", "", ""],
        ["boss", "王", "系统管理员", "", "", ""],
        ["org_b", "乙", "组织部工作人员", "甲县", "", ""],
        ["wang", "王", "派出单位联系人", "", "bad-email", ""],
    ]
    result = run(org_a, "users", rows)
    assert problems(result) == [
        (2, "干部身份证号"),
        (3, "角色"),
        (4, "用户名"),
        (5, "所属单位"),
        (5, "电子邮箱"),
    ]
    assert not User.objects.filter(username__in=["zhangwei", "boss", "wang"]).exists()


@pytest.mark.django_db
def test_the_first_password_link_sets_a_password_once(client, org_a, tree):
    outcome = commit(
        org_a, "users", [["lisi", "李四", "接收单位领导", "甲一镇", "", ""]]
    )
    ((_name, link),) = services.first_login_links(outcome["new_users"], "")
    assert client.get(link).status_code == 200
    done = client.post(
        link, {"new_password1": "Qz8!vLm2#rTx", "new_password2": "Qz8!vLm2#rTx"}
    )
    assert done.status_code == 302
    assert User.objects.get(username="lisi").check_password("Qz8!vLm2#rTx")
    assert services.first_login_links(outcome["new_users"], "") == []
    spent = client.get(link)
    assert b'id="link-invalid"' in spent.content
    assert "已经用过".encode() in spent.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, column, words",
    [
        ({"挂职类型": "横派"}, "挂职类型", "不是可选的挂职类型"),
        ({"结束日期": "2026-01-01"}, "结束日期", "晚于开始日期"),
        ({"开始日期": "2026-13-01"}, "开始日期", "不是有效的日期"),
        ({"挂任职务": "=A1&B1"}, "挂任职务", "公式"),
        ({"接收单位": "月球镇"}, "接收单位", "找不到单位"),
    ],
)
def test_posting_rejections_name_row_and_column(org_a, tree, changes, column, words):
    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    result = run(org_a, "postings", [posting_row(id_for(1), "张伟", **changes)])
    assert problems(result) == [(2, column)]
    assert words in result.errors[0].message
    with pytest.raises(services.ImportFailed):
        commit(org_a, "postings", [posting_row(id_for(1), "张伟", **changes)])
    assert Posting.objects.count() == 0


@pytest.mark.django_db
def test_the_receiving_unit_may_lie_outside_the_jurisdiction(org_a, tree):
    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a)
    rows = [posting_row(id_for(1), "张伟", 接收单位="乙一镇", 开始日期=45717)]
    result = run(org_a, "postings", rows)  # 45717: an Excel serial, 2025-03-01
    assert result.errors == []
    commit(org_a, "postings", rows)
    posting = Posting.objects.get()
    assert posting.receiving_unit == tree.township_b1
    assert posting.start_date == dt.date(2025, 3, 1)


@pytest.mark.django_db
def test_a_postings_file_is_checked_with_a_fixed_number_of_queries(org_a, tree):
    """Rules 1 to 3 read the database once for the whole file
    (postings.services.RuleData), not once per row: 5 rows and 40 rows, each
    with its own cadre, another posting already at the unit and the level
    chains to read, cost the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = []
    for n in range(40):
        CadreFactory(id_number=id_for(n), name=f"干部{n}", unit=tree.organ_a)
        rows.append(posting_row(id_for(n), f"干部{n}"))
    run(org_a, "postings", rows[:1])  # the settings, read once
    with CaptureQueriesContext(connection) as few:
        small = run(org_a, "postings", rows[:5])
    with CaptureQueriesContext(connection) as many:
        large = run(org_a, "postings", rows)
    assert small.errors == [] and large.errors == []
    assert len(few) == len(many), (len(few), len(many))


@pytest.mark.django_db
def test_org_staff_open_accounts_only_for_their_own_units_cadres(org_a, tree):
    """A cadre of another county merely hosted in 甲县 is within 甲县's sight,
    but an account acts as the cadre and sees all their postings: org staff
    may not open one for them (the account and its first-password link would
    reach the other county's postings). Admins may."""
    from cadres.models import Role as Roles
    from tests.factories import PostingFactory, UserFactory

    guest = CadreFactory(id_number=id_for(7), name="王五", unit=tree.organ_b)
    PostingFactory(
        cadre=guest, sending_unit=tree.organ_b, receiving_unit=tree.township_a1
    )
    row = ["wangwu", "王五", "挂职干部", "", "ww@example.gov.cn", id_for(7)]
    result = run(org_a, "users", [row])
    assert problems(result) == [(2, "干部身份证号")]
    assert "不在您的管辖范围内" in result.errors[0].message
    with pytest.raises(services.ImportFailed):
        commit(org_a, "users", [row])
    assert not User.objects.filter(username="wangwu").exists()
    admin = UserFactory(role=Roles.ADMIN, unit=None)
    assert run(admin, "users", [row]).errors == []


@pytest.mark.django_db
def test_org_staff_cannot_change_an_existing_account_from_a_file(org_a, host_a, tree):
    """Users are the admins' to manage: a file may bring new accounts and
    name existing ones unchanged, never redirect a colleague's email or change
    their role or unit."""
    before = (host_a.email, host_a.role, host_a.unit_id)
    changed = [host_a.username, "某某", "组织部工作人员", "甲县", "x@evil.example", ""]
    result = run(org_a, "users", [changed])
    assert problems(result) == [(2, "用户名")]
    assert "须由系统管理员" in result.errors[0].message
    with pytest.raises(services.ImportFailed):
        commit(org_a, "users", [changed])
    host_a.refresh_from_db()
    assert (host_a.email, host_a.role, host_a.unit_id) == before
