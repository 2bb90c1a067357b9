"""Demo data for `manage.py seed_demo`.

A fictional province (江南省) with one city (江州市) and two counties, a
developed coastal region (沿海市) for outward postings, about 200 cadres,
about 80 postings of every kind and status, monthly notes, one login per role
and the mid-term reminders that follow from them.

Every random choice comes from one seeded generator; dates are relative to
today so that active postings are current and reminders are due.
"""

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from cadres import idcard
from cadres.models import Cadre, Rank, Role, Unit, User
from cadres.passwords import DEMO_PASSWORD
from cadres.services import unit_create
from guazhi.dates import add_months, month_days
from postings.models import (
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
    guess_category,
)
from postings.services import reminders_sweep_midterm
from records.models import MonthlyNote

from .demo_dossier import build_dossier

SEED = 20261121
# Public (printed by `make run`): cadres.passwords refuses it in production.
PASSWORD = DEMO_PASSWORD
MARKER_UNIT = "江南省"

# (username, role) of the demo logins, in the order they are printed.
DEMO_ACCOUNTS = [
    ("admin", Role.ADMIN),
    ("zuzhibu", Role.ORG_STAFF),
    ("qinghe_zzb", Role.ORG_STAFF),
    ("jieshou", Role.HOST_LEADER),
    ("paichu", Role.HOME_CONTACT),
    ("ganbu", Role.CADRE),
]

K = Unit.Kind
KIND = Posting.Kind
STATUS = Posting.Status

# --- The organisation tree ---------------------------------------------------

PROVINCE_ORGANS = [
    ("江南省委组织部", True),
    ("江南省发改委", True),
    ("江南省农业农村厅", False),
]
CITY_CODE = "320502"
CITY_ORGANS = [
    ("江州市委组织部", True),
    ("江州市发改委", True),
    ("江州市财政局", True),
    ("江州市人社局", True),
    ("江州市自然资源和规划局", True),
    ("江州市住建局", True),
    ("江州市农业农村局", False),
    ("江州市教育局", False),
    ("江州市商务局", False),
    ("江州市卫健委", False),
]
CITY_INSTITUTIONS = ["江州市农业科学研究院", "江州市规划设计研究院"]
CITY_ENTERPRISES = ["江州城投集团有限公司", "江州纺织机械厂"]
COUNTIES = [
    {
        "name": "清河县",
        "code": "320521",
        "gov": "清河县人民政府",
        "organs": [
            ("清河县委组织部", True),
            ("清河县财政局", True),
            ("清河县发改局", True),
            ("清河县农业农村局", False),
            ("清河县教育局", False),
        ],
        "institutions": ["清河县农业技术推广中心"],
        "townships": [
            ("白沙镇", 18, ["白沙村", "渔湾村", "新桥村"]),
            ("河口镇", 27, ["河口村", "东湖村"]),
            ("桃源乡", 46, ["桃源村", "杏花村"]),
            ("石门镇", 63, ["石门村", "龙潭村", "上坪村"]),
        ],
    },
    {
        "name": "临江区",
        "code": "320506",
        "gov": "临江区人民政府",
        "organs": [
            ("临江区委组织部", True),
            ("临江区财政局", True),
            ("临江区农业农村局", False),
            ("临江区商务局", False),
        ],
        "institutions": [],
        "townships": [
            ("江口镇", 9, ["江口村", "芦洲村"]),
            ("新港镇", 22, ["新港村", "沙湾村", "永丰村"]),
            ("凤凰乡", 71, ["凤凰村", "青山村"]),
        ],
    },
]
OUTWARD_ORGANS = ["浦阳区发改局", "浦阳区商务局", "浦阳经济技术开发区管委会"]
OUTWARD_ENTERPRISES = ["浦阳精密机械厂", "沿海港航集团有限公司"]

# Units the demo logins belong to.
HOST_TOWNSHIP = "白沙镇"
HOST_VILLAGE = "渔湾村"
HOME_ORGAN = "江州市农业农村局"

# --- People ------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
    "袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦"
    "邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_CHARS = (
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国"
    "志峰海东晨文博立新宏亮成正清振兴德润泽瑞永"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲燕萍红琳雪慧颖倩婷洁晶琴云莉兰凤梅蕾薇嘉欣怡悦佳雯"
    "丹璐晓玉青宁月"
)
SPECIALITIES = [
    "农业",
    "经济",
    "法律",
    "规划",
    "财务",
    "教育",
    "信息化",
    "工程建设",
    "社会治理",
    "医疗卫生",
    "文化旅游",
    "生态环保",
]
SPECIALITY_BIAS = {
    "农业": "农业",
    "财政": "财务",
    "教育": "教育",
    "规划": "规划",
    "发改": "经济",
    "商务": "经济",
    "住建": "工程建设",
    "卫健": "医疗卫生",
    "人社": "法律",
    "城投": "财务",
    "机械": "工程建设",
}
SECTIONS = ["办公室", "综合科", "规划科", "财务科", "政策法规科", "人事科", "项目科"]
RANK_WEIGHTS = {
    Rank.CLERK: 35,
    Rank.DEPUTY_SECTION: 30,
    Rank.SECTION: 25,
    Rank.DEPUTY_DIVISION: 10,
}
TOWNSHIP_RANK_WEIGHTS = {Rank.CLERK: 60, Rank.DEPUTY_SECTION: 35, Rank.SECTION: 5}
AGE_RANGE = {
    Rank.CLERK: (24, 34),
    Rank.DEPUTY_SECTION: (29, 42),
    Rank.SECTION: (33, 50),
    Rank.DEPUTY_DIVISION: (38, 55),
}
RESERVE_CHANCE = {
    Rank.CLERK: 0.1,
    Rank.DEPUTY_SECTION: 0.3,
    Rank.SECTION: 0.3,
    Rank.DEPUTY_DIVISION: 0.15,
}
CADRE_COUNT = 200

# --- Postings ----------------------------------------------------------------

# (kind, status) -> how many random postings, on top of the fixed ones below.
POSTING_PLAN = {
    KIND.DOWNWARD: {
        STATUS.ACTIVE: 19,
        STATUS.COMPLETED: 11,
        STATUS.ENDED_EARLY: 3,
        STATUS.WITHDRAWN: 1,
    },
    KIND.UPWARD: {
        STATUS.PROPOSED: 3,
        STATUS.ACTIVE: 6,
        STATUS.COMPLETED: 5,
        STATUS.ENDED_EARLY: 2,
        STATUS.WITHDRAWN: 1,
    },
    KIND.OUTWARD: {
        STATUS.PROPOSED: 3,
        STATUS.ACTIVE: 6,
        STATUS.COMPLETED: 5,
        STATUS.ENDED_EARLY: 2,
        STATUS.WITHDRAWN: 1,
    },
}
DOWNWARD_PROPOSED = 7
# Random active postings whose mid-term falls within the reminder window.
EXTRA_NEAR_MIDTERM = 4

WORK_RURAL = [
    "牵头推进高标准农田建设项目，完成{n}亩土地平整验收",
    "走访农户{n}户，建立困难群众帮扶台账",
    "协调村集体经济增收项目，落实扶持资金{n}万元",
    "参与人居环境整治，督促整改问题{k}个",
    "组织特色农产品直播带货{k}场，销售额{n}万元",
    "参加防汛备汛值班，排查隐患点{k}处",
    "协助调处土地流转纠纷{k}起",
    "推动乡村振兴示范点规划编制，召开村民议事会{k}次",
]
WORK_ORGAN = [
    "参与起草年度重点工作方案{k}份",
    "跟班学习项目审批流程，参与审核项目{k}个",
    "完成专题调研{k}次，形成调研报告初稿",
    "协助组织全市业务培训班{k}期",
    "参与财政资金绩效评价，核查项目{k}个",
    "承担政策文件合法性审查{k}件",
]
WORK_ENTERPRISE = [
    "参与生产管理例会{k}次，学习精益生产经验",
    "对接招商项目{k}个，跟进签约{n}万元",
    "参与市场拓展方案制定，走访客户{k}家",
    "学习企业质量管理体系，提出改进建议{k}条",
]
CONDUCT = [
    "遵守工作纪律，按时到岗，作风扎实。",
    "严格执行请销假制度，无违规违纪情况。",
    "深入基层一线，与群众打成一片，作风务实。",
    "服从工作安排，积极主动，廉洁自律。",
    "吃住在镇村，能够沉下身子干事。",
]
COMMENTS = [
    "工作认真负责，进入角色快。",
    "表现良好，希望继续保持。",
    "能吃苦、肯钻研，群众反映好。",
    "建议进一步加强与基层群众的沟通。",
    "业务上手快，建议多承担牵头性工作。",
    "",
]


def weekdays_in(month: dt.date) -> int:
    days = month_days(month)
    return sum(1 for d in range(1, days + 1) if month.replace(day=d).weekday() < 5)


@dataclass
class UnitInfo:
    """What the generator needs to know about a unit beyond the model."""

    unit: Unit
    level: str  # province, city, county, outward
    role: str  # organ, institution, enterprise, gov, township, village, region
    county: Unit | None = None
    code: str = CITY_CODE
    leaders: list[User] = field(default_factory=list)


def demo_exists() -> bool:
    return (
        Unit.objects.filter(name=MARKER_UNIT, parent=None).exists()
        or User.objects.filter(username="zuzhibu").exists()
    )


def reset_demo_passwords() -> None:
    for username, _role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is not None:
            user.set_password(PASSWORD)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])


def login_rows() -> list[tuple[str, str, str, str]]:
    """(角色, 用户名, 密码, 单位) of the demo logins that exist."""
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[name for name, _ in DEMO_ACCOUNTS]
        ).select_related("unit")
    }
    rows = []
    for username, _role in DEMO_ACCOUNTS:
        user = users.get(username)
        if user is None:
            continue
        unit = user.unit.name if user.unit else "（全部）"
        rows.append((str(Role(user.role).label), username, PASSWORD, unit))
    return rows


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table that stays aligned with Chinese (double-width) text."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    cols = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = (c + " " * (w - width(c)) for c, w in zip(row, cols, strict=True))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in cols)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


class DemoBuilder:
    def __init__(self, *, today: dt.date | None = None, seed: int = SEED):
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.info: dict[int, UnitInfo] = {}
        self.by_name: dict[str, Unit] = {}
        self.used_names: set[str] = set()
        self.used_ids: set[str] = set()
        self.leader_count = 0

    # --- units -------------------------------------------------------------

    def _unit(self, name, kind, parent, *, level, role, county=None, **fields):
        unit = unit_create(name=name, kind=kind, parent=parent, **fields)
        code = self.info[county.pk].code if county is not None else CITY_CODE
        self.info[unit.pk] = UnitInfo(unit, level, role, county, code)
        self.by_name[name] = unit
        return unit

    def build_units(self) -> None:
        province = self._unit(
            MARKER_UNIT, K.REGION, None, level="province", role="region"
        )
        for name, power in PROVINCE_ORGANS:
            self._unit(
                name,
                K.ORGAN,
                province,
                level="province",
                role="organ",
                is_power_department=power,
            )
        self.city = city = self._unit(
            "江州市", K.REGION, province, level="city", role="region"
        )
        for name, power in CITY_ORGANS:
            self._unit(
                name,
                K.ORGAN,
                city,
                level="city",
                role="organ",
                is_power_department=power,
            )
        for name in CITY_INSTITUTIONS:
            self._unit(name, K.INSTITUTION, city, level="city", role="institution")
        for name in CITY_ENTERPRISES:
            self._unit(name, K.ENTERPRISE, city, level="city", role="enterprise")
        for spec in COUNTIES:
            county = self._unit(
                spec["name"], K.REGION, city, level="county", role="region"
            )
            self.info[county.pk].code = spec["code"]
            self._unit(
                spec["gov"],
                K.ORGAN,
                county,
                level="county",
                role="gov",
                county=county,
                is_power_department=True,
            )
            for name, power in spec["organs"]:
                self._unit(
                    name,
                    K.ORGAN,
                    county,
                    level="county",
                    role="organ",
                    county=county,
                    is_power_department=power,
                )
            for name in spec["institutions"]:
                self._unit(
                    name,
                    K.INSTITUTION,
                    county,
                    level="county",
                    role="institution",
                    county=county,
                )
            for name, km, villages in spec["townships"]:
                township = self._unit(
                    name,
                    K.TOWNSHIP,
                    county,
                    level="county",
                    role="township",
                    county=county,
                    distance_km=km,
                )
                for village in villages:
                    self._unit(
                        village,
                        K.VILLAGE,
                        township,
                        level="county",
                        role="village",
                        county=county,
                        distance_km=min(80, km + self.rng.randint(2, 9)),
                    )
        coast = self._unit("沿海市", K.REGION, None, level="outward", role="region")
        district = self._unit(
            "沿海市浦阳区", K.REGION, coast, level="outward", role="region"
        )
        for name in OUTWARD_ORGANS:
            self._unit(name, K.ORGAN, district, level="outward", role="organ")
        self._unit(
            OUTWARD_ENTERPRISES[0],
            K.ENTERPRISE,
            district,
            level="outward",
            role="enterprise",
        )
        self._unit(
            OUTWARD_ENTERPRISES[1],
            K.ENTERPRISE,
            coast,
            level="outward",
            role="enterprise",
        )

    def units_where(self, **criteria) -> list[UnitInfo]:
        return [
            i
            for i in self.info.values()
            if all(getattr(i, k) == v for k, v in criteria.items())
        ]

    # --- people ------------------------------------------------------------

    def person_name(self, gender: str) -> str:
        chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
        while True:
            given = "".join(
                self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2)))
            )
            name = self.rng.choice(SURNAMES) + given
            if len(set(given)) == len(given) and name not in self.used_names:
                self.used_names.add(name)
                return name

    def _id_number(self, code: str, birth: dt.date, gender: str) -> str:
        while True:
            number = idcard.make(code, birth, self.rng.randint(0, 499), gender)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _phone(self) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(9))
        return "1" + self.rng.choice("3589") + digits

    def _position(self, info: UnitInfo, rank: int) -> str:
        name = info.unit.name
        section = self.rng.choice(SECTIONS)
        if info.role == "township":
            head = "乡" if name.endswith("乡") else "镇"
            return {
                Rank.CLERK: self.rng.choice(["党政办科员", "经济发展办科员"]),
                Rank.DEPUTY_SECTION: f"党委委员、副{head}长",
                Rank.SECTION: "人大主席",
            }[rank]
        if info.role == "institution":
            return {
                Rank.CLERK: self.rng.choice(["助理研究员", "技术员"]),
                Rank.DEPUTY_SECTION: "科研管理科副科长",
                Rank.SECTION: self.rng.choice(["研究所所长", "技术推广站站长"]),
                Rank.DEPUTY_DIVISION: "副院长",
            }[rank]
        if info.role == "enterprise":
            return {
                Rank.CLERK: "业务主管",
                Rank.DEPUTY_SECTION: "部门副经理",
                Rank.SECTION: "部门经理",
                Rank.DEPUTY_DIVISION: "副总经理",
            }[rank]
        if info.role == "gov":
            return {
                Rank.CLERK: "办公室科员",
                Rank.DEPUTY_SECTION: "办公室副主任",
                Rank.SECTION: "办公室主任",
                Rank.DEPUTY_DIVISION: "党组成员",
            }[rank]
        if name.endswith("组织部"):
            deputy = "副部长"
        elif name.endswith("委"):
            deputy = "副主任"
        else:
            deputy = "副局长"
        return {
            Rank.CLERK: self.rng.choice(["科员", "一级科员"]),
            Rank.DEPUTY_SECTION: f"{section}副科长",
            Rank.SECTION: f"{section}科长",
            Rank.DEPUTY_DIVISION: deputy,
        }[rank]

    def _speciality(self, unit: Unit) -> str:
        for key, speciality in SPECIALITY_BIAS.items():
            if key in unit.name and self.rng.random() < 0.6:
                return speciality
        return self.rng.choice(SPECIALITIES)

    def _home_quota(self) -> list[UnitInfo]:
        """One entry per cadre: the home unit, spread over the organs."""
        homes: list[UnitInfo] = []
        for info in self.info.values():
            if info.level not in ("city", "county") or info.role in (
                "region",
                "village",
            ):
                continue
            quota = {
                "organ": 8 if info.level == "city" else 5,
                "institution": 6 if info.level == "city" else 4,
                "enterprise": 5,
                "gov": 3,
                "township": 3,
            }[info.role]
            if info.unit.name == HOME_ORGAN:
                quota = 14
            homes.extend([info] * quota)
        organs = [
            i for i in self.info.values() if i.role == "organ" and i.level != "outward"
        ]
        organs = [i for i in organs if i.level != "province"]
        while len(homes) < CADRE_COUNT:
            homes.append(self.rng.choice(organs))
        return homes[:CADRE_COUNT]

    def build_cadres(self) -> None:
        cadres = []
        for info in self._home_quota():
            weights = TOWNSHIP_RANK_WEIGHTS if info.role == "township" else RANK_WEIGHTS
            rank = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            gender = "M" if self.rng.random() < 0.62 else "F"
            low, high = AGE_RANGE[rank]
            birth = dt.date(
                self.today.year - self.rng.randint(low, high),
                self.rng.randint(1, 12),
                self.rng.randint(1, 28),
            )
            # Most were born in the county or city they work in.
            code = (
                info.code
                if self.rng.random() < 0.7
                else self.rng.choice([CITY_CODE, *(c["code"] for c in COUNTIES)])
            )
            cadres.append(
                Cadre(
                    name=self.person_name(gender),
                    id_number=self._id_number(code, birth, gender),
                    gender=gender,
                    birth_date=birth,
                    unit=info.unit,
                    position=self._position(info, rank),
                    rank=rank,
                    is_reserve=self.rng.random() < RESERVE_CHANCE[rank],
                    speciality=self._speciality(info.unit),
                    phone=self._phone(),
                )
            )
        self.cadres = Cadre.objects.bulk_create(cadres)
        self.free = list(self.cadres)  # not yet on any posting

    # --- accounts ----------------------------------------------------------

    def account(self, username: str, role: str, unit: Unit | None, **fields) -> User:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.role, user.unit, user.is_active = role, unit, True
        user.cadre = fields.pop("cadre", None)
        if "name" in fields:
            name = fields.pop("name")
            user.last_name, user.first_name = name[0], name[1:]
        for key, value in fields.items():
            setattr(user, key, value)
        user.set_password(PASSWORD)
        user.save()
        return user

    def build_staff_accounts(self) -> None:
        self.admin = self.account(
            "admin",
            Role.ADMIN,
            None,
            is_staff=True,
            is_superuser=True,
            name="管理员",
            email="admin@example.com",
        )
        self.zuzhibu = self.account(
            "zuzhibu", Role.ORG_STAFF, self.city, name=self.person_name("F")
        )
        self.qinghe_zzb = self.account(
            "qinghe_zzb",
            Role.ORG_STAFF,
            self.by_name["清河县"],
            name=self.person_name("M"),
        )
        host = self.by_name[HOST_TOWNSHIP]
        self.jieshou = self.account(
            "jieshou", Role.HOST_LEADER, host, name=self.person_name("M")
        )
        self.info[host.pk].leaders.append(self.jieshou)
        self.paichu = self.account(
            "paichu",
            Role.HOME_CONTACT,
            self.by_name[HOME_ORGAN],
            name=self.person_name("F"),
        )

    def ensure_leader(self, unit: Unit) -> User:
        info = self.info[unit.pk]
        if not info.leaders:
            self.leader_count += 1
            gender = "M" if self.rng.random() < 0.7 else "F"
            name = self.person_name(gender)
            info.leaders.append(
                User(
                    username=f"leader{self.leader_count:03d}",
                    role=Role.HOST_LEADER,
                    unit=unit,
                    last_name=name[0],
                    first_name=name[1:],
                    password=make_password(None),
                )
            )
        return info.leaders[0]

    # --- postings ----------------------------------------------------------

    def _term_dates(self, status: str, months: int, *, near: bool = False):
        today, rng = self.today, self.rng
        day = dt.timedelta(days=1)
        if status in (STATUS.PROPOSED, STATUS.WITHDRAWN):
            start = today + rng.randint(10, 75) * day
        elif status == STATUS.ACTIVE and near:
            want = today + rng.randint(2, 11) * day
            guess = want - (add_months(want, months) - want) / 2
            candidates = [guess + d * day for d in range(-25, 26)]
            start = min(
                candidates,
                key=lambda s: abs((s + (add_months(s, months) - s) / 2 - want).days),
            )
        elif status == STATUS.ACTIVE:
            length = (add_months(today, months) - today).days
            start = today - rng.randint(15, length - 20) * day
        elif status == STATUS.COMPLETED:
            end = today - rng.randint(5, 540) * day
            start = add_months(end, -months)
        else:  # ended early: started, then recalled before the planned end
            start = today - rng.randint(60, 320) * day
        return start, add_months(start, months)

    def _receivers(self, cadre: Cadre, kind: str) -> list[tuple[UnitInfo, int]]:
        """(receiving unit, weight) that fit the cadre's home unit and the kind."""
        home = self.info[cadre.unit_id]
        rank = cadre.rank
        options: list[tuple[UnitInfo, int]] = []
        if kind == KIND.DOWNWARD:
            scope = self.units_where(level="county")
            if home.level == "county":
                scope = [i for i in scope if i.county == home.county]
            for i in scope:
                if i.role == "township":
                    options.append((i, 6))
                elif i.role == "village" and rank <= Rank.SECTION:
                    # 第一书记 is a section-level post (rule 3).
                    options.append((i, 4))
                elif i.role == "gov" and home.level == "city" and rank >= Rank.SECTION:
                    options.append((i, 8))
        elif kind == KIND.UPWARD:
            if home.role == "township":
                options += [
                    (i, 3) for i in self.units_where(role="organ", county=home.county)
                ]
                options += [
                    (i, 2) for i in self.units_where(role="organ", level="city")
                ]
            elif home.level == "county":
                options += [
                    (i, 1) for i in self.units_where(role="organ", level="city")
                ]
            else:
                options += [
                    (i, 1) for i in self.units_where(level="province", role="organ")
                ]
            options = [(i, w) for i, w in options if not i.unit.name.endswith("组织部")]
        else:
            role = "enterprise" if home.role == "enterprise" else None
            for i in self.units_where(level="outward"):
                if i.role != "region" and (role is None or i.role == role):
                    options.append((i, 1))
        return [(i, w) for i, w in options if i.unit.pk != cadre.unit_id]

    def _title_and_months(self, info: UnitInfo, cadre: Cadre) -> tuple[str, int]:
        name, rank, rng = info.unit.name, cadre.rank, self.rng
        if info.role == "township":
            head = "乡长助理" if name.endswith("乡") else "镇长助理"
            titles = [head, "党委副书记"] if rank >= Rank.DEPUTY_SECTION else [head]
            return rng.choice(titles), 12
        if info.role == "village":
            return "第一书记", rng.choice((12, 12, 24))
        if info.role == "gov":
            return ("区长助理" if name.startswith("临江区") else "县长助理"), 12
        if info.role == "enterprise":
            return ("厂长助理" if name.endswith("厂") else "总经理助理"), 6
        if info.level == "province":
            return ("处长助理" if rank >= Rank.SECTION else "跟班学习"), 6
        assistant = "主任助理" if name.endswith(("委", "管委会")) else "局长助理"
        if info.level == "outward":
            return assistant, rng.choice((6, 12))
        if rank == Rank.CLERK:
            return "跟班学习", 6
        return rng.choice([assistant, assistant, "副科长"]), 6

    def _pick_cadre(self, kind: str, home_unit: Unit | None = None) -> Cadre:
        def eligible(c: Cadre) -> bool:
            home = self.info[c.unit_id]
            if home_unit is not None:
                return c.unit_id == home_unit.pk
            if kind == KIND.DOWNWARD:
                return home.role not in ("township",)
            if kind == KIND.UPWARD:
                return (
                    home.role in ("organ", "gov", "township") or home.level == "county"
                )
            return home.role in ("organ", "gov", "enterprise")

        pool = [c for c in self.free if eligible(c)]
        # The reserve pool comes first (rule 11); section-level cadres preferred.
        weights = [(4 if c.is_reserve else 1) * (2 if c.rank >= 2 else 1) for c in pool]
        cadre = self.rng.choices(pool, weights=weights)[0]
        self.free.remove(cadre)
        return cadre

    def _posting(
        self, kind, status, cadre, receiver, title=None, months=None, near=False
    ):
        if title is None:
            title, months = self._title_and_months(self.info[receiver.pk], cadre)
        start, end = self._term_dates(status, months, near=near)
        sending = self.info[cadre.unit_id]
        recv = self.info[receiver.pk]
        qinghe = self.by_name["清河县"]
        by = (
            self.qinghe_zzb
            if sending.county == qinghe and recv.county == qinghe
            else self.zuzhibu
        )
        ended_on, end_reason = None, ""
        if status == STATUS.COMPLETED:
            ended_on = end
        elif status == STATUS.ENDED_EARLY:
            ended_on = start + (self.today - start) / 2
            end_reason = "工作需要，组织召回"
        elif status == STATUS.WITHDRAWN:
            end_reason = "本人申请，撤回拟派"
        posting = Posting(
            cadre=cadre,
            kind=kind,
            sending_unit_id=cadre.unit_id,
            receiving_unit=receiver,
            title=title,
            category=guess_category(title, receiver.kind),
            post_rank=cadre.rank,
            start_date=start,
            planned_end_date=end,
            status=status,
            ended_on=ended_on,
            end_reason=end_reason,
            created_by=by,
        )
        posting.set_midterm_date()
        self.postings.append(posting)
        return posting

    def build_postings(self) -> None:
        self.postings: list[Posting] = []
        host = self.by_name[HOST_TOWNSHIP]
        home = self.by_name[HOME_ORGAN]
        active_at: dict[int, int] = {}

        # Fixed postings so that every demo login has something to look at.
        ganbu_posting = self._posting(
            KIND.DOWNWARD,
            STATUS.ACTIVE,
            self._pick_cadre(KIND.DOWNWARD, home),
            host,
            "党委副书记",
            12,
            near=True,
        )
        self.ganbu_cadre = ganbu_posting.cadre
        fixed = [
            (STATUS.ACTIVE, self.by_name["江州市财政局"], host, "镇长助理", True),
            (
                STATUS.ACTIVE,
                self.by_name["清河县农业农村局"],
                host,
                "乡村振兴办副主任",
                False,
            ),
            (STATUS.COMPLETED, home, host, "镇长助理", False),
            (STATUS.PROPOSED, self.by_name["江州市教育局"], host, "党委副书记", False),
            (STATUS.ACTIVE, home, self.by_name[HOST_VILLAGE], "第一书记", True),
            (STATUS.ENDED_EARLY, home, self.by_name["凤凰乡"], "乡长助理", False),
            (STATUS.PROPOSED, home, self.by_name["石门村"], "第一书记", False),
        ]
        for status, sender, receiver, title, near in fixed:
            cadre = self._pick_cadre(KIND.DOWNWARD, sender)
            self._posting(KIND.DOWNWARD, status, cadre, receiver, title, 12, near=near)
        for p in self.postings:
            if p.status == STATUS.ACTIVE:
                active_at[p.receiving_unit.pk] = (
                    active_at.get(p.receiving_unit.pk, 0) + 1
                )

        plan = [(KIND.DOWNWARD, STATUS.PROPOSED, DOWNWARD_PROPOSED)]
        plan += [
            (k, s, n)
            for k, by_status in POSTING_PLAN.items()
            for s, n in by_status.items()
        ]
        random_active = []
        for kind, status, count in plan:
            for _ in range(count):
                options = []
                while not options:
                    cadre = self._pick_cadre(kind)
                    options = self._receivers(cadre, kind)
                    if status == STATUS.ACTIVE:
                        # Rule 2: at most two on posting at one host at a time.
                        options = [
                            (i, w)
                            for i, w in options
                            if active_at.get(i.unit.pk, 0) < 2
                        ]
                info = self.rng.choices(
                    [i for i, _ in options], weights=[w for _, w in options]
                )[0]
                posting = self._posting(kind, status, cadre, info.unit)
                if status == STATUS.ACTIVE:
                    active_at[info.unit.pk] = active_at.get(info.unit.pk, 0) + 1
                    random_active.append(posting)
        # A few more mid-terms due soon, so the reminder sweep has work to do.
        for posting in self.rng.sample(random_active, EXTRA_NEAR_MIDTERM):
            months = (
                12 if (posting.planned_end_date - posting.start_date).days > 200 else 6
            )
            posting.start_date, posting.planned_end_date = self._term_dates(
                STATUS.ACTIVE, months, near=True
            )
            posting.set_midterm_date()
        self.postings = Posting.objects.bulk_create(self.postings)

    # --- monthly notes -----------------------------------------------------

    def _work_text(self, info: UnitInfo) -> str:
        if info.role in ("township", "village", "gov"):
            pool = WORK_RURAL
        elif info.role == "enterprise":
            pool = WORK_ENTERPRISE
        else:
            pool = WORK_ORGAN
        items = self.rng.sample(pool, 2)
        return (
            "；".join(
                t.format(n=self.rng.randint(20, 300), k=self.rng.randint(2, 12))
                for t in items
            )
            + "。"
        )

    def build_notes(self) -> None:
        current = self.today.replace(day=1)
        notes = []
        for posting in self.postings:
            if posting.status not in (STATUS.ACTIVE, STATUS.COMPLETED):
                continue
            info = self.info[posting.receiving_unit.pk]
            author = self.ensure_leader(posting.receiving_unit)
            months = []
            month = posting.start_date.replace(day=1)
            while month < current and month <= posting.planned_end_date:
                months.append(month)
                month = add_months(month, 1)
            for month in months[-self.rng.randint(2, 4) :]:
                workdays = weekdays_in(month)
                leave = self.rng.choices((0, 1, 2, 3), weights=(6, 3, 2, 1))[0]
                absent = self.rng.choices((0, 1), weights=(9, 1))[0]
                notes.append(
                    MonthlyNote(
                        posting=posting,
                        month=month,
                        days_present=workdays - leave - absent,
                        days_absent=absent,
                        days_leave=leave,
                        work_done=self._work_text(info),
                        conduct=self.rng.choice(CONDUCT),
                        comment=self.rng.choice(COMMENTS),
                        author=author,
                    )
                )
        # Leaders of hosts with active postings get the mid-term reminders.
        for posting in self.postings:
            if posting.status == STATUS.ACTIVE:
                self.ensure_leader(posting.receiving_unit)
        new_leaders = [
            leader
            for info in self.info.values()
            for leader in info.leaders
            if leader.pk is None
        ]
        # The notes hold the unsaved leaders; Django copies their new ids over.
        User.objects.bulk_create(new_leaders)
        self.notes = MonthlyNote.objects.bulk_create(notes, batch_size=500)

    # --- a batch in selection ---------------------------------------------

    def build_batch(self) -> None:
        """A batch mid-selection: scored nominations, decisions and open posts."""
        batch = Batch.objects.create(
            name=f"{self.today.year + 1}年第一批上派下挂",
            year=self.today.year + 1,
            unit=self.by_name["江州市"],
            kinds=["downward", "upward"],
            planned_count=5,
            mobilised_on=self.today + dt.timedelta(days=30),
            exam_weight=60,
            notes="择优选派后备干部到乡镇、村任职，重点向偏远乡镇倾斜。",
            created_by=self.zuzhibu,
        )
        busy = {p.cadre_id for p in self.postings}
        free = [c for c in self.cadres if c.pk not in busy and c.rank <= Rank.DIVISION]
        free.sort(key=lambda c: (not c.is_reserve, c.pk))
        sources = list(Nomination.Source)
        nominations = []
        for i, cadre in enumerate(free[:9]):
            exam = Decimal(self.rng.randint(700, 960)) / 10
            interview = Decimal(self.rng.randint(700, 960)) / 10
            decision, reason = Nomination.Decision.PENDING, ""
            if i < 5:
                decision, reason = (
                    Nomination.Decision.SELECTED,
                    "综合成绩靠前，群众公认度高",
                )
            elif i < 7:
                decision, reason = (
                    Nomination.Decision.REJECTED,
                    "综合成绩未进入计划名额",
                )
            nominations.append(
                Nomination(
                    batch=batch,
                    cadre=cadre,
                    source=sources[i % len(sources)],
                    exam_score=exam,
                    interview_score=interview,
                    decision=decision,
                    decision_reason=reason,
                    decided_by=self.zuzhibu if reason else None,
                    decided_at=timezone.now() if reason else None,
                )
            )
        Nomination.objects.bulk_create(nominations)
        specialities = ["农业", "经济", "规划", "财务", "信息化", ""]
        posts = []
        for i, info in enumerate(self.units_where(role="township")[:6]):
            name = info.unit.name
            posts.append(
                OpenPost(
                    batch=batch,
                    receiving_unit=info.unit,
                    title="乡长助理" if name.endswith("乡") else "镇长助理",
                    kind="downward",
                    category=PostCategory.TOWNSHIP_LEADER,
                    rank=Rank.DEPUTY_SECTION if i % 2 else Rank.SECTION,
                    speciality=specialities[i % len(specialities)],
                )
            )
        OpenPost.objects.bulk_create(posts)

    # --- all ---------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self.build_units()
        self.build_cadres()
        self.build_staff_accounts()
        self.build_postings()
        self.account(
            "ganbu",
            Role.CADRE,
            self.ganbu_cadre.unit,
            cadre=self.ganbu_cadre,
            name=self.ganbu_cadre.name,
        )
        self.build_notes()
        self.build_batch()
        records = build_dossier(self)
        from assessment.demo import build_assessments

        assessments = build_assessments(self)
        reminders = reminders_sweep_midterm(today=self.today)
        return {
            "units": len(self.info),
            "cadres": len(self.cadres),
            "postings": len(self.postings),
            "notes": len(self.notes),
            "reminders": reminders,
            "dossier_records": records,
            "rounds": assessments["rounds"],
            "ballots": assessments["ballots"],
        }


def seed_small(*, today: dt.date | None = None) -> dict[str, int]:
    return DemoBuilder(today=today).build()
