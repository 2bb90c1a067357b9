"""One column spec per kind of import: the template and the validator are both
built from it (the headers in order, which are required, the note row of
allowed values and examples), so that they cannot disagree.

Choices are accepted by the product's own label and by the common names
organisation departments use (the aliases below, listed in the note row).
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cadres.models import (
    Education,
    Gender,
    PoliticalStatus,
    Rank,
    Role,
    Unit,
    UnitLevel,
)
from postings.models import PostCategory, Posting

from .parsing import key


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = False  # the value must be filled in
    # Allowed values and an example, for the template's note row.
    note: str | Promise = ""
    optional_column: bool = False  # the column itself may be left out
    width: float = 14


@dataclass(frozen=True)
class Spec:
    kind: str
    label: str | Promise
    columns: tuple[Column, ...]
    key_note: str | Promise  # how a row finds the record it updates

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


def aliases(choices, extra: dict[str, object] | None = None) -> dict[str, str]:
    """Label -> stored value for each choice, then the extra names; all keys
    as parsing.key() reads a cell, the stored values (English) too."""
    found = {key(str(label)): str(value) for value, label in choices}
    for name, value in (extra or {}).items():
        found[key(name)] = str(value)
    for value, _label in choices:
        found.setdefault(str(value).upper(), str(value))
    return found


UNIT_KINDS = aliases(
    Unit.Kind.choices,
    {
        "地区": Unit.Kind.REGION,
        "行政区": Unit.Kind.REGION,
        "党政机关": Unit.Kind.ORGAN,
        "机关单位": Unit.Kind.ORGAN,
        "行政机关": Unit.Kind.ORGAN,
        "事业": Unit.Kind.INSTITUTION,
        "国有企业": Unit.Kind.ENTERPRISE,
        "国企": Unit.Kind.ENTERPRISE,
        "乡": Unit.Kind.TOWNSHIP,
        "镇": Unit.Kind.TOWNSHIP,
        "街道": Unit.Kind.TOWNSHIP,
        "村": Unit.Kind.VILLAGE,
        "社区": Unit.Kind.VILLAGE,
        "村(社区)": Unit.Kind.VILLAGE,
    },
)
LEVELS = aliases(
    UnitLevel.choices,
    {
        "省": UnitLevel.PROVINCE,
        "市": UnitLevel.CITY,
        "县": UnitLevel.COUNTY,
        "区县": UnitLevel.COUNTY,
        "乡": UnitLevel.TOWNSHIP,
        "镇": UnitLevel.TOWNSHIP,
        "乡镇": UnitLevel.TOWNSHIP,
        "村": UnitLevel.VILLAGE,
    },
)
GENDERS = aliases(Gender.choices, {"男性": Gender.MALE, "女性": Gender.FEMALE})
RANKS = aliases(
    Rank.choices,
    {
        "科员级": Rank.CLERK,
        "一级科员": Rank.CLERK,
        "二级科员": Rank.CLERK,
        "副科级": Rank.DEPUTY_SECTION,
        "正科级": Rank.SECTION,
        "副处级": Rank.DEPUTY_DIVISION,
        "正处级": Rank.DIVISION,
        "副县级": Rank.DEPUTY_DIVISION,
        "正县级": Rank.DIVISION,
        "副厅级": Rank.DEPUTY_BUREAU,
        "正厅级": Rank.BUREAU,
    },
)
POLITICAL = aliases(
    PoliticalStatus.choices,
    {
        "党员": PoliticalStatus.CPC_MEMBER,
        "中国共产党党员": PoliticalStatus.CPC_MEMBER,
        "预备党员": PoliticalStatus.CPC_PROBATIONARY,
        "团员": PoliticalStatus.LEAGUE_MEMBER,
        "民革": PoliticalStatus.DEMOCRATIC_PARTY,
        "民盟": PoliticalStatus.DEMOCRATIC_PARTY,
        "民建": PoliticalStatus.DEMOCRATIC_PARTY,
        "民进": PoliticalStatus.DEMOCRATIC_PARTY,
        "农工党": PoliticalStatus.DEMOCRATIC_PARTY,
        "致公党": PoliticalStatus.DEMOCRATIC_PARTY,
        "九三学社": PoliticalStatus.DEMOCRATIC_PARTY,
        "台盟": PoliticalStatus.DEMOCRATIC_PARTY,
        "无党派": PoliticalStatus.INDEPENDENT,
    },
)
EDUCATION = aliases(
    Education.choices,
    {
        "博士": Education.DOCTORATE,
        "研究生": Education.MASTER,
        "硕士": Education.MASTER,
        "本科": Education.BACHELOR,
        "大学": Education.BACHELOR,
        "专科": Education.COLLEGE,
        "大专": Education.COLLEGE,
        "中专": Education.SECONDARY,
        "中技": Education.SECONDARY,
        "高中": Education.HIGH_SCHOOL,
        "初中": Education.HIGH_SCHOOL,
    },
)
POSTING_KINDS = aliases(
    Posting.Kind.choices,
    {
        "外派挂职": Posting.Kind.OUTWARD,
        "下派挂职": Posting.Kind.DOWNWARD,
        "上派挂职": Posting.Kind.UPWARD,
        "下挂": Posting.Kind.DOWNWARD,
        "上挂": Posting.Kind.UPWARD,
        "跟班学习": Posting.Kind.UPWARD,
    },
)
CATEGORIES = aliases(PostCategory.choices)
STATUSES = aliases(
    [
        (s.value, s.label)
        for s in (
            Posting.Status.PROPOSED,
            Posting.Status.ACTIVE,
            Posting.Status.COMPLETED,
            Posting.Status.ENDED_EARLY,
        )
    ],
    {
        "拟派": Posting.Status.PROPOSED,
        "在岗": Posting.Status.ACTIVE,
        "期满": Posting.Status.COMPLETED,
        "提前结束": Posting.Status.ENDED_EARLY,
        "召回": Posting.Status.ENDED_EARLY,
    },
)
ROLES = aliases(
    Role.choices,
    {
        "组织部": Role.ORG_STAFF,
        "组织部干部": Role.ORG_STAFF,
        "接收单位": Role.HOST_LEADER,
        "帮带领导": Role.HOST_LEADER,
        "派出单位": Role.HOME_CONTACT,
        "联系人": Role.HOME_CONTACT,
        "干部": Role.CADRE,
        "管理员": Role.ADMIN,
    },
)


def listed(names: dict[str, str]) -> str:
    return "、".join(k for k in names if not k.isascii())


YES_NO = _("是/否（也可 Y/N、√/×）")
DATE = _("如 2023-05-01、2023/5/1、2023.5.1、2023年5月1日")
UNIT_NOTE = _("已有单位的名称；重名时写“上级单位/单位名称”，如 甲县/财政局")


def joined(*parts) -> Promise:
    """Notes put together when the template is built, each translated."""
    return format_lazy("{}" * len(parts), *parts)


SPECS = {
    "units": Spec(
        "units",
        _("单位"),
        (
            Column("单位名称", True, _("如 甲县财政局"), width=20),
            Column(
                "上级单位", False, _("已有单位或本表前面各行的单位；顶层留空"), width=20
            ),
            Column("单位类别", True, listed(UNIT_KINDS)),
            Column("层级", False, _("省/市/县/乡/村，仅用于核对上级单位，不保存")),
            Column("距市区公里数", False, _("整数，如 35")),
            Column("是否实权部门", False, YES_NO),
        ),
        _("同一上级单位下的同名单位"),
    ),
    "cadres": Spec(
        "cadres",
        _("干部"),
        (
            Column("姓名", True, _("如 张伟、阿不都·热合曼")),
            Column("性别", False, _("男/女；留空按身份证号")),
            Column(
                "身份证号",
                True,
                _("18位（15位旧号自动升位），请设为文本格式"),
                width=22,
            ),
            Column("出生日期", False, joined(_("留空按身份证号；"), DATE)),
            Column("民族", False, _("如 汉族")),
            Column("政治面貌", False, listed(POLITICAL)),
            Column("学历", False, listed(EDUCATION)),
            Column("专业", False, _("如 农业经济管理")),
            Column("工作单位", True, UNIT_NOTE, width=20),
            Column("现任职务", False, _("如 办公室主任")),
            Column("职级", True, listed(RANKS)),
            Column("任现职时间", False, joined(DATE, _("，也可 2023.05、202305"))),
            Column("是否后备干部", False, YES_NO),
            Column("联系电话", False, _("如 13800000000")),
            Column("任现职级时间", False, DATE, optional_column=True),
            Column("是否领导职务", False, YES_NO, optional_column=True),
        ),
        "身份证号",
    ),
    "postings": Spec(
        "postings",
        _("挂职"),
        (
            Column("身份证号", True, _("已登记干部的身份证号"), width=22),
            Column("姓名", True, _("与身份证号对应的干部姓名")),
            Column("挂职类型", True, listed(POSTING_KINDS)),
            Column(
                "派出单位",
                True,
                joined(_("本部门管辖范围内的单位；"), UNIT_NOTE),
                width=20,
            ),
            Column("接收单位", True, UNIT_NOTE, width=20),
            Column("挂任职务", True, _("如 乡镇长助理、第一书记")),
            Column("开始日期", True, DATE),
            Column("结束日期", False, joined(_("留空按岗位类别的默认期限；"), DATE)),
            Column("批次", False, _("已有批次的名称；新名称将在导入时创建批次")),
            Column("岗位类别", False, listed(CATEGORIES), optional_column=True),
            Column("挂任职级", False, listed(RANKS), optional_column=True),
            Column(
                "状态",
                False,
                _("拟派（默认）/在岗/期满/提前结束"),
                optional_column=True,
            ),
            Column(
                "实际结束日期",
                False,
                joined(_("期满、提前结束时必填；"), DATE),
                optional_column=True,
            ),
            Column("结束原因", False, _("提前结束时必填"), optional_column=True),
        ),
        "身份证号 + 接收单位 + 开始日期",
    ),
    "users": Spec(
        "users",
        _("用户"),
        (
            Column("用户名", True, _("字母、数字和 @.+-_，如 zhangwei")),
            Column("姓名", True, _("如 张伟")),
            Column("角色", True, listed(ROLES)),
            Column(
                "所属单位",
                False,
                joined(_("挂职干部以外的角色必填；"), UNIT_NOTE),
                width=20,
            ),
            Column("电子邮箱", False, _("如 zhangwei@example.gov.cn"), width=22),
            Column("干部身份证号", False, _("挂职干部账号必填"), width=22),
        ),
        "用户名",
    ),
}
