from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import idcard


class Role(models.TextChoices):
    ORG_STAFF = "org_staff", _("组织部工作人员")
    HOST_LEADER = "host_leader", _("接收单位领导")
    HOME_CONTACT = "home_contact", _("派出单位联系人")
    CADRE = "cadre", _("挂职干部")
    ADMIN = "admin", _("系统管理员")


class Rank(models.IntegerChoices):
    CLERK = 1, _("科员")
    DEPUTY_SECTION = 2, _("副科")
    SECTION = 3, _("正科")
    DEPUTY_DIVISION = 4, _("副处")
    DIVISION = 5, _("正处")
    DEPUTY_BUREAU = 6, _("副厅")
    BUREAU = 7, _("正厅")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


def ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and every unit above it, top first:
    "/00000001/00000007/" -> ["/00000001/", "/00000001/00000007/"]."""
    ids = path.strip("/").split("/")
    return ["/" + "/".join(ids[: i + 1]) + "/" for i in range(len(ids))]


def subtree_q(unit: "Unit", prefix: str = "") -> Q:
    """The units of `unit`'s subtree (itself included), as a filter on
    `prefix` + Unit fields: their path begins with its path."""
    return Q(**{f"{prefix}path__startswith": unit.path})


def jurisdiction_q(user, prefix: str = "") -> Q:
    """What org staff manage (batches, assessment rounds), as a filter on
    `prefix` + the object's fields: those held by a unit in their
    jurisdiction's subtree; admins all; nobody else any."""
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return Q()
    if role == Role.ORG_STAFF:
        return subtree_q(user.unit, f"{prefix}unit__")
    return Q(pk__in=[])


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: "Unit"):
        return self.filter(subtree_q(unit))

    def beyond(self, unit: "Unit"):
        """Every unit outside `unit`'s subtree."""
        return self.exclude(subtree_q(unit))


class Unit(models.Model):
    """A node of the organisation tree; `path` is the materialised path of ids."""

    class Kind(models.TextChoices):
        REGION = "region", _("行政区域")
        ORGAN = "organ", _("机关")
        INSTITUTION = "institution", _("事业单位")
        ENTERPRISE = "enterprise", _("企业")
        TOWNSHIP = "township", _("乡镇")
        VILLAGE = "village", _("村(社区)")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # "/00000001/00000007/": ancestors' ids then its own; subtree = path prefix.
    path = models.CharField(_("层级路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级深度"), default=0, editable=False)
    distance_km = models.PositiveIntegerField(_("距市区(公里)"), null=True, blank=True)
    is_power_department = models.BooleanField(
        _("实权部门"), default=False, help_text=_("管人、管钱、管物的部门")
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def set_path(self) -> None:
        """Derive path and depth from the parent; the row must already have an id."""
        prefix = self.parent.path if self.parent else "/"
        # Zero-padded so that sorting by path lists a tree in order.
        self.path = f"{prefix}{self.pk:08d}/"
        self.depth = prefix.count("/") - 1


class UnitLevel(models.IntegerChoices):
    """Where a unit stands in the tree (DOMAIN.md: province → city → county →
    township → village); a smaller value is a higher level."""

    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡镇级")
    VILLAGE = 5, _("村级")


# How a region at the top of a tree names its level; any other top region is
# a city (a city's own tree, or a city outward postings go to).
TOP_REGION_SUFFIXES = {
    UnitLevel.PROVINCE: ("省", "自治区", "特别行政区"),
    UnitLevel.COUNTY: ("县", "旗", "区"),
}


def unit_levels(unit: Unit) -> list[tuple[Unit, UnitLevel | None]]:
    """`unit` and every unit above it, top first, each with its level: a
    region is one level below the region above it (a top region by its name,
    TOP_REGION_SUFFIXES), a township or village is its own level, and an
    organ, institution or enterprise has the level of the region, township or
    village it belongs to. None above the first of those."""
    chain = Unit.objects.filter(path__in=ancestor_paths(unit.path)).order_by("path")
    return chain_levels(chain)


def chain_levels(chain) -> list[tuple[Unit, UnitLevel | None]]:
    """unit_levels for a chain already at hand, top first (units, or anything
    with their `kind` and `name`: the import checks rows not yet saved)."""
    level, levels = None, []
    for above in chain:
        if above.kind == Unit.Kind.REGION:
            level = _region_level(above.name, level)
        elif above.kind == Unit.Kind.TOWNSHIP:
            level = UnitLevel.TOWNSHIP
        elif above.kind == Unit.Kind.VILLAGE:
            level = UnitLevel.VILLAGE
        levels.append((above, level))
    return levels


def _region_level(name: str, above: UnitLevel | None) -> UnitLevel:
    if above is None:
        for level, suffixes in TOP_REGION_SUFFIXES.items():
            if name.endswith(suffixes):
                return level
        return UnitLevel.CITY
    # Regions below a county (development zones, streets) stay county-level.
    return above if above >= UnitLevel.COUNTY else UnitLevel(above + 1)


def unit_level(unit: Unit) -> UnitLevel | None:
    """The level of `unit` (see unit_levels); None when no region, township or
    village holds it."""
    levels = unit_levels(unit)
    return levels[-1][1] if levels else None


def user_name(last_name: str, first_name: str, username: str | None) -> str:
    """How a user is named (str(User)), from the three fields as a list reads
    them with values(); no user (username None) is ""."""
    if username is None:
        return ""
    return f"{last_name}{first_name}".strip() or username


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所在单位(管辖范围)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    cadre = models.OneToOneField(
        "Cadre",
        verbose_name=_("对应干部"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        # Who is reminded: the host leaders of a unit, the org staff anywhere.
        indexes = [models.Index(fields=["role", "unit"], name="user_role_unit")]
        constraints = [
            models.CheckConstraint(
                name="user_role_valid",
                violation_error_message=_("角色无效。"),
                condition=Q(role__in=[r.value for r in Role]),
            ),
            models.CheckConstraint(
                name="user_unit_roles_have_unit",
                violation_error_message=_(
                    "组织部工作人员、接收单位领导和派出单位联系人必须指定所在单位。"
                ),
                condition=~Q(role__in=["org_staff", "host_leader", "home_contact"])
                | Q(unit__isnull=False),
            ),
            models.CheckConstraint(
                name="user_cadre_role_has_cadre",
                violation_error_message=_("挂职干部账号必须关联对应的干部。"),
                condition=~Q(role="cadre") | Q(cadre__isnull=False),
            ),
        ]

    def __str__(self):
        return user_name(self.last_name, self.first_name, self.username)

    def get_full_name(self):
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def sees_full_id_numbers(self) -> bool:
        return self.role in (Role.ORG_STAFF, Role.ADMIN)


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc", _("中共党员")
    CPC_PROBATIONARY = "cpc_probationary", _("中共预备党员")
    LEAGUE_MEMBER = "league", _("共青团员")
    DEMOCRATIC_PARTY = "democratic_party", _("民主党派")
    INDEPENDENT = "independent", _("无党派人士")
    MASSES = "masses", _("群众")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("博士研究生")
    MASTER = "master", _("硕士研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专")
    HIGH_SCHOOL = "high_school", _("高中及以下")


class Cadre(models.Model):
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所在单位"),
        on_delete=models.PROTECT,
        related_name="cadres",
    )
    position = models.CharField(_("现任职务"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("职级"), choices=Rank.choices)
    is_reserve = models.BooleanField(_("后备干部"), default=False)
    speciality = models.CharField(_("专业特长"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    political_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PoliticalStatus.choices, blank=True
    )
    education = models.CharField(
        _("学历"), max_length=20, choices=Education.choices, blank=True
    )
    position_since = models.DateField(_("任现职时间"), null=True, blank=True)
    rank_since = models.DateField(_("任现职级时间"), null=True, blank=True)
    is_leader = models.BooleanField(_("领导职务"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="cadre_id_number_18",
                violation_error_message=_("身份证号应为18位。"),
                condition=Exact(Length("id_number"), 18),
            ),
            models.CheckConstraint(
                name="cadre_rank_valid",
                violation_error_message=_("职级无效。"),
                condition=Q(rank__gte=1, rank__lte=7),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cadres:detail", args=[self.pk])

    def id_number_for(self, user) -> str:
        return idcard.shown_to(user).id_number(self.id_number)
