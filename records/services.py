"""Filing and changing the dossier's records: every write goes through
here, under the host-write rule and the month locks."""

import datetime as dt
from collections import Counter

from constance import config
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cadres.models import Role, User
from guazhi.dates import month_days
from postings.models import NOT_BEGUN, Posting, Reminder
from postings.services import jurisdiction_staff_ids, reminders_send
from records import attachments, rules

from .host_write import HostWrite, require_host_write
from .models import (
    Appraisal,
    Attachment,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    NoteMonthLock,
    Report,
    SupportNeed,
    Symposium,
    SymposiumAttendance,
    Talk,
    Training,
    Warning,
    WorkLog,
)


def _check_note(note: MonthlyNote) -> None:
    posting = note.posting
    errors = {}
    if posting.status in NOT_BEGUN:
        raise ValidationError(
            "该挂职尚未到岗（拟派）或已撤回，不能填报月小结。", code="not_started"
        )
    first_of_posting = posting.start_date.replace(day=1)
    if note.month < first_of_posting or note.month > posting.planned_end_date:
        errors["month"] = "月份不在该挂职的期限内。"
    if note.month > timezone.localdate().replace(day=1):
        errors["month"] = "不能填报未来月份的月小结。"
    total = note.days_present + note.days_absent + note.days_leave
    if total > month_days(note.month):
        errors["days_present"] = (
            f"出勤、缺勤、请假合计{total}天，超过该月的{month_days(note.month)}天。"
        )
    if errors:
        raise ValidationError(errors)


def _save_note(note: MonthlyNote) -> MonthlyNote:
    _check_note(note)
    note.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"month": f"{note.month:%Y年%m月}的月小结已经填报过，请修改已有的那份。"},
            code="duplicate_note",
        ) from exc
    return note


def monthly_note_file(*, posting, author, **fields) -> MonthlyNote:
    require_host_write(posting, author, what=HostWrite.NOTE, month=fields.get("month"))
    note = MonthlyNote(posting=posting, author=author, **fields)
    note._history_user = author
    return _save_note(note)


def _month_locks(month: dt.date) -> list[NoteMonthLock]:
    return list(
        NoteMonthLock.objects.filter(month=month).select_related("unit", "locked_by")
    )


def note_locked(note: MonthlyNote, locks: list[NoteMonthLock] | None = None) -> str:
    """Why `note` may no longer be edited today, or "" while it may."""
    if locks is None:
        locks = _month_locks(note.month)
    return rules.note_lock_reason(note, locks, timezone.localdate())


EDIT_CONFLICT = "保存前，这份月小结已被修改过。已保存的版本显示在上方；您填写的内容仍保留在表单中，请对照后再次保存，或放弃修改。"


@transaction.atomic
def monthly_note_update(*, note: MonthlyNote, by: User, version: int, **fields):
    """Save an edit that started from `version`; a newer save meanwhile is a conflict.

    The row is locked while it is compared, so of two saves from the same
    version exactly one wins and the other gets the conflict: nothing is lost.
    """
    current = (
        MonthlyNote.objects.select_for_update()
        .select_related("posting__sending_unit", "posting__receiving_unit")
        .get(pk=note.pk)
    )
    if current.author_id != by.pk:
        raise ValidationError("只有填报人本人可以修改这份月小结。", code="not_author")
    locks = _month_locks(current.month)
    require_host_write(
        current.posting, by, what=HostWrite.NOTE, month=current.month, locks=locks
    )
    if reason := note_locked(current, locks):
        raise ValidationError(reason, code="locked")
    if current.version != version:
        raise ValidationError(EDIT_CONFLICT, code="edit_conflict")
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current._history_user = by
    _save_note(current)
    note.version = current.version
    return current


@transaction.atomic
def note_month_lock(*, month: dt.date, by: User) -> NoteMonthLock:
    """Org staff close a month for their jurisdiction (an admin: for everyone)."""
    month = month.replace(day=1)
    if month >= timezone.localdate().replace(day=1):
        raise ValidationError({"month": "只能锁定已经结束的月份。"}, code="not_ended")
    unit = by.unit if by.role == Role.ORG_STAFF else None
    lock, created = NoteMonthLock.objects.get_or_create(
        unit=unit, month=month, defaults={"locked_by": by}
    )
    if not created:
        raise ValidationError(
            {
                "month": f"{month:%Y年%m月}已于{timezone.localtime(lock.locked_at):%Y-%m-%d}锁定。"
            },
            code="already_locked",
        )
    return lock


def _term_rule(*, field: str, label: str, not_after_today: bool = True):
    """A check that a record's date lies in its posting's term (and not ahead)."""

    def check(record) -> None:
        day, posting = getattr(record, field), record.posting
        if day is None:
            return
        if day < posting.start_date:
            raise ValidationError({field: f"{label}不能早于挂职开始日期。"})
        if not_after_today and day > timezone.localdate():
            raise ValidationError({field: f"{label}不能是将来的日期。"})

    return check


def _not_proposed(record) -> None:
    if record.posting.status in NOT_BEGUN:
        raise ValidationError(
            "该挂职尚未到岗（拟派）或已撤回，不能登记这项记录。", code="not_started"
        )


def _worklog_rule(record: WorkLog) -> None:
    if record.author.cadre_id != record.posting.cadre_id:
        raise ValidationError("日记录只能由挂职干部本人填写。", code="not_own")
    if record.posting.status != Posting.Status.ACTIVE:
        raise ValidationError("只有在岗期间才能写日记录。", code="not_active")
    _term_rule(field="date", label="日期")(record)


def _visit_rule(record: FollowUpVisit) -> None:
    posting = record.posting
    if posting.status not in (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY):
        raise ValidationError("挂职结束后才能登记回访。", code="not_ended")
    if record.visited_on and record.visited_on < posting.ended_on:
        raise ValidationError({"visited_on": "回访日期不能早于挂职结束日期。"})
    if record.visited_on and record.visited_on > timezone.localdate():
        raise ValidationError({"visited_on": "回访日期不能是将来的日期。"})


def _support_rule(record: SupportNeed) -> None:
    if record.posting.status == Posting.Status.WITHDRAWN:
        raise ValidationError("该挂职已撤回，不能提出保障需求。", code="withdrawn")
    if record.posting.status not in (Posting.Status.PROPOSED, Posting.Status.ACTIVE):
        raise ValidationError("挂职已经结束，不能再提出保障需求。", code="ended")
    if record.raised_on and record.raised_on > timezone.localdate():
        raise ValidationError({"raised_on": "提出日期不能是将来的日期。"})


def _all(*rules):
    def check(record) -> None:
        for rule in rules:
            rule(record)

    return check


RECORD_RULES = {
    WorkLog: _worklog_rule,
    Talk: _all(_not_proposed, _term_rule(field="talked_on", label="谈话日期")),
    Training: _all(_not_proposed, _term_rule(field="start_date", label="开始日期")),
    Commendation: _all(_not_proposed, _term_rule(field="awarded_on", label="日期")),
    FollowUpVisit: _visit_rule,
    SupportNeed: _support_rule,
}


def _save_record(record, *, by: User):
    require_host_write(record.posting, by, what=HostWrite.RECORD)
    RECORD_RULES[type(record)](record)
    record.full_clean()
    record._history_user = by
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        raise ValidationError("同样的记录已经登记过了。", code="duplicate") from exc
    return record


def record_file(*, model, posting, author: User, **fields):
    """File a plain dossier record (log, talk, training, commendation, visit, need)."""
    return _save_record(model(posting=posting, author=author, **fields), by=author)


def record_update(*, record, by: User, **fields):
    if record.author_id != by.pk:
        raise ValidationError("只有填报人本人可以修改这条记录。", code="not_author")
    for name, value in fields.items():
        setattr(record, name, value)
    return _save_record(record, by=by)


@transaction.atomic
def _settle(model, pk: int, *, status: str, refused: str, by: User, **fields):
    """Move a record to its final `status` once, recording who and when."""
    record = (
        model.objects.select_for_update(of=("self",))
        .select_related("posting")
        .get(pk=pk)
    )
    require_host_write(record.posting, by, what=HostWrite.RECORD)
    if record.status == status:
        raise ValidationError(refused, code="already_settled")
    record.status = status
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record._history_user = by
    record.save(update_fields=["status", *fields, "updated_at"])
    return record


def support_resolve(*, need: SupportNeed, by: User, resolution: str) -> SupportNeed:
    if not resolution.strip():
        raise ValidationError({"resolution": "请写明解决情况。"})
    return _settle(
        SupportNeed,
        need.pk,
        status=SupportNeed.Status.RESOLVED,
        refused="这项需求已经解决过了。",
        by=by,
        resolution=resolution.strip(),
        resolved_by=by,
        resolved_at=timezone.now(),
    )


@transaction.atomic
def attachment_add(*, report: Report, upload, by: User) -> Attachment:
    """Check the file by its content, then store it under a generated name."""
    checked = attachments.check_upload(upload)
    attachment = Attachment(
        report=report,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by,
        stored_name=attachments.store(upload),
    )
    attachment.save()
    return attachment


@transaction.atomic
def report_file(
    *, posting, author: User, kind: str, title: str, body: str, upload=None
) -> Report:
    """The cadre files a report into the next open slot of its kind."""
    if author.cadre_id != posting.cadre_id:
        raise ValidationError("汇报材料只能由挂职干部本人提交。", code="not_own")
    if posting.status in NOT_BEGUN:
        raise ValidationError("该挂职尚未到岗（拟派）或已撤回，不能提交汇报材料。")
    if upload is not None:
        attachments.check_upload(upload)  # refuse before anything is written
    filed = Counter(posting.reports.values_list("kind", flat=True))
    slots = rules.open_report_slots(posting, filed)
    if kind not in slots:
        raise ValidationError(
            {"kind": f"本次挂职的{Report.Kind(kind).label}已经全部提交。"},
            code="no_open_slot",
        )
    report = Report(
        posting=posting,
        author=author,
        kind=kind,
        title=title,
        body=body,
        due_date=slots[kind],
    )
    report.full_clean(validate_constraints=False)
    report._history_user = author
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        raise ValidationError(
            "这一期的材料刚刚已经提交过，请刷新后查看。", code="duplicate"
        ) from exc
    if upload is not None:
        attachment_add(report=report, upload=upload, by=author)
    return report


@transaction.atomic
def report_update(
    *, report: Report, by: User, title: str, body: str, upload=None
) -> Report:
    if report.author_id != by.pk:
        raise ValidationError("只有提交人本人可以修改这份材料。", code="not_author")
    if upload is not None:
        attachments.check_upload(upload)
    report.title, report.body = title, body
    report.full_clean(validate_constraints=False)
    report._history_user = by
    report.save(update_fields=["title", "body", "updated_at"])
    if upload is not None:
        attachment_add(report=report, upload=upload, by=by)
    return report


@transaction.atomic
def symposium_hold(
    *, author: User, held_on, title: str, host: str, minutes: str, attendees
) -> Symposium:
    attendees = list(attendees)
    if not attendees:
        raise ValidationError({"attendees": "请至少选择一名参会的挂职干部。"})
    if any(p.status in NOT_BEGUN for p in attendees):
        raise ValidationError({"attendees": "尚未到岗（拟派）或已撤回的挂职不能参会。"})
    for posting in attendees:
        require_host_write(posting, author, what=HostWrite.RECORD)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "召开日期不能是将来的日期。"})
    symposium = Symposium(
        held_on=held_on, title=title, host=host, minutes=minutes, author=author
    )
    symposium.full_clean()
    symposium.save()
    SymposiumAttendance.objects.bulk_create(
        SymposiumAttendance(symposium=symposium, posting=p) for p in attendees
    )
    return symposium


NOTIFIED_LEVELS = rules.SERIOUS_WARNING_LEVELS


@transaction.atomic
def warning_file(
    *, posting, author: User, dimension: str, occurred_on, points: int, description: str
) -> Warning:
    """Record an infraction; the period's points set the level; yellow and red
    notify the org staff whose jurisdiction holds the posting."""
    # Lock the posting so that two warnings at once add up correctly.
    posting = (
        Posting.objects.select_for_update(of=("self",))
        .select_related("cadre", "sending_unit", "receiving_unit")
        .get(pk=posting.pk)
    )
    warning = Warning(
        posting=posting,
        author=author,
        dimension=dimension,
        occurred_on=occurred_on,
        points=points,
        description=description,
    )
    require_host_write(posting, author, what=HostWrite.RECORD)
    _not_proposed(warning)
    _term_rule(field="occurred_on", label="发生日期")(warning)
    # The level is the cadre's as of today, this infraction included: a
    # back-dated one adds to the later ones already filed.
    in_force = [*posting.warnings.filter(status=Warning.Status.ACTIVE), warning]
    warning.period_points = rules.period_points(in_force, on=timezone.localdate())
    warning.level = rules.warning_level(warning.period_points)
    warning.full_clean()
    warning._history_user = author
    warning.save()
    if warning.level in NOTIFIED_LEVELS:
        _notify_warning(warning)
    return warning


def _notify_warning(warning: Warning) -> None:
    posting = warning.posting
    message = (
        f"{posting.cadre.name}（{posting.receiving_unit.name}{posting.title}）"
        f"达到{warning.get_level_display()}：{warning.get_dimension_display()}方面扣"
        f"{warning.points}分，{settings.WARNING_PERIOD_DAYS}天内累计{warning.period_points}分。"
    )
    recipients = jurisdiction_staff_ids(posting)
    reminders_send(
        recipient_ids=recipients,
        posting=posting,
        kind=Reminder.Kind.WARNING,
        due_date=warning.occurred_on,
        message=message,
    )
    # A second warning on the same day meets the first one's reminder (one
    # per recipient, posting, kind and day): it carries the newer level.
    Reminder.objects.filter(
        recipient_id__in=recipients,
        posting=posting,
        kind=Reminder.Kind.WARNING,
        due_date=warning.occurred_on,
    ).update(message=message[:300], read_at=None)


def warning_revoke(*, warning: Warning, by: User, reason: str) -> Warning:
    """Revoke with a reason; the warning stays in the dossier and its history."""
    if not reason.strip():
        raise ValidationError({"reason": "撤销预警须写明理由。"})
    return _settle(
        Warning,
        warning.pk,
        status=Warning.Status.REVOKED,
        refused="这条预警已经撤销过了。",
        by=by,
        revoke_reason=reason.strip(),
        revoked_by=by,
        revoked_at=timezone.now(),
    )


def appraisal_submit_from(posting: Posting) -> dt.date:
    """The first day the appraisal (组织鉴定) of `posting` may be submitted:
    `APPRAISAL_SUBMIT_DAYS_BEFORE_END` days (a setting, default 30) before
    the end of its term, its planned end or the day it ended early.

    Seed 002: 在挂职锻炼结束时……负责地做出组织鉴定. The appraisal judges the
    whole term, so it is not submitted mid-term; a draft may be written from
    the first day (issue 14).
    """
    days = config.APPRAISAL_SUBMIT_DAYS_BEFORE_END
    return rules.term_end(posting) - dt.timedelta(days=days)


def appraisal_draft_refusal(appraisal: Appraisal, user: User) -> str:
    """Why `user` may not read or change `appraisal`, or "": a draft is its
    author's until submitted (issue 14; Appraisal.objects.readable_by)."""
    if appraisal.status == Appraisal.Status.DRAFT and appraisal.author_id != user.pk:
        return (
            f"这份组织鉴定的草稿由{appraisal.author}起草，"
            "提交前只有起草人本人可以查看和修改。"
        )
    return ""


@transaction.atomic
def appraisal_save(
    *, posting, author: User, submit: bool = False, **fields
) -> Appraisal:
    """Write or revise the draft (its author only); submit it from
    `appraisal_submit_from`; once submitted the appraisal is read-only."""
    appraisal = Appraisal.objects.select_for_update().filter(
        posting=posting
    ).first() or Appraisal(posting=posting, author=author)
    if appraisal.status == Appraisal.Status.SUBMITTED:
        raise ValidationError(
            "组织鉴定已经提交，不能再修改。", code="appraisal_submitted"
        )
    if refusal := appraisal_draft_refusal(appraisal, author):
        raise ValidationError(refusal, code="not_author")
    require_host_write(posting, author, what=HostWrite.APPRAISAL)
    _not_proposed(appraisal)
    if submit and (opens := appraisal_submit_from(posting)) > timezone.localdate():
        end = rules.term_end(posting)
        raise ValidationError(
            f"组织鉴定自{opens:%Y年%m月%d日}起才能提交（挂职计划结束日期"
            f"{end:%Y年%m月%d日}前{(end - opens).days}天）。在此之前可以保存草稿。",
            code="too_early",
        )
    for name, value in fields.items():
        setattr(appraisal, name, value)
    if submit:
        appraisal.status = Appraisal.Status.SUBMITTED
        appraisal.submitted_at = timezone.now()
    appraisal.full_clean(validate_constraints=False)
    appraisal._history_user = author
    try:
        with transaction.atomic():
            appraisal.save()
    except IntegrityError as exc:
        raise ValidationError(
            "组织鉴定刚刚已由他人创建，请刷新后再修改。", code="duplicate"
        ) from exc
    return appraisal
