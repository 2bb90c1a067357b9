"""Large demo data for `manage.py seed_demo --size large` and `make bench`.

A province-sized organisation (江东省): 13 cities of 6 counties each, with
their organs, institutions, enterprises, townships and villages (about 2,000
units), a developed coastal city (海滨市) for outward postings, 20,000 cadres
with valid ID numbers, 50,000 postings of which 10,000 are active, 24 months of
monthly notes for the active ones (fewer where the posting is younger), one
leader account per host unit, one org-staff account per province, city and
county, an account for every cadre on an active posting, the last month's
daily work logs, the semiannual reports and self-reviews due so far and
warnings on 3% of the active postings, last year's annual assessment (closed
rounds per county and city, with stored results), a few bench logins, a
province batch of 500 selected candidates and 500 open posts (the placement
assistant's 500 x 500), and the mid-term reminders that follow.

Everything is inserted in bulk inside one transaction. Every random choice
comes from one seeded generator, so the same seed and the same `today` give the
same rows. Unit ids are assigned here (after the highest existing id) because a
unit's materialised path contains its own id.

The name lists and the per-row helpers (names, ID numbers, positions, titles,
work texts) are the small demo's, from `portal.demo`.
"""

import datetime as dt
import time
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from assessment.config import default_config
from assessment.models import Assessment, Round, Template, TemplateVersion
from cadres.models import Cadre, Rank, Role, Unit, User
from guazhi.dates import add_months
from portal import demo
from postings.models import (
    Batch,
    Nomination,
    OpenPost,
    Posting,
    guess_category,
    midpoint,
)
from postings.services import reminders_sweep_midterm
from records.models import MonthlyNote, Report, Warning, WorkLog
from records.rules import warning_level

from .demo import (
    AGE_RANGE,
    PASSWORD,
    RANK_WEIGHTS,
    RESERVE_CHANCE,
    SPECIALITIES,
    TOWNSHIP_RANK_WEIGHTS,
    DemoBuilder,
    UnitInfo,
    weekdays_in,
)
from .demo_dossier import LOG_TEXTS

SEED = 20260315
MARKER_UNIT = "江东省"
PROVINCE_CODE = "33"  # region codes 33CCDD: city CC, county DD (00: the city)

# --- Sizes ---------------------------------------------------------------------

CITY_COUNT = 13
COUNTIES_PER_CITY = 6
TOWNSHIPS_PER_COUNTY = 4
CADRE_COUNT = 20_000
POSTING_COUNT = 50_000
ACTIVE_COUNT = 10_000
PROPOSED_COUNT = 4_000
ENDED_EARLY_COUNT = 3_000
NOTE_MONTHS = 24
# Active postings whose mid-term falls within the next NEAR_DAYS days: the
# reminder sweep (14 days ahead by default) finds about a sixth of them.
NEAR_MIDTERM_COUNT = 1_500
NEAR_DAYS = 90
NOTE_CHUNK = 20_000  # notes built and inserted per round, to bound memory
BATCH_CANDIDATES = 500
LOG_DAYS = 30  # daily work logs over the last LOG_DAYS days (weekdays)
WARNING_SHARE = 0.03
BATCH_POSTS = 500

K = Unit.Kind
KIND = Posting.Kind
STATUS = Posting.Status

# --- Names ---------------------------------------------------------------------

CITY_NAMES = [
    "东阳市",
    "南屏市",
    "西陵市",
    "北塘市",
    "青州市",
    "云溪市",
    "兰陵市",
    "桐江市",
    "石湾市",
    "金沙市",
    "玉泉市",
    "宁海市",
    "安平市",
]
PLACE_CHARS = (
    "安宁平和丰永兴新昌明清泉石山水河湖溪桥林松竹梅荷柳杨桃李云龙凤鹤鹿金玉宝"
    "华光德仁义信长乐福寿康泰祥瑞嘉兆盛广源东南西北上下中前后大小高白青红黄"
)
# (department, power department), suffixed to the province or city name.
PROVINCE_DEPARTMENTS = [
    ("委组织部", True),
    ("发展和改革委员会", True),
    ("财政厅", True),
    ("人力资源和社会保障厅", True),
    ("自然资源厅", True),
    ("住房和城乡建设厅", True),
    ("农业农村厅", False),
    ("教育厅", False),
    ("商务厅", False),
    ("卫生健康委员会", False),
    ("交通运输厅", False),
    ("水利厅", False),
    ("文化和旅游厅", False),
    ("生态环境厅", False),
    ("应急管理厅", False),
    ("市场监督管理局", False),
    ("统计局", False),
    ("审计厅", False),
    ("民政厅", False),
    ("司法厅", False),
    ("科学技术厅", False),
    ("经济和信息化厅", False),
    ("退役军人事务厅", False),
    ("医疗保障局", False),
    ("林业局", False),
    ("乡村振兴局", False),
    ("国有资产监督管理委员会", True),
    ("公共资源交易中心", False),
    ("大数据管理局", False),
    ("机关事务管理局", False),
]
CITY_DEPARTMENTS = [
    ("委组织部", True),
    ("发改委", True),
    ("财政局", True),
    ("人社局", True),
    ("自然资源和规划局", True),
    ("住建局", True),
    ("农业农村局", False),
    ("教育局", False),
    ("商务局", False),
    ("卫健委", False),
    ("交通运输局", False),
    ("水利局", False),
    ("文旅局", False),
    ("生态环境局", False),
    ("应急管理局", False),
    ("市场监管局", False),
    ("统计局", False),
    ("审计局", False),
    ("民政局", False),
    ("司法局", False),
    ("科技局", False),
    ("经信局", False),
    ("退役军人事务局", False),
    ("医保局", False),
    ("林业局", False),
]
CITY_INSTITUTIONS = ["农业科学研究院", "规划设计研究院", "职业技术学院"]
CITY_ENTERPRISES = ["城投集团有限公司", "纺织机械厂"]
COUNTY_DEPARTMENTS = [
    ("委组织部", True),
    ("财政局", True),
    ("发改局", True),
    ("农业农村局", False),
    ("教育局", False),
    ("商务局", False),
]
OUTWARD_CITY = "海滨市"
OUTWARD_DISTRICTS = ["海滨市浦阳区", "海滨市临港区", "海滨市高新区"]
OUTWARD_ORGANS = ["发改局", "商务局", "经济技术开发区管委会", "科技局", "财政局"]
OUTWARD_ENTERPRISES = ["精密机械厂", "港航集团有限公司"]

# Bench and demo logins of the large dataset: (username, role, what unit).
ACCOUNTS = [
    ("bench_admin", Role.ADMIN),
    ("bench_org", Role.ORG_STAFF),  # province jurisdiction: sees every posting
    ("bench_city", Role.ORG_STAFF),
    ("bench_host", Role.HOST_LEADER),
    ("bench_home", Role.HOME_CONTACT),
    ("bench_cadre", Role.CADRE),
]
BENCH_USERNAME = "bench_org"


def large_exists() -> bool:
    return Unit.objects.filter(name=MARKER_UNIT, parent=None).exists()


class LargeBuilder(DemoBuilder):
    """The small demo's builder, scaled up and inserting in bulk."""

    def __init__(self, *, today: dt.date | None = None, seed: int = SEED):
        super().__init__(today=today, seed=seed)
        self.units: list[Unit] = []
        self.next_unit_id = Unit.objects.aggregate(m=Max("pk"))["m"] or 0
        self.place_names: set[str] = set()
        self.unusable = make_password(None)

    # --- units -------------------------------------------------------------

    def _add(self, name, kind, parent, *, level, role, county=None, code, **fields):
        self.next_unit_id += 1
        unit = Unit(id=self.next_unit_id, name=name, kind=kind, parent=parent, **fields)
        unit.set_path()
        self.units.append(unit)
        self.info[unit.pk] = UnitInfo(unit, level, role, county, code)
        return unit

    def _place(self, suffix: str) -> str:
        """A two-character place name not used before, plus its suffix."""
        while True:
            a, b = self.rng.sample(PLACE_CHARS, 2)
            name = a + b + suffix
            if name not in self.place_names:
                self.place_names.add(name)
                return name

    def build_units(self) -> None:
        rng = self.rng
        self.province = province = self._add(
            MARKER_UNIT,
            K.REGION,
            None,
            level="province",
            role="region",
            code=f"{PROVINCE_CODE}0100",
        )
        for dept, power in PROVINCE_DEPARTMENTS:
            self._add(
                "江东省" + dept,
                K.ORGAN,
                province,
                level="province",
                role="organ",
                code=f"{PROVINCE_CODE}0100",
                is_power_department=power,
            )
        self.cities: list[Unit] = []
        self.counties: list[Unit] = []
        self.city_of: dict[int, Unit] = {}  # unit id -> its city (city, county level)
        for ci, city_name in enumerate(CITY_NAMES[:CITY_COUNT], start=1):
            code = f"{PROVINCE_CODE}{ci:02d}00"
            city = self._add(
                city_name, K.REGION, province, level="city", role="region", code=code
            )
            self.cities.append(city)
            short = city_name.removesuffix("市")
            members = [city]
            for dept, power in CITY_DEPARTMENTS:
                members.append(
                    self._add(
                        city_name + dept,
                        K.ORGAN,
                        city,
                        level="city",
                        role="organ",
                        code=code,
                        is_power_department=power,
                    )
                )
            for name in CITY_INSTITUTIONS:
                members.append(
                    self._add(
                        short + "市" + name,
                        K.INSTITUTION,
                        city,
                        level="city",
                        role="institution",
                        code=code,
                    )
                )
            for name in CITY_ENTERPRISES:
                members.append(
                    self._add(
                        short + name,
                        K.ENTERPRISE,
                        city,
                        level="city",
                        role="enterprise",
                        code=code,
                    )
                )
            for di in range(1, COUNTIES_PER_CITY + 1):
                county_name = self._place("县" if di % 3 else "区")
                ccode = f"{PROVINCE_CODE}{ci:02d}{di:02d}"
                county = self._add(
                    county_name,
                    K.REGION,
                    city,
                    level="county",
                    role="region",
                    code=ccode,
                )
                self.counties.append(county)
                members.append(county)
                common = {"level": "county", "county": county, "code": ccode}
                members.append(
                    self._add(
                        county_name + "人民政府",
                        K.ORGAN,
                        county,
                        role="gov",
                        is_power_department=True,
                        **common,
                    )
                )
                for dept, power in COUNTY_DEPARTMENTS:
                    members.append(
                        self._add(
                            county_name + dept,
                            K.ORGAN,
                            county,
                            role="organ",
                            is_power_department=power,
                            **common,
                        )
                    )
                members.append(
                    self._add(
                        county_name + "农业技术推广中心",
                        K.INSTITUTION,
                        county,
                        role="institution",
                        **common,
                    )
                )
                for _ in range(TOWNSHIPS_PER_COUNTY):
                    km = rng.randint(5, 75)
                    township = self._add(
                        self._place(rng.choice("镇镇镇乡")),
                        K.TOWNSHIP,
                        county,
                        role="township",
                        distance_km=km,
                        **common,
                    )
                    members.append(township)
                    for _ in range(rng.choice((1, 1, 2, 2, 2))):
                        members.append(
                            self._add(
                                self._place("村"),
                                K.VILLAGE,
                                township,
                                role="village",
                                distance_km=min(90, km + rng.randint(2, 12)),
                                **common,
                            )
                        )
            for unit in members:
                self.city_of[unit.pk] = city
        coast = self._add(
            OUTWARD_CITY, K.REGION, None, level="outward", role="region", code="440300"
        )
        for district_name in OUTWARD_DISTRICTS:
            district = self._add(
                district_name,
                K.REGION,
                coast,
                level="outward",
                role="region",
                code="440300",
            )
            short = district_name.removeprefix(OUTWARD_CITY)
            for name in OUTWARD_ORGANS:
                self._add(
                    short + name,
                    K.ORGAN,
                    district,
                    level="outward",
                    role="organ",
                    code="440300",
                )
            for name in OUTWARD_ENTERPRISES:
                self._add(
                    short.removesuffix("区") + name,
                    K.ENTERPRISE,
                    district,
                    level="outward",
                    role="enterprise",
                    code="440300",
                )
        Unit.objects.bulk_create(self.units, batch_size=1000)
        # Explicit ids leave PostgreSQL's sequence behind; SQLite needs nothing.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Unit]):
                cursor.execute(sql)
        self._index_receivers()

    def _index_receivers(self) -> None:
        """Lists of candidate receiving units, by city and by county."""
        self.rural_by_city: dict[int, list[tuple[UnitInfo, int]]] = {}
        self.rural_by_county: dict[int, list[tuple[UnitInfo, int]]] = {}
        self.organs_by_city: dict[int, list[UnitInfo]] = {}
        self.organs_by_county: dict[int, list[UnitInfo]] = {}
        self.province_organs: list[UnitInfo] = []
        self.outward: list[UnitInfo] = []
        for info in self.info.values():
            unit = info.unit
            not_org = not unit.name.endswith("组织部")
            if info.level == "outward":
                if info.role != "region":
                    self.outward.append(info)
            elif info.level == "province":
                if info.role == "organ" and not_org:
                    self.province_organs.append(info)
            elif info.role in ("township", "village", "gov"):
                weight = {"township": 6, "village": 4, "gov": 1}[info.role]
                city = self.city_of[unit.pk].pk
                self.rural_by_city.setdefault(city, []).append((info, weight))
                self.rural_by_county.setdefault(info.county.pk, []).append(
                    (info, weight)
                )
            elif info.role == "organ" and not_org:
                if info.level == "city":
                    self.organs_by_city.setdefault(info.unit.parent_id, []).append(info)
                else:
                    self.organs_by_county.setdefault(info.county.pk, []).append(info)

    # --- cadres ------------------------------------------------------------

    def build_cadres(self) -> None:
        rng = self.rng
        weight_by_role = {
            "organ": 12,
            "gov": 8,
            "institution": 8,
            "enterprise": 6,
            "township": 8,
        }
        homes = [
            i
            for i in self.info.values()
            if i.level != "outward" and i.role in weight_by_role
        ]
        weights = [
            weight_by_role[i.role] * (2 if i.level == "city" else 1) for i in homes
        ]
        city_codes = [f"{PROVINCE_CODE}{c:02d}00" for c in range(1, CITY_COUNT + 1)]
        cadres = []
        for info in rng.choices(homes, weights=weights, k=CADRE_COUNT):
            table = TOWNSHIP_RANK_WEIGHTS if info.role == "township" else RANK_WEIGHTS
            rank = rng.choices(list(table), weights=list(table.values()))[0]
            gender = "M" if rng.random() < 0.62 else "F"
            low, high = AGE_RANGE[rank]
            birth = dt.date(
                self.today.year - rng.randint(low, high),
                rng.randint(1, 12),
                rng.randint(1, 28),
            )
            # Most were born where they work.
            code = info.code if rng.random() < 0.7 else rng.choice(city_codes)
            cadres.append(
                Cadre(
                    name=self.person_name(gender),
                    id_number=self._id_number(code, birth, gender),
                    gender=gender,
                    birth_date=birth,
                    unit=info.unit,
                    position=self._position(info, rank),
                    rank=rank,
                    is_reserve=rng.random() < RESERVE_CHANCE[rank],
                    speciality=self._speciality(info.unit),
                    phone=self._phone(),
                )
            )
        self.cadres = Cadre.objects.bulk_create(cadres, batch_size=2000)

    # --- accounts ----------------------------------------------------------

    def _user(self, username, role, unit, *, cadre=None, password=None) -> User:
        gender = "M" if self.rng.random() < 0.6 else "F"
        name = cadre.name if cadre else self.person_name(gender)
        return User(
            username=username,
            role=role,
            unit=unit,
            cadre=cadre,
            last_name=name[0],
            first_name=name[1:],
            password=password or self.unusable,
        )

    def build_staff(self) -> None:
        """One org-staff account per province, city and county, unusable password."""
        staff = [self._user("jd_zzb", Role.ORG_STAFF, self.province)]
        self.staff_of_city: dict[int, User] = {}
        for ci, city in enumerate(self.cities, start=1):
            user = self._user(f"jd_zzb_{ci:02d}", Role.ORG_STAFF, city)
            self.staff_of_city[city.pk] = user
            staff.append(user)
        for n, county in enumerate(self.counties, start=1):
            staff.append(self._user(f"jd_zzb_c{n:03d}", Role.ORG_STAFF, county))
        self.staff = User.objects.bulk_create(staff)
        self.province_staff = self.staff[0]

    def build_leaders(self) -> None:
        """A leader account for every unit that hosts an active posting."""
        hosts = sorted(
            {p.receiving_unit_id for p in self.postings if p.status == STATUS.ACTIVE}
        )
        leaders = [
            self._user(f"jd_leader_{n:05d}", Role.HOST_LEADER, self.info[uid].unit)
            for n, uid in enumerate(hosts, start=1)
        ]
        self.leaders = User.objects.bulk_create(leaders, batch_size=2000)
        self.leader_of = {u.unit_id: u for u in self.leaders}

    def build_accounts(self) -> None:
        """The bench and demo logins, with the demo password."""
        password = make_password(PASSWORD)
        active = [p for p in self.postings if p.status == STATUS.ACTIVE]
        busiest_host = max(
            self.leader_of, key=lambda uid: (self.hosted.get(uid, 0), -uid)
        )
        senders: dict[int, int] = {}
        for p in active:
            senders[p.sending_unit_id] = senders.get(p.sending_unit_id, 0) + 1
        busiest_sender = max(senders, key=lambda uid: (senders[uid], -uid))
        cadre = next(c for c in self.cadres if c.pk == active[0].cadre_id)
        units = {
            "bench_admin": None,
            "bench_org": self.province,
            "bench_city": self.cities[0],
            "bench_host": self.info[busiest_host].unit,
            "bench_home": self.info[busiest_sender].unit,
            "bench_cadre": cadre.unit,
        }
        users = []
        for username, role in ACCOUNTS:
            user = self._user(
                username,
                role,
                units[username],
                cadre=cadre if role == Role.CADRE else None,
                password=password,
            )
            if role == Role.ADMIN:
                user.is_staff = user.is_superuser = True
            users.append(user)
        User.objects.bulk_create(users)

    # --- postings ----------------------------------------------------------

    def _kind_for(self, info: UnitInfo) -> str:
        if info.role == "township":
            return KIND.UPWARD
        if info.level == "province":
            options = {KIND.DOWNWARD: 7, KIND.OUTWARD: 3}
        elif info.level == "city":
            options = {KIND.DOWNWARD: 55, KIND.UPWARD: 25, KIND.OUTWARD: 20}
        else:
            options = {KIND.DOWNWARD: 55, KIND.UPWARD: 35, KIND.OUTWARD: 10}
        if info.role == "institution":
            options.pop(KIND.OUTWARD, None)
        return self.rng.choices(list(options), weights=list(options.values()))[0]

    def _receiver_for(self, cadre: Cadre, kind: str) -> UnitInfo:
        rng, home = self.rng, self.info[cadre.unit_id]
        if kind == KIND.OUTWARD:
            return rng.choice(self.outward)
        if kind == KIND.UPWARD:
            if home.role == "township" and rng.random() < 0.6:
                return rng.choice(self.organs_by_county[home.county.pk])
            if home.level == "county" or home.role == "township":
                return rng.choice(self.organs_by_city[self.city_of[home.unit.pk].pk])
            return rng.choice(self.province_organs)
        if home.level == "county":
            options = self.rural_by_county[home.county.pk]
        elif home.level == "city":
            options = self.rural_by_city[self.city_of[home.unit.pk].pk]
        else:
            options = self.rural_by_city[rng.choice(self.cities).pk]
        # 第一书记 is a section-level post; county government posts go to
        # section-level cadres from the city.
        options = [
            (i, w)
            for i, w in options
            if (i.role != "village" or cadre.rank <= Rank.SECTION)
            and (i.role != "gov" or (home.level != "county" and cadre.rank >= 3))
        ]
        return rng.choices([i for i, _ in options], weights=[w for _, w in options])[0]

    def _created_by(self, sending_unit_id: int) -> User:
        city = self.city_of.get(sending_unit_id)
        if city is None:
            return self.province_staff
        return self.staff_of_city[city.pk]

    def _new_posting(self, cadre, status, start, months, kind, receiver, title):
        end = add_months(start, months)
        ended_on, end_reason = None, ""
        if status == STATUS.COMPLETED:
            ended_on = end
        elif status == STATUS.ENDED_EARLY:
            ended_on = start + (end - start) * self.rng.uniform(0.2, 0.8)
            end_reason = "工作需要，组织召回"
        posting = Posting(
            cadre_id=cadre.pk,
            kind=kind,
            sending_unit_id=cadre.unit_id,
            receiving_unit_id=receiver.unit.pk,
            title=title,
            category=guess_category(title, receiver.unit.kind),
            post_rank=cadre.rank,
            start_date=start,
            planned_end_date=end,
            status=status,
            ended_on=ended_on,
            end_reason=end_reason,
            created_by_id=self._created_by(cadre.unit_id).pk,
        )
        posting.midterm_date = midpoint(posting.start_date, posting.planned_end_date)
        return posting

    def build_postings(self) -> None:
        """10,000 active, 4,000 proposed, the rest in the past, per cadre in order.

        Active postings run three years and started two to three years ago, so
        they have 24 monthly notes; NEAR_MIDTERM_COUNT of them run two years and
        reach their mid-term within the next NEAR_DAYS days.
        """
        rng, today = self.rng, self.today
        day = dt.timedelta(days=1)
        order = list(range(len(self.cadres)))
        rng.shuffle(order)
        active_idx = order[:ACTIVE_COUNT]
        proposed_idx = order[ACTIVE_COUNT : ACTIVE_COUNT + PROPOSED_COUNT]
        near = set(rng.sample(active_idx, NEAR_MIDTERM_COUNT))
        past_count = POSTING_COUNT - ACTIVE_COUNT - PROPOSED_COUNT
        past_per_cadre = [0] * len(self.cadres)
        for i in rng.choices(range(len(self.cadres)), k=past_count):
            past_per_cadre[i] += 1
        ended_early = set(rng.sample(range(past_count), ENDED_EARLY_COUNT))

        postings: list[Posting] = []
        current: dict[int, Posting] = {}
        for i in active_idx:
            cadre = self.cadres[i]
            kind = self._kind_for(self.info[cadre.unit_id])
            receiver = self._receiver_for(cadre, kind)
            title, _months = self._title_and_months(receiver, cadre)
            if i in near:
                want = today + rng.randint(0, NEAR_DAYS - 1) * day
                start, months = add_months(want, -12), 24
            else:
                start, months = add_months(today, -24) - rng.randint(0, 330) * day, 36
            current[i] = self._new_posting(
                cadre, STATUS.ACTIVE, start, months, kind, receiver, title
            )
        for i in proposed_idx:
            cadre = self.cadres[i]
            kind = self._kind_for(self.info[cadre.unit_id])
            receiver = self._receiver_for(cadre, kind)
            title, months = self._title_and_months(receiver, cadre)
            start = today + rng.randint(10, 75) * day
            current[i] = self._new_posting(
                cadre, STATUS.PROPOSED, start, months, kind, receiver, title
            )
        past_no = 0
        for i, cadre in enumerate(self.cadres):
            latest = current.get(i)
            if latest is not None:
                postings.append(latest)
            anchor = min(today, latest.start_date) if latest else today
            for _ in range(past_per_cadre[i]):
                kind = self._kind_for(self.info[cadre.unit_id])
                receiver = self._receiver_for(cadre, kind)
                title, months = self._title_and_months(receiver, cadre)
                end = anchor - rng.randint(20, 400) * day
                start = add_months(end, -months)
                status = (
                    STATUS.ENDED_EARLY if past_no in ended_early else STATUS.COMPLETED
                )
                past_no += 1
                postings.append(
                    self._new_posting(
                        cadre, status, start, months, kind, receiver, title
                    )
                )
                anchor = start
        self.postings = Posting.objects.bulk_create(postings, batch_size=2000)
        self.hosted: dict[int, int] = {}
        for p in self.postings:
            if p.status == STATUS.ACTIVE:
                self.hosted[p.receiving_unit_id] = (
                    self.hosted.get(p.receiving_unit_id, 0) + 1
                )

    # --- monthly notes -----------------------------------------------------

    def _notes_for(self, posting: Posting, months: list[dt.date]) -> list[MonthlyNote]:
        rng = self.rng
        info = self.info[posting.receiving_unit_id]
        author_id = self.leader_of[posting.receiving_unit_id].pk
        first = posting.start_date.replace(day=1)
        notes = []
        for month in months:
            if month < first:
                continue
            leave = rng.choices((0, 1, 2, 3), weights=(6, 3, 2, 1))[0]
            absent = rng.choices((0, 1), weights=(9, 1))[0]
            notes.append(
                MonthlyNote(
                    posting_id=posting.pk,
                    month=month,
                    days_present=self.workdays[month] - leave - absent,
                    days_absent=absent,
                    days_leave=leave,
                    work_done=self._work_text(info),
                    conduct=rng.choice(demo.CONDUCT),
                    comment=rng.choice(demo.COMMENTS),
                    author_id=author_id,
                )
            )
        return notes

    def build_notes(self) -> int:
        """The last NOTE_MONTHS months' notes of every active posting."""
        current = self.today.replace(day=1)
        months = [add_months(current, -n) for n in range(NOTE_MONTHS, 0, -1)]
        self.workdays = {m: weekdays_in(m) for m in months}
        total, batch = 0, []
        for posting in self.postings:
            if posting.status != STATUS.ACTIVE:
                continue
            batch.extend(self._notes_for(posting, months))
            if len(batch) >= NOTE_CHUNK:
                MonthlyNote.objects.bulk_create(batch, batch_size=5000)
                total, batch = total + len(batch), []
        MonthlyNote.objects.bulk_create(batch, batch_size=5000)
        return total + len(batch)

    # --- a batch in selection ---------------------------------------------

    def build_batch(self) -> int:
        """A province batch: 500 selected candidates, 500 open posts of one place.

        The candidates are cadres with no active or proposed posting; the posts
        sit at townships, villages and county organs across the province.
        """
        rng = self.rng
        batch = Batch.objects.create(
            name=f"江东省{self.today.year + 1}年第一批上派下挂",
            year=self.today.year + 1,
            unit=self.province,
            kinds=[KIND.DOWNWARD, KIND.UPWARD],
            planned_count=BATCH_POSTS,
            mobilised_on=self.today + dt.timedelta(days=30),
            exam_weight=60,
            notes="择优选派后备干部到乡镇、村任职，重点向偏远乡镇倾斜。",
            created_by=self.province_staff,
        )
        busy = {
            p.cadre_id
            for p in self.postings
            if p.status in (STATUS.ACTIVE, STATUS.PROPOSED)
        }
        free = [c for c in self.cadres if c.pk not in busy]
        decided_at = timezone.now()
        sources = list(Nomination.Source)
        Nomination.objects.bulk_create(
            Nomination(
                batch=batch,
                cadre_id=cadre.pk,
                source=rng.choice(sources),
                exam_score=Decimal(rng.randint(600, 980)) / 10,
                interview_score=Decimal(rng.randint(600, 980)) / 10,
                decision=Nomination.Decision.SELECTED,
                decision_reason="综合成绩靠前，群众公认度高",
                decided_by=self.province_staff,
                decided_at=decided_at,
            )
            for cadre in rng.sample(free, BATCH_CANDIDATES)
        )
        hosts = [
            info
            for info in self.info.values()
            if info.role in ("township", "village", "organ") and info.level == "county"
        ]
        posts = []
        for info in rng.sample(hosts, BATCH_POSTS):
            title, _months = self._title_and_months(info, self.cadres[0])
            posts.append(
                OpenPost(
                    batch=batch,
                    receiving_unit=info.unit,
                    title=title,
                    kind=KIND.DOWNWARD,
                    category=guess_category(title, info.unit.kind),
                    rank=rng.choices(
                        list(RANK_WEIGHTS), weights=list(RANK_WEIGHTS.values())
                    )[0],
                    speciality=rng.choice([*SPECIALITIES, "", ""]),
                )
            )
        OpenPost.objects.bulk_create(posts)
        return BATCH_CANDIDATES

    # --- dossier records ----------------------------------------------------

    def build_records(self) -> dict[str, int]:
        """Cadre accounts and the dossier records of the active postings.

        Daily logs cover only the last LOG_DAYS days (a full term of them would
        be millions of rows); reports are the semiannual ones and the mid-term
        self-review due so far. Records are inserted without their history
        rows. Talks, trainings, commendations, support needs and appraisals
        are left to the issue that needs them in bulk: add them here, in
        proportion, and to the counts.
        """
        rng, today = self.rng, self.today
        active = [p for p in self.postings if p.status == STATUS.ACTIVE]
        taken = set(
            User.objects.filter(cadre__isnull=False).values_list("cadre_id", flat=True)
        )
        cadres = {c.pk: c for c in self.cadres}
        accounts = [
            self._user(
                f"jd_cadre_{n:05d}",
                Role.CADRE,
                cadres[p.cadre_id].unit,
                cadre=cadres[p.cadre_id],
            )
            for n, p in enumerate(active, start=1)
            if p.cadre_id not in taken
        ]
        User.objects.bulk_create(accounts, batch_size=2000)
        account_of = dict(
            User.objects.filter(cadre_id__in=cadres).values_list("cadre_id", "pk")
        )
        days = [
            today - dt.timedelta(days=n)
            for n in range(LOG_DAYS, 0, -1)
            if (today - dt.timedelta(days=n)).weekday() < 5
        ]
        logs, reports = 0, []
        for posting in active:
            author_id = account_of[posting.cadre_id]
            batch = [
                WorkLog(
                    posting_id=posting.pk,
                    author_id=author_id,
                    date=day,
                    content=rng.choice(LOG_TEXTS).format(
                        v=rng.choice("东西南北") + "村", n=rng.randint(2, 30)
                    ),
                )
                for day in days
            ]
            WorkLog.objects.bulk_create(batch, batch_size=5000)
            logs += len(batch)
            k = 1
            while (due := add_months(posting.start_date, 6 * k)) <= today:
                half = "上" if due.month <= 6 else "下"
                reports.append(
                    Report(
                        posting_id=posting.pk,
                        author_id=author_id,
                        kind=Report.Kind.SEMIANNUAL,
                        title=f"{due.year}年{half}半年挂职工作汇报",
                        body=self._work_text(self.info[posting.receiving_unit_id]),
                        due_date=due,
                    )
                )
                k += 1
            if posting.midterm_date <= today:
                reports.append(
                    Report(
                        posting_id=posting.pk,
                        author_id=author_id,
                        kind=Report.Kind.SELF_REVIEW,
                        title="中期考核述职报告",
                        body=self._work_text(self.info[posting.receiving_unit_id]),
                        due_date=posting.midterm_date,
                    )
                )
        Report.objects.bulk_create(reports, batch_size=5000)
        warnings = []
        for posting in rng.sample(active, round(len(active) * WARNING_SHARE)):
            points = rng.randint(1, 8)
            warnings.append(
                Warning(
                    posting_id=posting.pk,
                    author_id=self.leader_of[posting.receiving_unit_id].pk,
                    dimension=rng.choice(list(Warning.Dimension)),
                    occurred_on=today - dt.timedelta(days=rng.randint(5, 200)),
                    points=points,
                    description="未按规定履行请销假手续，擅自离岗。",
                    level=warning_level(points),
                    period_points=points,
                )
            )
        Warning.objects.bulk_create(warnings)
        return {
            "cadre_accounts": len(accounts),
            "work_logs": logs,
            "reports": len(reports),
            "warnings": len(warnings),
        }

    # --- assessments ---------------------------------------------------------

    def build_assessments(self) -> dict[str, int]:
        """Last year's annual assessment (年度考核), closed: one round per county
        and one per city for the postings its own organs send (the province's
        for its organs), under one province template, holding every active
        posting that had started by the year's end. Results are stored as a
        closed round stores them: score, grade and rank, ties ranked alike;
        no evaluations or ballots, and an empty explanation.
        """
        rng, today = self.rng, self.today
        year = today.year - 1
        period_start, period_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        closed_on = min(today, dt.date(today.year, 1, 20))
        closed_at = timezone.make_aware(dt.datetime.combine(closed_on, dt.time(10)))
        staff = self.province_staff
        template = Template.objects.create(
            name="江东省挂职干部考核方案", unit=self.province, created_by=staff
        )
        version = TemplateVersion.objects.create(
            template=template, number=1, config=default_config(), created_by=staff
        )
        held: dict[int, list[Posting]] = {}
        for posting in self.postings:
            if posting.status == STATUS.ACTIVE and posting.start_date <= period_end:
                info = self.info[posting.sending_unit_id]
                owner = info.county or self.city_of.get(posting.sending_unit_id)
                held.setdefault((owner or self.province).pk, []).append(posting)
        units = {u.pk: u for u in self.units}
        rounds = Round.objects.bulk_create(
            Round(
                name=f"{units[unit_id].name}{year}年度挂职干部考核",
                kind=Round.Kind.ANNUAL,
                unit_id=unit_id,
                template_version=version,
                period_start=period_start,
                period_end=period_end,
                status=Round.Status.CLOSED,
                created_by=self.staff_of_city.get(
                    getattr(self.city_of.get(unit_id), "pk", None), staff
                ),
                closed_at=closed_at,
            )
            for unit_id in held
        )
        thresholds = default_config()["thresholds"]
        assessments = []
        for round_, postings in zip(rounds, held.values(), strict=True):
            scores = sorted(
                ((Decimal(rng.randint(5800, 9800)) / 100, p.pk) for p in postings),
                reverse=True,
            )
            rank, previous = 0, None
            for position, (score, posting_id) in enumerate(scores, start=1):
                if score != previous:
                    rank, previous = position, score
                grade = next(
                    (
                        g
                        for g in ("excellent", "competent", "basic")
                        if score >= thresholds[g]
                    ),
                    "incompetent",
                )
                assessments.append(
                    Assessment(
                        round=round_,
                        posting_id=posting_id,
                        score=score,
                        raw_grade=grade,
                        grade=grade,
                        rank=rank,
                        detail={},
                    )
                )
        Assessment.objects.bulk_create(assessments, batch_size=2000)
        return {"rounds": len(rounds), "assessments": len(assessments)}

    # --- all ---------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self.build_units()
        self.build_cadres()
        self.build_staff()
        self.build_postings()
        self.build_leaders()
        self.build_accounts()
        notes = self.build_notes()
        candidates = self.build_batch()
        records = self.build_records()
        assessed = self.build_assessments()
        reminders = reminders_sweep_midterm(today=self.today)
        return {
            "units": len(self.units),
            "cadres": len(self.cadres),
            "postings": len(self.postings),
            "active": sum(p.status == STATUS.ACTIVE for p in self.postings),
            "notes": notes,
            "candidates": candidates,
            "users": len(self.staff) + len(self.leaders) + len(ACCOUNTS),
            "reminders": reminders,
            **records,
            **assessed,
        }


def seed_large(*, today: dt.date | None = None) -> dict[str, int]:
    with transaction.atomic():
        return LargeBuilder(today=today).build()


def login_rows() -> list[tuple[str, str, str, str]]:
    """(角色, 用户名, 密码, 单位) of the large dataset's logins."""
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[name for name, _ in ACCOUNTS]
        ).select_related("unit")
    }
    return [
        (
            str(Role(user.role).label),
            user.username,
            PASSWORD,
            user.unit.name if user.unit else "（全部）",
        )
        for name, _role in ACCOUNTS
        if (user := users.get(name)) is not None
    ]


def seed_command(command) -> None:
    """`seed_demo --size large`: build once, then list the logins."""
    started = time.monotonic()
    if large_exists():
        command.stdout.write("规模测试数据已存在，未重复创建。")
    else:
        counts = seed_large(today=timezone.localdate())
        command.stdout.write(
            command.style.SUCCESS(
                "规模测试数据已创建：单位 {units} 个，干部 {cadres} 名，挂职 {postings} 项"
                "（在岗 {active} 项），月小结 {notes} 份，日记录 {work_logs} 篇，"
                "汇报材料 {reports} 份，预警 {warnings} 条，批次人选 {candidates} 名，"
                "考核轮次 {rounds} 个（考核 {assessments} 人次），"
                "账号 {users} 个（另干部账号 {cadre_accounts} 个），"
                "中期考核提醒 {reminders} 条（用时 {secs:.1f} 秒）。".format(
                    **counts, secs=time.monotonic() - started
                )
            )
        )
    command.stdout.write("")
    command.stdout.write("规模测试账号：")
    command.stdout.write(
        demo.format_table(("角色", "用户名", "密码", "单位"), login_rows())
    )
