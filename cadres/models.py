from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: "Unit"):
        return self.filter(path__startswith=unit.path)


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
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
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
        return self.get_full_name() or self.username

    def get_full_name(self):
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def sees_full_id_numbers(self) -> bool:
        return self.role in (Role.ORG_STAFF, Role.ADMIN)


class CadreQuerySet(models.QuerySet):
    def visible_to(self, user):
        from postings.models import Posting

        role = getattr(user, "role", None)
        if not getattr(user, "is_authenticated", False) or role is None:
            return self.none()
        if role == Role.ADMIN:
            return self.all()
        if role == Role.ORG_STAFF:
            path = user.unit.path
            in_scope = Posting.objects.filter(cadre=OuterRef("pk")).filter(
                Q(sending_unit__path__startswith=path)
                | Q(receiving_unit__path__startswith=path)
            )
            return self.filter(Q(unit__path__startswith=path) | Exists(in_scope))
        if role == Role.HOST_LEADER:
            hosted = Posting.objects.filter(
                cadre=OuterRef("pk"), receiving_unit_id=user.unit_id
            )
            return self.filter(Exists(hosted))
        if role == Role.HOME_CONTACT:
            return self.filter(unit_id=user.unit_id)
        if role == Role.CADRE:
            return self.filter(pk=user.cadre_id)
        return self.none()


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
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CadreQuerySet.as_manager()

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
        return (
            self.id_number if user.sees_full_id_numbers else idcard.mask(self.id_number)
        )


class MonthlyNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        from postings.models import Posting

        return self.filter(Posting.scope_q(user, prefix="posting__"))


class MonthlyNote(models.Model):
    """月小结: filed by the receiving unit's leader, one per posting per month."""

    posting = models.ForeignKey(
        "postings.Posting",
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="monthly_notes",
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    days_present = models.PositiveSmallIntegerField(_("出勤天数"))
    days_absent = models.PositiveSmallIntegerField(_("缺勤天数"), default=0)
    days_leave = models.PositiveSmallIntegerField(_("请假天数"), default=0)
    work_done = models.TextField(_("工作完成情况"))
    conduct = models.TextField(_("纪律作风表现"))
    comment = models.TextField(_("领导评语"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MonthlyNoteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("月小结")
        verbose_name_plural = _("月小结")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["posting", "month"],
                name="monthly_note_one_per_month",
                violation_error_message=_("该月的月小结已经填报过。"),
            ),
            models.CheckConstraint(
                name="monthly_note_month_first_day",
                condition=Q(month__day=1),
                violation_error_message=_("月份须为该月第一天。"),
            ),
            models.CheckConstraint(
                name="monthly_note_days_fit_month",
                violation_error_message=_("出勤、缺勤、请假天数合计超过该月天数。"),
                condition=Q(
                    days_present__lte=31
                    - models.F("days_absent")
                    - models.F("days_leave")
                ),
            ),
        ]

    def __str__(self):
        return f"{self.posting.cadre.name} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("cadres:note_edit", args=[self.pk])
