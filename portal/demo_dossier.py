"""Demo dossier records (一人一档) for `manage.py seed_demo`.

The demo cadre's (ganbu) active posting gets a lived-in file: daily logs,
reports, talks, a training, a commendation, support needs and warnings; a few
completed postings get their appraisal, a symposium and a follow-up visit.
Rows that keep a history are created with it, so the history pages start
with a "created" version.
"""

import datetime as dt

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from cadres.models import User
from guazhi.dates import add_months
from postings.models import Posting
from records.models import (
    Appraisal,
    Commendation,
    FollowUpVisit,
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
from records.rules import report_due_dates

LOG_TEXTS = [
    "上午参加镇党委会，研究秋冬季人居环境整治；下午到{v}走访脱贫户{n}户。",
    "陪同县农业农村局调研高标准农田建设，整理问题清单{n}条。",
    "在{v}召开村民议事会，协调土地流转纠纷，形成处理意见。",
    "对接市里农产品展销会，落实本镇{n}家合作社参展事宜。",
    "学习《乡村振兴促进法》，撰写学习笔记；晚上值班。",
    "到{v}检查防汛物资储备，督促整改隐患{n}处。",
    "参加县里招商推介会，洽谈农产品深加工项目一个。",
]


def build_dossier(b) -> int:
    """Records for the demo; `b` is the DemoBuilder. Returns how many."""
    today, rng = b.today, b.rng
    ganbu = User.objects.get(username="ganbu")
    posting = Posting.objects.select_related("receiving_unit").get(
        cadre=b.ganbu_cadre, status=Posting.Status.ACTIVE
    )
    villages = [c.name for c in posting.receiving_unit.children.all()] or ["村里"]
    day = dt.timedelta(days=1)
    logs, cursor = [], today - day
    while len(logs) < 18 and cursor >= posting.start_date:
        if cursor.weekday() < 5:
            text = rng.choice(LOG_TEXTS)
            logs.append(
                WorkLog(
                    posting=posting,
                    author=ganbu,
                    date=cursor,
                    content=text.format(v=rng.choice(villages), n=rng.randint(2, 9)),
                )
            )
        cursor -= day
    WorkLog.objects.bulk_create(logs)

    due = report_due_dates(posting)
    reports = [
        Report(
            posting=posting,
            author=ganbu,
            kind=Report.Kind.SEMIANNUAL,
            title=f"挂职第{i}个半年工作汇报",
            body="一、主要工作\n二、学习收获\n三、存在不足和下步打算",
            due_date=date,
        )
        for i, date in enumerate(due[Report.Kind.SEMIANNUAL], start=1)
        if date <= today
    ]
    if posting.midterm_date <= today:
        reports.append(
            Report(
                posting=posting,
                author=ganbu,
                kind=Report.Kind.SELF_REVIEW,
                title="中期考核述职报告",
                body="对照挂职目标，汇报半年来的履职情况。",
                due_date=posting.midterm_date,
            )
        )
    bulk_create_with_history(reports, Report, default_user=ganbu)

    leader = b.jieshou
    Talk.objects.bulk_create(
        [
            Talk(
                posting=posting,
                author=leader,
                talked_on=posting.start_date + 3 * day,
                talker=str(leader),
                talkee=b.ganbu_cadre.name,
                content="到岗谈话：介绍镇情，明确分管农业和人居环境整治。",
                outcome="明确了挂职期间的三项重点任务。",
                follow_up="每月汇报一次进展。",
            ),
            Talk(
                posting=posting,
                author=b.zuzhibu,
                talked_on=min(today, posting.midterm_date) - 5 * day,
                talker=str(b.zuzhibu),
                talkee=b.ganbu_cadre.name,
                content="了解思想动态和生活困难。",
                outcome="反映子女入学问题，已记录为保障需求。",
            ),
        ]
    )
    Training.objects.create(
        posting=posting,
        author=b.zuzhibu,
        name="全市挂职干部乡村振兴专题培训班",
        organiser="江州市委党校",
        start_date=posting.start_date + 20 * day,
        end_date=posting.start_date + 24 * day,
        hours=32,
        result="结业考试合格。",
    )
    Commendation.objects.create(
        posting=posting,
        author=leader,
        awarded_on=min(today, posting.start_date + 60 * day),
        title="防汛抢险工作表现突出",
        issuer="白沙镇党委",
        description="连续三昼夜驻守堤段，组织转移群众40余人。",
    )
    SupportNeed.objects.bulk_create(
        [
            SupportNeed(
                posting=posting,
                author=ganbu,
                category=SupportNeed.Category.HOUSING,
                raised_on=posting.start_date,
                description="需要镇上的周转宿舍。",
                status=SupportNeed.Status.RESOLVED,
                resolution="已安排镇政府周转房一间。",
                resolved_by=leader,
                resolved_at=timezone.now(),
            ),
            SupportNeed(
                posting=posting,
                author=ganbu,
                category=SupportNeed.Category.SCHOOL,
                raised_on=min(today, posting.midterm_date) - 5 * day,
                description="孩子下学期转学到镇中心小学。",
            ),
        ]
    )
    warning_day = max(posting.start_date, today - 40 * day)
    warnings = [
        Warning(
            posting=posting,
            author=leader,
            dimension=Warning.Dimension.STYLE,
            occurred_on=warning_day,
            points=2,
            description="一次例会迟到。",
            level=Warning.Level.BLUE,
            period_points=2,
        )
    ]
    bulk_create_with_history(warnings, Warning, default_user=leader)

    count = len(logs) + len(reports) + 8
    return count + _ended_postings(b) + _lock(b)


def _ended_postings(b) -> int:
    """Appraisals, one symposium and follow-up visits for completed postings."""
    done = [p for p in b.postings if p.status == Posting.Status.COMPLETED][:4]
    if not done:
        return 0
    appraisals = []
    for posting in done:
        leader = b.ensure_leader(posting.receiving_unit)
        if leader.pk is None:
            continue
        appraisals.append(
            Appraisal(
                posting=posting,
                author=leader,
                political="政治立场坚定，认真学习党的创新理论。",
                performance="牵头完成产业项目两个，群众认可度高。",
                conduct="严守纪律，作风扎实，无违规违纪情况。",
                overall="挂职期间表现优秀，同意按期结束挂职。",
                status=Appraisal.Status.SUBMITTED,
                submitted_at=timezone.now(),
            )
        )
    bulk_create_with_history(appraisals, Appraisal, default_user=b.zuzhibu)
    symposium = Symposium.objects.create(
        held_on=max(p.planned_end_date for p in done),
        title="期满挂职干部座谈会",
        host="江州市委组织部",
        minutes="交流挂职学习体会，查摆问题和不足，提出改进意见。",
        author=b.zuzhibu,
    )
    SymposiumAttendance.objects.bulk_create(
        SymposiumAttendance(symposium=symposium, posting=p) for p in done
    )
    visit = done[0]
    FollowUpVisit.objects.create(
        posting=visit,
        author=b.zuzhibu,
        visited_on=min(b.today, add_months(visit.planned_end_date, 2)),
        visitors="市委组织部干部一科",
        findings="回原单位后承担重点工作，运用挂职经验推动项目落地。",
        feedback="派出单位对挂职锻炼效果满意。",
    )
    return len(appraisals) + 1 + len(done) + 1


def _lock(b) -> int:
    month = add_months(b.today.replace(day=1), -2)
    NoteMonthLock.objects.create(unit=b.city, month=month, locked_by=b.zuzhibu)
    return 1
