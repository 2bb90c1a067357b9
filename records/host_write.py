"""The host-write rule (接收单位的写入规则): what a host leader may still write.

The rule, as the issue states it: what a host leader (接收单位领导, role
`host_leader`) may still write after a posting ends — the appraisal (组织鉴定),
the notes of the last months within the lock window, their evaluations in a
round that is collecting (评分中) — is decided by one helper that every
service asks; everything else is refused with a message that says what is
still possible.

While the posting is active the host writes whatever its role may; while it is
only proposed (拟派) nothing. Other roles are not affected. The rule does not
read assessment rounds: the caller says whether the round is collecting.
"""

import datetime as dt
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Role
from postings.models import Posting

from .models import NoteMonthLock
from .rules import first_open_month, month_lock_reason


class HostWrite(StrEnum):
    """What a host leader writes, as the rule tells them apart."""

    APPRAISAL = "appraisal"  # 组织鉴定
    NOTE = "note"  # 月小结 of a month (without a month: of some month)
    EVALUATION = "evaluation"  # 接收单位评价 in an assessment round
    RECORD = "record"  # everything else: talks, warnings, support needs…


def ended_refusal() -> str:
    """The refusal after the end, saying what is still possible."""
    return _(
        "该挂职已结束，接收单位只能查阅记录、填写组织鉴定、在锁定期内补填或修改"
        "最后几个月的月小结，以及在评分中的考核轮次里填写和提交评价。"
    )


def host_write_refusal(
    posting: Posting,
    user,
    *,
    what: HostWrite,
    month: dt.date | None = None,
    round_collecting: bool = False,
    locks: list[NoteMonthLock] | None = None,
    today: dt.date | None = None,
) -> str:
    """Why the host-write rule refuses `user` writing `what` on `posting`, or
    "" when it allows it (and always "" for roles other than host leader).

    - APPRAISAL: once the posting is active or has ended (whether it was
      already submitted is the appraisal's own rule, `appraisal_save`).
    - NOTE: while active, any month (the note's own checks still apply);
      after the end, a month up to the end month that no lock closes yet
      (`month_lock_reason`). Without `month`: whether some month is open.
    - EVALUATION: while the round is collecting (`round_collecting`),
      whatever the posting's status.
    - RECORD (everything else): while the posting is active.

    `locks`: the month locks that may cover the months asked about, when the
    caller has read them (else they are read here, only if needed).
    """
    if getattr(user, "role", None) != Role.HOST_LEADER:
        return ""
    if what == HostWrite.EVALUATION:
        if round_collecting:
            return ""
        return _(
            "该考核轮次不在评分中，不能填写评价。接收单位只能在评分中的考核轮次里"
            "填写和提交评价。"
        )
    if posting.status == Posting.Status.ACTIVE:
        return ""
    if posting.status == Posting.Status.WITHDRAWN:
        return _("该挂职已撤回，不能填写记录。")
    if posting.status == Posting.Status.PROPOSED:
        return _("该挂职尚未到岗（拟派），接收单位到岗后才能填写记录。")
    if what == HostWrite.APPRAISAL:
        return ""
    if what == HostWrite.NOTE:
        return _note_after_end(posting, month, locks, today or timezone.localdate())
    return ended_refusal()


def _note_after_end(posting, month, locks, today) -> str:
    end_month = (posting.ended_on or posting.planned_end_date).replace(day=1)
    if month is not None:
        month = month.replace(day=1)
        if month > end_month:
            return ended_refusal()
        if locks is None:
            locks = NoteMonthLock.objects.filter(month=month).select_related(
                "unit", "locked_by"
            )
        reason = month_lock_reason(posting, month, list(locks), today)
        return f"{reason}{ended_refusal()}" if reason else ""
    # Some month still open: from the first the automatic lock leaves open
    # (and not before the posting) up to the end month.
    first = max(first_open_month(today), posting.start_date.replace(day=1))
    if locks is None:
        locks = NoteMonthLock.objects.filter(
            month__gte=first, month__lte=end_month
        ).select_related("unit", "locked_by")
    locks = list(locks)
    while first <= end_month:
        if not month_lock_reason(posting, first, locks, today):
            return ""
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return ended_refusal()


def require_host_write(posting: Posting, user, *, what: HostWrite, **details) -> None:
    """`host_write_refusal`, raised as ValidationError(code="host_read_only")."""
    if reason := host_write_refusal(posting, user, what=what, **details):
        raise ValidationError(reason, code="host_read_only")
