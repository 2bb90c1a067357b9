import datetime as dt
import io

import pytest

from cadres.models import Cadre, Education, PoliticalStatus, Rank
from imports import services
from imports.checks import ERROR, NEW, SAME, UPDATE
from tests.imports.files import cadre_row, csv_bytes, id_for, template_with, xlsx


def run(user, data: bytes, name="干部.xlsx", kind="cadres", **kw):
    return services.preview_file(kind, io.BytesIO(data), name, user=user, **kw)


def commit(user, data: bytes, name="干部.xlsx", kind="cadres", **kw):
    return services.commit_file(kind, io.BytesIO(data), name, by=user, **kw)


def only_error(result):
    assert len(result.errors) == 1, [
        (p.row, p.column, p.message) for p in result.errors
    ]
    return result.errors[0]


@pytest.mark.django_db
def test_a_clean_file_previews_as_new_and_commits(org_a, tree):
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(2, gender="F"), name="李娜")])
    result = run(org_a, data)
    assert result.errors == []
    assert [r.action for r in result.rows] == [NEW, NEW]
    assert Cadre.objects.count() == 0  # the preview writes nothing
    outcome = commit(org_a, data)
    assert outcome["created"] == 2
    zhang = Cadre.objects.get(id_number=id_for(1))
    assert zhang.unit == tree.organ_a
    assert zhang.rank == Rank.SECTION
    assert zhang.gender == "M" and zhang.birth_date == dt.date(1985, 3, 14)
    assert zhang.political_status == PoliticalStatus.CPC_MEMBER
    assert zhang.education == Education.BACHELOR
    assert zhang.position_since == dt.date(2020, 5, 1)
    assert zhang.ethnicity == "汉族"


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_field_by_field(org_a, tree):
    data = xlsx([cadre_row(id_for(1))])
    commit(org_a, data)
    again = run(org_a, data)
    assert [r.action for r in again.rows] == [SAME]
    commit(org_a, data)
    assert Cadre.objects.count() == 1
    changed = xlsx([cadre_row(id_for(1), rank="副处", 现任职务="副局长")])
    result = run(org_a, changed)
    assert result.rows[0].action == UPDATE
    assert ("职级", "正科", "副处") in result.rows[0].changes
    assert ("现任职务", "科长", "副局长") in result.rows[0].changes
    commit(org_a, changed)
    assert Cadre.objects.get().rank == Rank.DEPUTY_DIVISION
    assert Cadre.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2023-05-01", dt.date(2023, 5, 1)),
        ("2023/5/1", dt.date(2023, 5, 1)),
        ("2023.5.1", dt.date(2023, 5, 1)),
        ("2023年5月1日", dt.date(2023, 5, 1)),
        (dt.datetime(2023, 5, 1), dt.date(2023, 5, 1)),
        ("2023.05", dt.date(2023, 5, 1)),
        ("202305", dt.date(2023, 5, 1)),
        (202305, dt.date(2023, 5, 1)),
        ("2023年5月", dt.date(2023, 5, 1)),
        ("２０２３．０５", dt.date(2023, 5, 1)),
        (" 2023-05-01\n", dt.date(2023, 5, 1)),
    ],
)
def test_position_since_accepts_messy_dates(org_a, tree, cell, expected):
    data = xlsx([cadre_row(id_for(1), 任现职时间=cell)])
    assert run(org_a, data).errors == []
    commit(org_a, data)
    assert Cadre.objects.get().position_since == expected


@pytest.mark.django_db
def test_messy_ids_names_and_yes_no_are_accepted(org_a, tree):
    x_id = next(id_for(n) for n in range(500) if id_for(n).endswith("X"))
    fifteen = "110101850314003"  # 1985-03-14, sequence 003 (male)
    full_width = id_for(7).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    data = xlsx(
        [
            cadre_row(x_id.lower(), name="阿不都•热合曼", 是否后备干部="√"),
            cadre_row(fifteen, name=" 王 强 ", 是否后备干部="Y"),
            cadre_row(full_width, name="赵\n敏", 是否后备干部="是"),
        ]
    )
    result = run(org_a, data)
    assert result.errors == []
    commit(org_a, data)
    assert Cadre.objects.get(id_number=x_id).name == "阿不都·热合曼"
    upgraded = Cadre.objects.get(name="王强")
    assert upgraded.id_number.startswith("11010119850314003")
    assert len(upgraded.id_number) == 18
    assert Cadre.objects.filter(is_reserve=True).count() == 3
    assert Cadre.objects.filter(id_number=id_for(7), name="赵敏").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, column, words",
    [
        ({"身份证号": 110101198503140031}, "身份证号", "存成了数字"),
        ({"身份证号": "110101198503140032"}, "身份证号", "校验位"),
        ({"出生日期": "1986-01-01"}, "出生日期", "不一致"),
        ({"性别": "女"}, "性别", "不一致"),
        ({"工作单位": "不存在的局"}, "工作单位", "找不到单位"),
        ({"职级": "大领导"}, "职级", "不是可选的职级"),
        ({"政治面貌": "火星人"}, "政治面貌", "不是可选的政治面貌"),
        ({"任现职时间": "2023-02-30"}, "任现职时间", "不是有效的日期"),
        ({"任现职时间": "=TODAY()"}, "任现职时间", "公式"),
        ({"是否后备干部": "也许"}, "是否后备干部", "是/否"),
        ({"姓名": ""}, "姓名", "必须填写"),
        ({"工作单位": "乙县农业局"}, "工作单位", "找不到单位"),  # out of scope
    ],
)
def test_rejections_name_row_and_column_and_write_nothing(
    org_a, tree, changes, column, words
):
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(2), **changes)])
    result = run(org_a, data)
    error = only_error(result)
    assert (error.row, error.column) == (3, column)
    assert words in error.message
    assert result.rows[1].action == ERROR
    with pytest.raises(services.ImportFailed):
        commit(org_a, data)
    assert Cadre.objects.count() == 0


@pytest.mark.django_db
def test_the_same_id_twice_is_an_error_on_both_rows(org_a, tree):
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(1), name="张三")])
    result = run(org_a, data)
    assert {(p.row, p.column) for p in result.errors} == {
        (2, "身份证号"),
        (3, "身份证号"),
    }


@pytest.mark.django_db
def test_an_ambiguous_unit_asks_for_its_parent(org_a, tree):
    from tests.factories import UnitFactory

    UnitFactory(name="财政局", kind="organ", parent=tree.county_a)
    UnitFactory(name="财政局", kind="organ", parent=tree.township_a1)
    result = run(org_a, xlsx([cadre_row(id_for(1), unit="财政局")]))
    error = only_error(result)
    assert error.column == "工作单位" and "上级单位/单位名称" in error.message
    fixed = xlsx([cadre_row(id_for(1), unit="甲县/财政局")])
    assert run(org_a, fixed).errors == []
    also = xlsx([cadre_row(id_for(1), unit="财政局（甲一镇）")])
    assert run(org_a, also).errors == []


@pytest.mark.django_db
def test_an_unknown_unit_is_mapped_once_for_every_row(org_a, tree):
    data = xlsx(
        [cadre_row(id_for(1), unit="县财政"), cadre_row(id_for(2), unit="县财政")]
    )
    result = run(org_a, data)
    assert list(result.unknown_units) == ["县财政"]
    assert len(result.errors) == 2
    mapping = {"县财政": tree.organ_a.pk}
    from imports.parsing import key

    mapped = run(org_a, data, mapping={key(k): v for k, v in mapping.items()})
    assert mapped.errors == []
    # A mapping to a unit out of scope does not count.
    outside = run(org_a, data, mapping={key("县财政"): tree.organ_b.pk})
    assert len(outside.errors) == 2


@pytest.mark.django_db
def test_a_cadre_registered_out_of_scope_is_refused(org_a, tree):
    from tests.factories import CadreFactory

    CadreFactory(id_number=id_for(1), unit=tree.organ_b)
    error = only_error(run(org_a, xlsx([cadre_row(id_for(1))])))
    assert (error.row, error.column) == (2, "身份证号")
    assert Cadre.objects.get().unit == tree.organ_b


@pytest.mark.django_db
def test_gbk_csv_and_the_template_with_its_note_row(org_a, tree):
    row = cadre_row(id_for(1))
    result = run(org_a, csv_bytes([row]), name="干部.csv")
    assert result.errors == [] and len(result.rows) == 1
    utf8 = csv_bytes([row], encoding="utf-8-sig")
    assert run(org_a, utf8, name="wps.csv").errors == []
    assert run(org_a, template_with([row], "cadres")).errors == []


@pytest.mark.django_db
def test_headers_with_spaces_full_width_and_a_title_row(org_a, tree):
    from imports.spec import SPECS

    headers = [f" {h}\n" for h in SPECS["cadres"].headers]
    headers[0] = "姓　名*"
    data = xlsx([cadre_row(id_for(1))], headers=headers, title="甲县干部名册")
    assert run(org_a, data).errors == []


@pytest.mark.django_db
def test_a_missing_or_unknown_column_is_one_error_for_the_file(org_a, tree):
    from imports.spec import SPECS

    headers = [h for h in SPECS["cadres"].headers if h != "职级"] + ["密码"]
    result = run(org_a, xlsx([["张伟"]], headers=headers))
    assert {p.row for p in result.errors} == {0}
    messages = " ".join(p.message for p in result.errors)
    assert "密码" in messages and "职级" in messages
    assert result.rows == []


@pytest.mark.django_db
def test_optional_columns_rank_since_and_leadership(org_a, tree):
    from imports.spec import SPECS

    headers = SPECS["cadres"].headers  # with the two optional columns
    row = cadre_row(id_for(1)) + ["2021年3月", "是"]
    commit(org_a, xlsx([row], headers=headers))
    cadre = Cadre.objects.get()
    assert cadre.rank_since == dt.date(2021, 3, 1) and cadre.is_leader


@pytest.mark.django_db
def test_validation_reads_the_database_a_fixed_number_of_times(org_a, tree):
    run(org_a, xlsx([cadre_row(id_for(0))]))  # the settings, read once
    few = xlsx([cadre_row(id_for(n)) for n in range(5)])
    many = xlsx([cadre_row(id_for(n)) for n in range(200)])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        run(org_a, few)
    with CaptureQueriesContext(connection) as large:
        run(org_a, many)
    assert len(small) == len(large)
