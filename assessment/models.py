"""考核: templates (方案), rounds (轮次), assessments, evaluations and ballots.

A template's rules live in an immutable, numbered `TemplateVersion.config`
(see `assessment.config` for its shape and validation); a round keeps the
version it started with. Scores are computed by `assessment.scoring` (pure)
and stored on the assessment when the round closes, so a closed round never
changes, whatever happens to warnings or templates afterwards.

Ballots are anonymous by construction: a `Ballot` row has a random primary
key, its group and the day it was cast, nothing else about the rater; a
`BallotCode` records only that it has been used, not when or by which ballot.
A ballot cast while its session is open waits as a `PendingBallot`, written in
the same transaction as its code (so neither can be lost without the other);
closing the session moves the pending ballots into `Ballot` in a random order
in one transaction, so no row order, id or transaction id of a `Ballot` says
which code cast it. None of these models keeps history (history rows would
carry timestamps).
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Dimension(models.TextChoices):
    """德、能、勤、绩、廉 — fixed codes; a template sets their weights."""

    DE = "de", _("德")
    NENG = "neng", _("能")
    QIN = "qin", _("勤")
    JI = "ji", _("绩")
    LIAN = "lian", _("廉")


class Source(models.TextChoices):
    """Who scores: the three default sources, and the self-review when weighted."""

    HOST = "host", _("接收单位评价")
    DEMOCRATIC = "democratic", _("民主测评")
    ORG = "org", _("组织部考核")
    SELF = "self", _("述职评议")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


# Best first; caps and thresholds compare positions in this order.
GRADE_ORDER = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT]


class TemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Org staff see templates of their jurisdiction and of units above it
        (a province's template serves its counties); admins see all."""
        from cadres.models import Role, ancestor_paths

        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self
        if role == Role.ORG_STAFF:
            path = user.unit.path
            return self.filter(unit__path__in=ancestor_paths(path)) | self.filter(
                unit__path__startswith=path
            )
        return self.none()


class Template(models.Model):
    """考核方案: a named scheme; its rules are in its versions."""

    name = models.CharField(_("方案名称"), max_length=100)
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("制定单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assessment:template_detail", args=[self.pk])


class TemplateVersion(models.Model):
    """One immutable version of a template's rules (never edited, only added)."""

    template = models.ForeignKey(
        Template,
        verbose_name=_("考核方案"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("版本号"))
    config = models.JSONField(_("规则"))
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案版本")
        verbose_name_plural = _("方案版本")
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"],
                name="template_version_unique_number",
                violation_error_message=_("该方案已有此版本号。"),
            ),
            models.CheckConstraint(
                name="template_version_number_positive", condition=Q(number__gte=1)
            ),
        ]

    def __str__(self):
        return f"{self.template.name} v{self.number}"


class RoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rounds `user` manages (`jurisdiction_q`). A posting moved out of
        the round's unit after it was added stays in the round, but out of
        sight: the round's pages read its assessments through
        `Assessment.objects.visible_to`."""
        from cadres.models import jurisdiction_q

        return self.filter(jurisdiction_q(user))


class Round(models.Model):
    """考核轮次: one assessment per posting in it, under one template version."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("平时考核")
        MIDTERM = "midterm", _("中期考核")
        FINAL = "final", _("期满考核")
        ANNUAL = "annual", _("年度考核")

    class Status(models.TextChoices):
        OPEN = "open", _("筹备中")
        COLLECTING = "collecting", _("评分中")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("轮次名称"), max_length=100)
    kind = models.CharField(_("考核类型"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("组织单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    template_version = models.ForeignKey(
        TemplateVersion,
        verbose_name=_("考核方案"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    batch = models.ForeignKey(
        "postings.Batch",
        verbose_name=_("批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
    )
    period_start = models.DateField(_("考核期起"))
    period_end = models.DateField(_("考核期止"))
    # Set when collecting starts (Round.default_deadline) unless set before:
    # evaluations and ballots fall due on it (obligations, issue 17).
    deadline = models.DateField(_("截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    # Proposed by the system (mid-term / final dates reached), not yet taken
    # up by a person; org staff confirm it by moving it to collecting.
    auto_proposed = models.BooleanField(_("系统建议"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考核轮次")
        verbose_name_plural = _("考核轮次")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="round_period_ordered",
                condition=Q(period_end__gte=models.F("period_start")),
                violation_error_message=_("考核期止不能早于考核期起。"),
            ),
            models.CheckConstraint(
                name="round_closed_at_iff_closed",
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assessment:round_detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    # Days from the start of collecting that a round is given at least.
    COLLECTING_DAYS = 30

    def default_deadline(self, collecting_from):
        """The period's end, or COLLECTING_DAYS days after collecting starts
        if that is later (issue 17)."""
        return max(
            self.period_end, collecting_from + dt.timedelta(days=self.COLLECTING_DAYS)
        )

    def due_day(self):
        """The deadline, or what it would be if collecting started today."""
        return self.deadline or self.default_deadline(timezone.localdate())


class RoundEvent(models.Model):
    """A state change of a round: who, when, from, to, and why (reopen needs why)."""

    round = models.ForeignKey(
        Round,
        verbose_name=_("考核轮次"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    from_status = models.CharField(
        _("原状态"), max_length=20, choices=Round.Status.choices
    )
    to_status = models.CharField(
        _("新状态"), max_length=20, choices=Round.Status.choices
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考核轮次变更")
        verbose_name_plural = _("考核轮次变更")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="round_reopen_has_reason",
                condition=~Q(from_status="closed") | ~Q(reason=""),
                violation_error_message=_("重新开启考核须写明理由。"),
            ),
        ]

    def __str__(self):
        return f"{self.round_id} {self.from_status}→{self.to_status}"


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Through every parent that decides for `user` (DOMAIN.md, "Who uses
        it"): the posting always; for org staff, who manage rounds, the round
        as well (a county's staff do not reach a city round's assessment of
        their county's cadre). Host leaders, home contacts and cadres reach
        assessments through their postings (host evaluations, closed results
        on the dossier)."""
        from postings.models import Posting

        return self.filter(Posting.scope_q(user, prefix="posting__")).in_round_scope(
            user
        )

    def in_round_scope(self, user):
        """The round's part of `visible_to`: for org staff the round must be
        held in their jurisdiction; for everyone else the posting decides."""
        from cadres.models import Role, jurisdiction_q

        if getattr(user, "role", None) == Role.ORG_STAFF:
            return self.filter(jurisdiction_q(user, prefix="round__"))
        return self


class Assessment(models.Model):
    """考核: one posting in one round. Results are stored when the round closes.

    `detail` holds the whole computation (per source, per dimension, ballots,
    weights renormalised, cap and quota reasons) as computed at closing, so the
    results page can explain every number without recomputing it.
    """

    round = models.ForeignKey(
        Round,
        verbose_name=_("考核轮次"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    posting = models.ForeignKey(
        "postings.Posting",
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    score = models.DecimalField(
        _("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # The grade from the thresholds, before caps and quota.
    raw_grade = models.CharField(
        _("分数对应等次"), max_length=20, choices=Grade.choices, blank=True
    )
    grade = models.CharField(
        _("考核等次"), max_length=20, choices=Grade.choices, blank=True
    )
    grade_reason = models.CharField(_("等次调整原因"), max_length=300, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    detail = models.JSONField(_("计算过程"), default=dict, blank=True)

    objects = AssessmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考核")
        verbose_name_plural = _("考核")
        ordering = ["round_id", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "posting"],
                name="assessment_one_per_posting_per_round",
                violation_error_message=_("该挂职已在本轮考核中。"),
            ),
            models.CheckConstraint(
                name="assessment_score_0_100",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.posting_id}"

    def get_absolute_url(self):
        return reverse("assessment:assessment_detail", args=[self.pk])


class Evaluation(models.Model):
    """A host or organisation (or self-review) evaluation of one assessment.

    `scores` maps dimension code → score 0–100, or, when the template gives a
    dimension indicators, `indicator_scores` maps dimension code → list of
    points per indicator (the dimension's score is their sum). `comments` maps
    dimension code → text.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("考核"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    source = models.CharField(
        _("评价来源"),
        max_length=20,
        choices=[(s.value, s.label) for s in Source if s != Source.DEMOCRATIC],
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scores = models.JSONField(_("各维度得分"), default=dict)
    indicator_scores = models.JSONField(_("指标得分"), default=dict, blank=True)
    comments = models.JSONField(_("评语"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["assessment_id", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "source"],
                name="evaluation_one_per_source",
                violation_error_message=_("该考核已有此来源的评价。"),
            ),
            models.CheckConstraint(
                name="evaluation_submitted_at_when_submitted",
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id} {self.get_source_display()}"


class BallotSession(models.Model):
    """民主测评: one session per assessment, with rater groups and codes."""

    class Status(models.TextChoices):
        OPEN = "open", _("测评中")
        CLOSED = "closed", _("已结束")

    assessment = models.OneToOneField(
        Assessment,
        verbose_name=_("考核"),
        on_delete=models.PROTECT,
        related_name="ballot_session",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    min_turnout_pct = models.PositiveSmallIntegerField(_("最低参与率(%)"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("民主测评")
        verbose_name_plural = _("民主测评")
        constraints = [
            models.CheckConstraint(
                name="ballot_session_turnout_pct",
                condition=Q(min_turnout_pct__gte=0, min_turnout_pct__lte=100),
            ),
            models.CheckConstraint(
                name="ballot_session_closed_at_iff_closed",
                condition=Q(status="closed", closed_at__isnull=False)
                | Q(status="open", closed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.assessment} 民主测评"


class RaterGroup(models.Model):
    """A group of raters (领导班子成员, 中层干部, 一般干部/群众) with its weight."""

    session = models.ForeignKey(
        BallotSession,
        verbose_name=_("民主测评"),
        on_delete=models.PROTECT,
        related_name="groups",
    )
    name = models.CharField(_("测评人类别"), max_length=50)
    weight = models.PositiveSmallIntegerField(_("权重(%)"))
    size = models.PositiveSmallIntegerField(_("发放票数"))
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("测评人组")
        verbose_name_plural = _("测评人组")
        ordering = ["session_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "name"], name="rater_group_unique_name"
            ),
            models.CheckConstraint(
                name="rater_group_weight_0_100",
                condition=Q(weight__gte=0, weight__lte=100),
            ),
            models.CheckConstraint(
                name="rater_group_size_1_500", condition=Q(size__gte=1, size__lte=500)
            ),
        ]

    def __str__(self):
        return self.name


class BallotCode(models.Model):
    """A one-time code on a printed slip. Records that it was used, never when."""

    group = models.ForeignKey(
        RaterGroup,
        verbose_name=_("测评人组"),
        on_delete=models.PROTECT,
        related_name="codes",
    )
    code = models.CharField(_("测评码"), max_length=16, unique=True)
    used = models.BooleanField(_("已使用"), default=False)

    class Meta:
        verbose_name = _("测评码")
        verbose_name_plural = _("测评码")
        ordering = ["group_id", "pk"]

    def __str__(self):
        return self.code


class PendingBallot(models.Model):
    """A ballot cast while its session is open, with the same fields as `Ballot`.

    Written in the transaction that spends its code, so it can be tied to the
    code (by transaction id, row order) for as long as it exists; the session's
    close moves it into `Ballot` and deletes it (`assessment.ballots`).
    """

    id = models.UUIDField(
        _("编号"), primary_key=True, default=uuid.uuid4, editable=False
    )
    group = models.ForeignKey(
        RaterGroup,
        verbose_name=_("测评人组"),
        on_delete=models.PROTECT,
        related_name="pending_ballots",
    )
    cast_on = models.DateField(_("投票日期"))
    grades = models.JSONField(_("各维度等次"))
    comment = models.TextField(_("意见建议"), blank=True)

    class Meta:
        verbose_name = _("待汇总测评票")
        verbose_name_plural = _("待汇总测评票")

    def __str__(self):
        return f"{self.group_id} {self.cast_on}"


class Ballot(models.Model):
    """One cast ballot: grades per dimension and a comment, nothing about who.

    Written only when its session closes, together with all the session's other
    ballots in a random order: random primary key, the day only, no user, no
    IP, no code, and the closing transaction's id rather than the casting one's.
    """

    id = models.UUIDField(
        _("编号"), primary_key=True, default=uuid.uuid4, editable=False
    )
    group = models.ForeignKey(
        RaterGroup,
        verbose_name=_("测评人组"),
        on_delete=models.PROTECT,
        related_name="ballots",
    )
    cast_on = models.DateField(_("投票日期"))
    grades = models.JSONField(_("各维度等次"))
    comment = models.TextField(_("意见建议"), blank=True)

    class Meta:
        verbose_name = _("测评票")
        verbose_name_plural = _("测评票")

    def __str__(self):
        return f"{self.group_id} {self.cast_on}"
