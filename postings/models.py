import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cadres.models import Cadre, Rank, Role, Unit, jurisdiction_q, subtree_q

from . import rules


def midpoint(start: dt.date, end: dt.date) -> dt.date:
    return start + (end - start) / 2


class PostCategory(models.TextChoices):
    """Kinds of post that set the default term (DOMAIN.md rule 4)."""

    COUNTY_ASSISTANT = "county_assistant", _("县(区)长助理")
    TOWNSHIP_LEADER = "township_leader", _("乡镇党委副书记/乡镇长助理")
    VILLAGE = "village", _("村任职(第一书记等)")
    CITY_ORGAN = "city_organ", _("市直机关局长/主任助理、副科长")
    ENTERPRISE = "enterprise", _("企业厂长(经理)助理")
    UPWARD_STUDY = "upward_study", _("上级机关跟班学习")
    OTHER = "other", _("其他")


# Months per post category (seed 002 and 004); a batch may override each.
DEFAULT_TERMS = {
    PostCategory.COUNTY_ASSISTANT: 12,
    PostCategory.TOWNSHIP_LEADER: 12,
    PostCategory.VILLAGE: 12,
    PostCategory.CITY_ORGAN: 6,
    PostCategory.ENTERPRISE: 6,
    PostCategory.UPWARD_STUDY: 6,
    PostCategory.OTHER: 12,
}


# Words of a title that point to a post category, and the kinds of receiving
# unit where the category can hold.
ORGAN_KINDS = ("organ", "institution")
_CATEGORY_HINTS = [
    (("县长助理", "区长助理"), PostCategory.COUNTY_ASSISTANT, ("region", *ORGAN_KINDS)),
    (("第一书记", "驻村", "村"), PostCategory.VILLAGE, ("village", "township")),
    (
        ("党委副书记", "镇长助理", "乡长助理", "副镇长", "副乡长"),
        PostCategory.TOWNSHIP_LEADER,
        ("township",),
    ),
    (("厂长助理", "经理助理"), PostCategory.ENTERPRISE, ("enterprise",)),
    (("跟班学习",), PostCategory.UPWARD_STUDY, ("region", *ORGAN_KINDS)),
    (
        ("局长助理", "主任助理", "副科长", "处长助理", "科长助理"),
        PostCategory.CITY_ORGAN,
        ORGAN_KINDS,
    ),
]


def category_hints() -> list[tuple[list[str], str]]:
    """The title words of each category, as the form's suggestion script reads
    them (it knows the title only; the server decides with the unit too)."""
    return [(list(words), str(category)) for words, category, _k in _CATEGORY_HINTS]


def infer_category(title: str, unit_kind: str = "") -> str | None:
    """The post category of a title at a receiving unit of `unit_kind`, where
    that is certain; None where it is not and the user must choose.

    The category sets the default term (DOMAIN.md rule 4; seed 002: 县(区)长助理、
    乡镇党委副书记或乡镇长助理一年，市直机关局长(主任)助理或副科长、企业厂长(经理)
    助理半年; seed 004: village posts a year). A village unit is a village post
    whatever the title; otherwise exactly one category's words must occur in
    the title and fit the unit's kind (an unknown kind, "", fits any).
    """
    if unit_kind == "village":
        return PostCategory.VILLAGE
    found = {
        category
        for words, category, kinds in _CATEGORY_HINTS
        if any(word in title for word in words)
        and (not unit_kind or unit_kind in kinds)
    }
    return found.pop() if len(found) == 1 else None


def guess_category(title: str, unit_kind: str = "") -> str:
    """infer_category, or 其他 where it is not certain: for generated data
    (the demo), never for what a user enters."""
    return infer_category(title, unit_kind) or PostCategory.OTHER


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(jurisdiction_q(user))


class BatchChildQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(jurisdiction_q(user, prefix="batch__"))


class NominationQuerySet(BatchChildQuerySet):
    def visible_to(self, user):
        """A nomination hangs from its batch and its cadre: both in scope. The
        cadre is tested per nomination (a batch holds hundreds), not by
        listing every cadre in scope (a province holds tens of thousands)."""
        cadre_seen = cadres_visible_to(user).filter(pk=OuterRef("cadre_id"))
        return super().visible_to(user).filter(Exists(cadre_seen))


class Batch(models.Model):
    """批次: a wave of postings decided together, owned by one jurisdiction."""

    name = models.CharField(_("批次名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="batches",
        help_text=_("负责本批次的组织部所在单位（管辖范围）"),
    )
    kinds = models.JSONField(_("挂职类型"), default=list)
    planned_count = models.PositiveIntegerField(_("计划人数"), default=0)
    terms = models.JSONField(
        _("默认期限(月)"), default=dict, blank=True, help_text=_("按岗位类别")
    )
    mobilised_on = models.DateField(_("动员日期"), null=True, blank=True)
    exam_weight = models.PositiveSmallIntegerField(_("笔试权重(%)"), default=50)
    notes = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["-year", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="batch_exam_weight_percent",
                condition=Q(exam_weight__lte=100),
                violation_error_message=_("笔试权重须在0到100之间。"),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("postings:batch_detail", args=[self.pk])

    def term_months(self, category: str) -> int:
        return int(self.terms.get(category) or DEFAULT_TERMS.get(category, 12))

    @property
    def interview_weight(self) -> int:
        return 100 - self.exam_weight

    def kind_labels(self) -> str:
        labels = dict(Posting.Kind.choices)
        return "、".join(str(labels.get(k, k)) for k in self.kinds)


class Nomination(models.Model):
    """A candidate in a batch, with how they entered it and the decision."""

    class Source(models.TextChoices):
        SELF = "self", _("个人自荐")
        MASS = "mass", _("群众推荐")
        ORGANISATION = "organisation", _("组织推荐")

    class Decision(models.TextChoices):
        PENDING = "pending", _("待定")
        SELECTED = "selected", _("选中")
        REJECTED = "rejected", _("未选中")

    batch = models.ForeignKey(
        Batch,
        verbose_name=_("批次"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    cadre = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("推荐方式"), max_length=20, choices=Source.choices)
    recommender = models.CharField(_("推荐人/单位"), max_length=100, blank=True)
    exam_score = models.DecimalField(
        _("笔试成绩"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    interview_score = models.DecimalField(
        _("面试成绩"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    decision = models.CharField(
        _("结果"), max_length=20, choices=Decision.choices, default=Decision.PENDING
    )
    decision_reason = models.CharField(_("理由"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = NominationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("推荐人选")
        verbose_name_plural = _("推荐人选")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "cadre"],
                name="nomination_once_per_batch",
                violation_error_message=_("该干部已在本批次的人选中。"),
            ),
            models.CheckConstraint(
                name="nomination_scores_0_100",
                condition=(
                    Q(exam_score__isnull=True)
                    | Q(exam_score__gte=0, exam_score__lte=100)
                )
                & (
                    Q(interview_score__isnull=True)
                    | Q(interview_score__gte=0, interview_score__lte=100)
                ),
                violation_error_message=_("成绩须在0到100之间。"),
            ),
        ]

    def __str__(self):
        return f"{self.batch} · {self.cadre}"


class OpenPost(models.Model):
    """A post a batch offers at a receiving unit (the placement assistant's input)."""

    batch = models.ForeignKey(
        Batch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="posts"
    )
    receiving_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("接收单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("挂任职务"), max_length=100)
    kind = models.CharField(
        _("挂职类型"),
        max_length=20,
        choices=[
            ("outward", _("外派")),
            ("downward", _("下派")),
            ("upward", _("上派")),
        ],
    )
    category = models.CharField(
        _("岗位类别"), max_length=30, choices=PostCategory.choices
    )
    rank = models.PositiveSmallIntegerField(_("岗位职级"), choices=Rank.choices)
    speciality = models.CharField(_("需要的专业"), max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(_("人数"), default=1)

    objects = BatchChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="open_post_capacity_positive",
                condition=Q(capacity__gte=1),
                violation_error_message=_("人数至少为1。"),
            )
        ]

    def __str__(self):
        return f"{self.receiving_unit}{self.title}"


def count_in_scope(qs, parts: tuple[Q, Q | None], *by: str) -> Counter:
    """Rows of `qs` within a scope's parts (Posting.scope_parts), keyed by the
    values of the `by` fields (by () with none): all rows within the scope less
    the few beyond it, each counted from an index."""
    within, beyond = parts

    def tally(rows) -> Counter:
        if not by:
            return Counter({(): rows.count()})
        # COUNT(*), not COUNT(id): an index holding the `by` columns then
        # answers alone (an index-only scan on PostgreSQL).
        grouped = rows.order_by().values_list(*by).annotate(n=models.Count("*"))
        return Counter({tuple(row[:-1]): row[-1] for row in grouped})

    counts = tally(qs.filter(within))
    if beyond is not None:
        counts -= tally(qs.filter(within & beyond))
    return counts


class PostingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(Posting.scope_q(user))

    def count_visible(self, user, *by: str) -> Counter:
        """How many of these postings `user` may see, per value of `by`."""
        return count_in_scope(self, Posting.scope_parts(user), *by)

    def active(self):
        return self.filter(status=Posting.Status.ACTIVE)


class Posting(models.Model):
    """挂职: one secondment of one cadre."""

    class Kind(models.TextChoices):
        OUTWARD = "outward", _("外派")
        DOWNWARD = "downward", _("下派")
        UPWARD = "upward", _("上派")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟派")
        ACTIVE = "active", _("在岗")
        COMPLETED = "completed", _("期满")
        ENDED_EARLY = "ended_early", _("提前结束")
        # A proposal withdrawn before 到岗: kept, with the reason, never begun.
        WITHDRAWN = "withdrawn", _("已撤回")

    cadre = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    kind = models.CharField(_("挂职类型"), max_length=20, choices=Kind.choices)
    sending_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("派出单位"),
        on_delete=models.PROTECT,
        related_name="sent_postings",
    )
    receiving_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("接收单位"),
        on_delete=models.PROTECT,
        related_name="received_postings",
    )
    title = models.CharField(_("挂任职务"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    planned_end_date = models.DateField(_("计划结束日期"))
    # Derived from the two dates by the services and stored, indexed, because
    # date arithmetic in F() expressions silently matches nothing on SQLite.
    midterm_date = models.DateField(_("中期考核日期"), editable=False, db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
    )
    category = models.CharField(
        _("岗位类别"),
        max_length=30,
        choices=PostCategory.choices,
        default=PostCategory.OTHER,
    )
    post_rank = models.PositiveSmallIntegerField(
        _("岗位职级"), choices=Rank.choices, null=True, blank=True
    )
    mentor = models.CharField(_("帮带领导"), max_length=100, blank=True)
    portfolio = models.CharField(_("分管领域/联系部门"), max_length=300, blank=True)
    open_post = models.ForeignKey(
        OpenPost,
        verbose_name=_("批次岗位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
    )
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("接力前任"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor",
    )
    ended_on = models.DateField(_("实际结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PostingQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("挂职")
        verbose_name_plural = _("挂职")
        ordering = ["-start_date", "-pk"]
        constraints = [
            # Rule 1: one posting in progress per cadre, decided by the database.
            models.UniqueConstraint(
                fields=["cadre"],
                condition=Q(status="active"),
                name="posting_one_active_per_cadre",
                violation_error_message=_("该干部已有一项在岗的挂职。"),
            ),
            models.CheckConstraint(
                name="posting_end_after_start",
                violation_error_message=_("计划结束日期必须晚于开始日期。"),
                condition=Q(planned_end_date__gt=models.F("start_date")),
            ),
            models.CheckConstraint(
                name="posting_midterm_within_term",
                condition=Q(midterm_date__gte=models.F("start_date"))
                & Q(midterm_date__lte=models.F("planned_end_date")),
            ),
            models.CheckConstraint(
                name="posting_status_valid",
                condition=Q(
                    status__in=[
                        "proposed",
                        "active",
                        "completed",
                        "ended_early",
                        "withdrawn",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="posting_ended_on_when_ended",
                condition=Q(
                    status__in=["proposed", "active", "withdrawn"],
                    ended_on__isnull=True,
                )
                | Q(status__in=["completed", "ended_early"], ended_on__isnull=False),
                violation_error_message=_("已结束的挂职须有实际结束日期。"),
            ),
            models.CheckConstraint(
                name="posting_not_own_predecessor",
                condition=~Q(predecessor=models.F("pk")),
            ),
            models.CheckConstraint(
                name="posting_kind_valid",
                condition=Q(kind__in=["outward", "downward", "upward"]),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "midterm_date"]),
            # The home page's "ending soon": active postings by planned end.
            models.Index(fields=["status", "planned_end_date"], name="posting_ending"),
            # The lists' default order: the first page is an index walk.
            models.Index(fields=["-start_date", "-id"], name="posting_newest_first"),
            # Counts per status and kind in scope read this index, not the rows.
            models.Index(
                fields=["status", "kind", "sending_unit", "receiving_unit"],
                name="posting_status_units",
            ),
            # The few postings beyond a top-level jurisdiction (scope_parts):
            # found through the receiving units outside it and tested on the
            # sending unit in the index itself; the status (the list's counts)
            # and the id (the reminders' join) come with it, so PostgreSQL
            # reads no rows.
            models.Index(
                fields=["receiving_unit", "sending_unit", "status", "id"],
                name="posting_beyond_scope",
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.receiving_unit} {self.title}"

    def get_absolute_url(self):
        return reverse("postings:detail", args=[self.pk])

    @staticmethod
    def scope_q(user, prefix: str = "", *, joined: bool = False) -> Q:
        """The postings `user` may see, as a filter on `prefix` + Posting fields.

        Notes, reminders and exports reach postings through it. `joined`
        (Posting.scope_parts): for a query that holds few rows already.
        """
        within, beyond = Posting.scope_parts(user, prefix, joined=joined)
        return within if beyond is None else within & ~beyond

    @staticmethod
    def in_subtree_q(unit, prefix: str = "") -> Q:
        """Postings whose sending or receiving unit lies in `unit`'s subtree:
        what org staff of `unit` see, and what a round held by `unit` covers."""
        # Unit ids as a subquery: the planner tests the postings' own unit
        # columns instead of joining both units and matching paths per row.
        inside = Unit.objects.subtree(unit).values("pk")
        return Q(**{f"{prefix}sending_unit__in": inside}) | Q(
            **{f"{prefix}receiving_unit__in": inside}
        )

    @staticmethod
    def scope_parts(
        user, prefix: str = "", *, joined: bool = False
    ) -> tuple[Q, Q | None]:
        """The one place that decides posting scope: the postings `user` may
        see are those matching `within` and not `beyond` (None: nothing).

        `beyond` is set where it holds few rows: a top-level jurisdiction sees
        all postings but those whose two units both lie outside it. Testing
        those few units lets a list walk its order index, and a count is the
        count of all less the count beyond (`count_in_scope`).

        `joined`: the same postings, org staff's tested through joins of the
        posting's two units (their paths) instead of unit-id subqueries, for
        a query that holds few rows before the scope is tested (one user's
        reminders, on every page): the subqueries help a long list, but cost
        Django about 0.6 ms each to build and compile.
        """
        role = getattr(user, "role", None)
        if not getattr(user, "is_authenticated", False) or role is None:
            return Q(pk__in=[]), None
        if role == Role.ADMIN:
            return Q(), None
        if role == Role.ORG_STAFF:
            if joined:
                return subtree_q(user.unit, f"{prefix}sending_unit__") | subtree_q(
                    user.unit, f"{prefix}receiving_unit__"
                ), None
            if user.unit.parent_id is None:
                outside = Unit.objects.beyond(user.unit).values("pk")
                beyond = Q(sending_unit__in=outside) & Q(receiving_unit__in=outside)
                if not prefix:
                    return Q(), beyond
                # Records reached through their posting test the few postings
                # beyond as one list (read through the postings' unit
                # indexes), not each record's posting against the units.
                beyond_ids = Posting.objects.filter(beyond).values("pk")
                return Q(), Q(**{f"{prefix}in": beyond_ids})
            return Posting.in_subtree_q(user.unit, prefix), None
        if role == Role.HOST_LEADER:
            # The host's access follows the posting: none while it is only
            # proposed; from activation on; once it has ended, read-only and
            # only until the host's appraisal (组织鉴定) is submitted.
            ended = [Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY]
            return Q(**{f"{prefix}receiving_unit_id": user.unit_id}) & (
                Q(**{f"{prefix}status": Posting.Status.ACTIVE})
                | (
                    Q(**{f"{prefix}status__in": ended})
                    & ~Q(**{f"{prefix}appraisals__status": "submitted"})
                )
            ), None
        if role == Role.HOME_CONTACT:
            return Q(**{f"{prefix}sending_unit_id": user.unit_id}), None
        if role == Role.CADRE:
            return Q(**{f"{prefix}cadre_id": user.cadre_id}), None
        return Q(pk__in=[]), None

    def set_midterm_date(self) -> None:
        self.midterm_date = midpoint(self.start_date, self.planned_end_date)


# Postings that never began: no records, reviews or relay follow from them.
NOT_BEGUN = (Posting.Status.PROPOSED, Posting.Status.WITHDRAWN)


# Which cadres a user sees or manages follows the cadres' postings, so it is
# decided here, above `cadres` (apps point one way): views and services ask
# these functions, never a method on the cadre model.


def cadres_in_jurisdiction(unit: Unit, cadres: QuerySet | None = None) -> QuerySet:
    """The cadres the org staff of `unit` manage: the members of its subtree,
    and those with a posting sending or receiving in it. What a batch of
    `unit` may nominate, whoever adds the nomination."""
    cadres = Cadre.objects.all() if cadres is None else cadres
    units = Unit.objects.subtree(unit).values("pk")
    return cadres.filter(Q(unit__in=units) | _posted_in(unit))


def _posted_in(unit: Unit) -> Exists:
    """A cadre (the outer query's row) with a posting sending or receiving in
    `unit`'s subtree."""
    return Exists(
        Posting.objects.filter(Posting.in_subtree_q(unit), cadre=OuterRef("pk"))
    )


def count_cadres_visible(user, cadres: QuerySet) -> int:
    """How many of `cadres` `user` sees (cadres_visible_to). For a top-level
    jurisdiction, all of them less the few outside it: every unit lies in its
    subtree or beyond it, so a cadre outside is one of a unit beyond with no
    posting in it. Two COUNTs read from indexes, where the list's filter (a
    member OR posted) made both databases test every cadre: 3.9 -> 1.9 ms on
    SQLite, 7.7 -> 5.0 ms on PostgreSQL with the province's 20,000."""
    if getattr(user, "role", None) == Role.ORG_STAFF and user.unit.parent_id is None:
        beyond = Unit.objects.beyond(user.unit).values("pk")
        outside = cadres.filter(unit__in=beyond).exclude(_posted_in(user.unit))
        return cadres.count() - outside.count()
    return cadres_visible_to(user, cadres).count()


def cadres_visible_to(user, cadres: QuerySet | None = None) -> QuerySet:
    """Cadres with a posting the user may see, plus the members of their unit(s).

    Postings are reached through `Posting.scope_q`, so its rules (a host
    leader sees nothing of a posting that is only proposed) hold here too.
    """
    cadres = Cadre.objects.all() if cadres is None else cadres
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or role is None:
        return cadres.none()
    if role == Role.ADMIN:
        return cadres
    if role == Role.CADRE:
        return cadres.filter(pk=user.cadre_id)
    if role == Role.ORG_STAFF:
        return cadres_in_jurisdiction(user.unit, cadres)
    in_scope = Posting.objects.filter(Posting.scope_q(user), cadre=OuterRef("pk"))
    if role == Role.HOST_LEADER:
        return cadres.filter(Exists(in_scope))
    if role == Role.HOME_CONTACT:
        return cadres.filter(unit_id=user.unit_id)
    return cadres.none()


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A reminder is its recipient's, and only while its subject (the
        posting) is in their scope: whoever loses sight of a posting loses its
        reminders with it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        # A user's own reminders are few: the posting's units joined.
        return self.filter(
            Posting.scope_q(user, prefix="posting__", joined=True), recipient=user
        )

    def unread(self):
        return self.filter(read_at__isnull=True)

    def count_visible(self, user) -> int:
        """How many of these reminders `user` may see (`visible_to`), counted
        as all the user's less those whose posting lies beyond a top-level
        jurisdiction (`count_in_scope`): a join of the user's few reminders
        with every posting in scope cost PostgreSQL 10 ms on each page."""
        if not getattr(user, "is_authenticated", False):
            return 0
        mine = self.filter(recipient=user)
        return count_in_scope(mine, Posting.scope_parts(user, prefix="posting__"))[()]


class Reminder(models.Model):
    """An in-app reminder to one user about one posting's due review."""

    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("中期考核")
        FINAL = "final", _("期满考核")
        ANNUAL = "annual", _("年度评议")
        WARNING = "warning", _("预警")
        RECORD_DUE = "record_due", _("材料待交")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    posting = models.ForeignKey(
        Posting, verbose_name=_("挂职"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("到期日期"))
    message = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Decides duplicates when sweeps run twice or concurrently.
            models.UniqueConstraint(
                fields=["recipient", "posting", "kind", "due_date"],
                name="reminder_once_per_recipient",
                violation_error_message=_("该提醒已存在。"),
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.message

    def mark_read(self) -> None:
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])


class RecordedAction(models.Model):
    """Something an org staff member did to a posting: who, and when."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    class Meta:
        abstract = True


class StatusChange(RecordedAction):
    """One explicit lifecycle transition: who moved a posting, when and why."""

    posting = models.ForeignKey(
        Posting,
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="status_changes",
    )
    from_status = models.CharField(
        _("原状态"), max_length=20, choices=Posting.Status.choices
    )
    to_status = models.CharField(
        _("新状态"), max_length=20, choices=Posting.Status.choices
    )
    on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Extension(RecordedAction):
    """延期: a later end date with reason and approver; the chain is the history."""

    posting = models.ForeignKey(
        Posting,
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="extensions",
    )
    old_end_date = models.DateField(_("原结束日期"))
    new_end_date = models.DateField(_("新结束日期"))
    reason = models.CharField(_("延期原因"), max_length=300)
    approver = models.CharField(_("批准人/批准文号"), max_length=100)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        constraints = [
            models.CheckConstraint(
                name="extension_moves_end_later",
                condition=Q(new_end_date__gt=models.F("old_end_date")),
                violation_error_message=_("新结束日期须晚于原结束日期。"),
            )
        ]

    def __str__(self):
        return f"{self.old_end_date} → {self.new_end_date}"


class Assignment(RecordedAction):
    """轮岗 / 双挂双岗: a further role inside one posting."""

    class Kind(models.TextChoices):
        ROTATION = "rotation", _("轮岗")
        CONCURRENT = "concurrent", _("兼任(双挂双岗)")

    posting = models.ForeignKey(
        Posting,
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("职务"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        ordering = ["start_date", "pk"]
        verbose_name = _("岗位安排")
        verbose_name_plural = _("岗位安排")
        constraints = [
            models.CheckConstraint(
                name="assignment_dates_in_order",
                condition=Q(end_date__isnull=True)
                | Q(end_date__gt=models.F("start_date")),
                violation_error_message=_("结束日期须晚于开始日期。"),
            )
        ]

    def __str__(self):
        return f"{self.unit}{self.title}"


class RuleOverride(RecordedAction):
    """A soft rule set aside for a posting, with the reason and who gave it."""

    class Rule(models.TextChoices):
        TEAM_LIMIT = (
            "team_limit",
            format_lazy(_("同一班子挂职干部不超过{n}名"), n=rules.TEAM_LIMIT),
        )
        RANK_FIT = "rank_fit", _("平职或低一职安排")
        KIND_LEVEL = "kind_level", _("下派到下级、上派到上级、外派到市外")

    posting = models.ForeignKey(
        Posting,
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="overrides",
    )
    rule = models.CharField(_("规则"), max_length=20, choices=Rule.choices)
    detail = models.CharField(_("情况"), max_length=300)
    reason = models.CharField(_("理由"), max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("规则例外")
        verbose_name_plural = _("规则例外")

    def __str__(self):
        return self.get_rule_display()
