"""The dossier's records (一人一档): what is filed about a posting.

Each kind is its own model, tied to a posting and through it to the cadre.
The tables keep the names they had in the `cadres` app (`db_table`), where
these models lived until the apps were layered (cadres <- postings <- records
<- assessment).
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cadres.models import Unit
from postings.models import Posting, count_in_scope


class PostingRecordQuerySet(models.QuerySet):
    """Records reached through their posting: the posting's scope is theirs."""

    def visible_to(self, user):
        return self.filter(Posting.scope_q(user, prefix="posting__"))

    def count_visible(self, user) -> int:
        """How many of these records `user` may see (postings.models.count_in_scope)."""
        parts = Posting.scope_parts(user, prefix="posting__")
        return count_in_scope(self, parts)[()]


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
    learning = models.TextField(_("学习收获"), blank=True)
    conduct = models.TextField(_("纪律作风表现"))
    comment = models.TextField(_("领导评语"), blank=True)
    # Optimistic lock: a save must name the version it started from.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PostingRecordQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="cadres_historicalmonthlynote"
    )

    class Meta:
        db_table = "cadres_monthlynote"
        verbose_name = _("月小结")
        verbose_name_plural = _("月小结")
        ordering = ["-month", "pk"]
        # The note list's default order: the first page is an index walk.
        indexes = [models.Index(fields=["-month", "-id"], name="note_newest_first")]
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


class NoteMonthLock(models.Model):
    """Org staff close a month: their jurisdiction's notes for it become read-only."""

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("管辖范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("为空表示全部单位（系统管理员锁定）"),
    )
    month = models.DateField(_("月份"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("锁定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("锁定时间"), auto_now_add=True)

    class Meta:
        db_table = "cadres_notemonthlock"
        verbose_name = _("月小结锁定")
        verbose_name_plural = _("月小结锁定")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month"],
                name="note_month_lock_once",
                violation_error_message=_("该月已经锁定。"),
            ),
            models.CheckConstraint(
                name="note_month_lock_first_day",
                condition=Q(month__day=1),
                violation_error_message=_("月份须为该月第一天。"),
            ),
        ]

    def __str__(self):
        return f"{self.unit or _('全部单位')} {self.month:%Y-%m}"

    def covers(self, posting) -> bool:
        if self.unit_id is None:
            return True
        return posting.sending_unit.path.startswith(
            self.unit.path
        ) or posting.receiving_unit.path.startswith(self.unit.path)


# --- Dossier records (一人一档) ----------------------------------------------
# Each kind is its own model, tied to a posting and through it to the cadre.
# Nothing here is ever deleted: every foreign key protects, the admin offers
# no delete, and the kinds DOMAIN.md names keep a history of every change.


class PostingRecord(models.Model):
    """A record about one posting, filed by one user."""

    posting = models.ForeignKey(
        "postings.Posting",
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PostingRecordQuerySet.as_manager()

    class Meta:
        abstract = True


class WorkLog(PostingRecord):
    """日记录: the cadre's own daily log; the cadre writes, others read."""

    date = models.DateField(_("日期"))
    content = models.TextField(_("工作内容"))

    class Meta:
        db_table = "cadres_worklog"
        verbose_name = _("日记录")
        verbose_name_plural = _("日记录")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["posting", "date"],
                name="worklog_one_per_day",
                violation_error_message=_("这一天的日记录已经写过，请修改已有的那篇。"),
            )
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}"


class Report(PostingRecord):
    """The cadre's written reports, each filling one due slot of the posting."""

    class Kind(models.TextChoices):
        SEMIANNUAL = "semiannual", _("半年书面汇报")
        RESEARCH = "research", _("调研报告")
        FINAL_SUMMARY = "final_summary", _("期满工作总结")
        SELF_REVIEW = "self_review", _("述职报告")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    due_date = models.DateField(_("应交日期"))

    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="cadres_historicalreport"
    )

    class Meta:
        db_table = "cadres_report"
        verbose_name = _("汇报材料")
        verbose_name_plural = _("汇报材料")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["posting", "kind", "due_date"],
                name="report_one_per_slot",
                violation_error_message=_("这一期的材料已经提交过。"),
            ),
            models.CheckConstraint(
                name="report_kind_valid",
                condition=Q(
                    kind__in=["semiannual", "research", "final_summary", "self_review"]
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.title}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(Posting.scope_q(user, prefix="report__posting__"))


class Attachment(models.Model):
    """A file of a report, stored under a generated name outside static files."""

    report = models.ForeignKey(
        Report,
        verbose_name=_("汇报材料"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_name = models.CharField(
        _("存储文件名"), max_length=64, unique=True, editable=False
    )
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        db_table = "cadres_attachment"
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("cadres:attachment", args=[self.pk])


class Talk(PostingRecord):
    """谈心谈话: who talked with whom, when, what came of it."""

    talked_on = models.DateField(_("谈话日期"))
    talker = models.CharField(_("谈话人"), max_length=100)
    talkee = models.CharField(_("谈话对象"), max_length=100)
    content = models.TextField(_("谈话内容"))
    outcome = models.TextField(_("谈话结果"), blank=True)
    follow_up = models.TextField(_("后续跟进"), blank=True)

    class Meta:
        db_table = "cadres_talk"
        verbose_name = _("谈心谈话")
        verbose_name_plural = _("谈心谈话")
        ordering = ["-talked_on", "-pk"]

    def __str__(self):
        return f"{self.talker} → {self.talkee} {self.talked_on:%Y-%m-%d}"


class SymposiumQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A symposium shows where one of its attendees' postings is in scope."""
        seen = SymposiumAttendance.objects.filter(
            Posting.scope_q(user, prefix="posting__"), symposium=OuterRef("pk")
        )
        return self.filter(Exists(seen))


class Symposium(models.Model):
    """座谈会: a meeting of cadres on posting; on every attendee's dossier."""

    held_on = models.DateField(_("召开日期"))
    title = models.CharField(_("会议名称"), max_length=200)
    host = models.CharField(_("主持人/主办单位"), max_length=100)
    minutes = models.TextField(_("会议纪要"))
    attendees = models.ManyToManyField(
        "postings.Posting",
        verbose_name=_("参会挂职干部"),
        through="SymposiumAttendance",
        related_name="symposia",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    objects = SymposiumQuerySet.as_manager()

    class Meta:
        db_table = "cadres_symposium"
        verbose_name = _("座谈会")
        verbose_name_plural = _("座谈会")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return self.title


class SymposiumAttendance(models.Model):
    symposium = models.ForeignKey(
        Symposium,
        verbose_name=_("座谈会"),
        on_delete=models.PROTECT,
        related_name="attendances",
    )
    posting = models.ForeignKey(
        "postings.Posting",
        verbose_name=_("挂职"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = PostingRecordQuerySet.as_manager()

    class Meta:
        db_table = "cadres_symposiumattendance"
        verbose_name = _("参会记录")
        verbose_name_plural = _("参会记录")
        constraints = [
            models.UniqueConstraint(
                fields=["symposium", "posting"], name="symposium_attend_once"
            )
        ]

    def __str__(self):
        return f"{self.symposium} · {self.posting_id}"


class Training(PostingRecord):
    """培训: a short course attended during the posting."""

    name = models.CharField(_("培训名称"), max_length=200)
    organiser = models.CharField(_("主办单位"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    hours = models.PositiveSmallIntegerField(_("学时"), null=True, blank=True)
    result = models.TextField(_("培训情况"), blank=True)

    class Meta:
        db_table = "cadres_training"
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="training_dates_in_order",
                condition=Q(end_date__gte=models.F("start_date")),
                violation_error_message=_("结束日期不能早于开始日期。"),
            )
        ]

    def __str__(self):
        return self.name


class Commendation(PostingRecord):
    """表扬: praise or an award."""

    awarded_on = models.DateField(_("日期"))
    title = models.CharField(_("表扬/奖励"), max_length=200)
    issuer = models.CharField(_("授予单位"), max_length=100)
    description = models.TextField(_("主要事迹"), blank=True)

    class Meta:
        db_table = "cadres_commendation"
        verbose_name = _("表扬")
        verbose_name_plural = _("表扬")
        ordering = ["-awarded_on", "-pk"]

    def __str__(self):
        return self.title


class FollowUpVisit(PostingRecord):
    """回访: the sending unit's visit after the posting has ended."""

    visited_on = models.DateField(_("回访日期"))
    visitors = models.CharField(_("回访人员"), max_length=200)
    findings = models.TextField(_("回访情况"))
    feedback = models.TextField(_("派出单位意见"), blank=True)

    class Meta:
        db_table = "cadres_followupvisit"
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["-visited_on", "-pk"]

    def __str__(self):
        return f"{self.visited_on:%Y-%m-%d} {self.visitors}"


class SupportNeed(PostingRecord):
    """后勤保障: a practical or family difficulty, followed until resolved."""

    class Category(models.TextChoices):
        HOUSING = "housing", _("住房")
        TRANSPORT = "transport", _("交通")
        TRAVEL = "travel", _("差旅费用")
        SPOUSE_JOB = "spouse_job", _("配偶工作")
        SCHOOL = "school", _("子女入学")
        ELDER_CARE = "elder_care", _("老人照料")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待解决")
        RESOLVED = "resolved", _("已解决")

    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    raised_on = models.DateField(_("提出日期"))
    description = models.TextField(_("困难和需求"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("解决情况"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解决人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    class Meta:
        db_table = "cadres_supportneed"
        verbose_name = _("后勤保障")
        verbose_name_plural = _("后勤保障")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="support_need_resolved_with_who_and_how",
                condition=Q(
                    status="open", resolved_by__isnull=True, resolved_at__isnull=True
                )
                | (
                    Q(
                        status="resolved",
                        resolved_by__isnull=False,
                        resolved_at__isnull=False,
                    )
                    & ~Q(resolution="")
                ),
                violation_error_message=_("已解决的事项须写明解决情况和解决人。"),
            )
        ]

    def __str__(self):
        return f"{self.get_category_display()}：{self.description[:20]}"


class Warning(PostingRecord):  # the glossary's name; shadows the builtin here only
    """One infraction with its points; the level follows from the period's total."""

    class Dimension(models.TextChoices):
        THOUGHT = "thought", _("思想")
        DISCIPLINE = "discipline", _("纪律")
        STYLE = "style", _("作风")

    class Level(models.TextChoices):
        NONE = "none", _("未达预警")
        BLUE = "blue", _("蓝色预警")
        YELLOW = "yellow", _("黄色预警")
        RED = "red", _("红色预警")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        REVOKED = "revoked", _("已撤销")

    dimension = models.CharField(_("方面"), max_length=20, choices=Dimension.choices)
    occurred_on = models.DateField(_("发生日期"))
    points = models.PositiveSmallIntegerField(_("扣分"))
    description = models.TextField(_("情况说明"))
    # Set by the service from the thresholds when the warning is filed.
    level = models.CharField(
        _("预警等级"), max_length=10, choices=Level.choices, editable=False
    )
    period_points = models.PositiveSmallIntegerField(
        _("周期内累计分"), default=0, editable=False
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    revoke_reason = models.CharField(_("撤销理由"), max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="cadres_historicalwarning"
    )

    class Meta:
        db_table = "cadres_warning"
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="warning_points_1_20",
                condition=Q(points__gte=1, points__lte=20),
                violation_error_message=_("扣分须在1到20分之间。"),
            ),
            models.CheckConstraint(
                name="warning_revoked_with_reason",
                condition=Q(status="active", revoked_by__isnull=True)
                | (
                    Q(status="revoked", revoked_by__isnull=False) & ~Q(revoke_reason="")
                ),
                violation_error_message=_("撤销预警须写明理由。"),
            ),
        ]
        # The home page's "new warnings" (created in the last days, newest
        # first) walk this index instead of every warning.
        indexes = [models.Index(fields=["created_at"], name="warning_created")]

    def __str__(self):
        return f"{self.get_level_display()}（{self.get_dimension_display()}）"


class AppraisalQuerySet(PostingRecordQuerySet):
    def readable_by(self, user):
        """A draft is its author's until submitted (issue 14): everyone else
        in scope sees only submitted appraisals."""
        return self.filter(Q(status="submitted") | Q(author_id=user.pk))

    def visible_to(self, user):
        return super().visible_to(user).readable_by(user)


class Appraisal(PostingRecord):
    """组织鉴定: the receiving unit's formal appraisal; read-only once submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    political = models.TextField(_("政治思想表现"))
    performance = models.TextField(_("工作实绩"))
    conduct = models.TextField(_("作风纪律"))
    overall = models.TextField(_("综合鉴定意见"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    objects = AppraisalQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="cadres_historicalappraisal"
    )

    class Meta:
        db_table = "cadres_appraisal"
        verbose_name = _("组织鉴定")
        verbose_name_plural = _("组织鉴定")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["posting"],
                name="appraisal_one_per_posting",
                violation_error_message=_("该挂职已有组织鉴定。"),
            ),
            models.CheckConstraint(
                name="appraisal_submitted_at_when_submitted",
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.posting_id} {self.get_status_display()}"
