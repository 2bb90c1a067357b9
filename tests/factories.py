"""factory_boy factories: valid rows with the invariants the services keep.

Units get their materialised path, cadres a valid GB 11643 ID number, postings
their stored mid-term date. Users have no usable password: tests log in with
`client.force_login`.
"""

import datetime as dt

import factory
from django.db.models import Model

from cadres import idcard
from cadres.models import Cadre, Rank, Role, Unit, User
from postings.models import Posting, Reminder
from records.models import (
    Appraisal,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    Report,
    SupportNeed,
    Symposium,
    SymposiumAttendance,
    Talk,
    Training,
    Warning,
    WorkLog,
)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Unit.Kind.ORGAN
    parent = None
    path = factory.Sequence(lambda n: f"/tmp-{n}/")

    @classmethod
    def _create(cls, model_class: type[Model], *args, **kwargs) -> Unit:
        # The path holds the row's own id: save once with a unique placeholder,
        # then derive the real path from the parent.
        unit = super()._create(model_class, *args, **kwargs)
        unit.set_path()
        unit.save(update_fields=["path", "depth"])
        return unit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.ORG_STAFF
    unit = factory.Maybe(
        factory.LazyAttribute(
            lambda o: o.role in (Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT)
        ),
        yes_declaration=factory.SubFactory(UnitFactory),
        no_declaration=None,
    )
    cadre = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == Role.CADRE),
        yes_declaration=factory.SubFactory("tests.factories.CadreFactory"),
        no_declaration=None,
    )
    password = "!unusable"  # force_login only
    is_staff = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)


def _default_birth(n: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=n % 9000)


class CadreFactory(factory.django.DjangoModelFactory):
    """A cadre with a valid ID number; birth date and gender agree with it."""

    class Meta:
        model = Cadre

    class Params:
        region = "110101"

    name = factory.Sequence(lambda n: f"干部{n}")
    gender = factory.Iterator(["M", "F"])
    birth_date = factory.Sequence(_default_birth)
    # n % 500 differs for any 500 cadres in a row, so numbers stay unique even
    # when a test gives several cadres the same birth date and gender.
    id_number = factory.LazyAttributeSequence(
        lambda o, n: idcard.make(o.region, o.birth_date, n % 500, o.gender)
    )
    unit = factory.SubFactory(UnitFactory)
    position = "科员"
    rank = Rank.SECTION
    is_reserve = False


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    cadre = factory.SubFactory(CadreFactory)
    kind = Posting.Kind.DOWNWARD
    sending_unit = factory.LazyAttribute(lambda o: o.cadre.unit)
    receiving_unit = factory.SubFactory(UnitFactory, kind=Unit.Kind.TOWNSHIP)
    title = "乡镇长助理"
    start_date = dt.date(2026, 3, 1)
    planned_end_date = factory.LazyAttribute(
        lambda o: o.start_date.replace(year=o.start_date.year + 1)
    )
    status = Posting.Status.ACTIVE
    ended_on = factory.LazyAttribute(
        lambda o: (
            o.planned_end_date
            if o.status in (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)
            else None
        )
    )
    created_by = factory.SubFactory(UserFactory, role=Role.ADMIN)

    @classmethod
    def _create(cls, model_class: type[Model], *args, **kwargs) -> Posting:
        posting = model_class(*args, **kwargs)
        posting.set_midterm_date()
        posting.save()
        return posting


class MonthlyNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyNote

    posting = factory.SubFactory(PostingFactory)
    month = factory.LazyAttribute(lambda o: o.posting.start_date.replace(day=1))
    days_present = 20
    days_absent = 0
    days_leave = 1
    work_done = "完成了驻村入户走访。"
    conduct = "遵守纪律，作风扎实。"
    author = factory.SubFactory(
        UserFactory,
        role=Role.HOST_LEADER,
        unit=factory.SelfAttribute("..posting.receiving_unit"),
    )


def posting_seen_by(user: User) -> Posting:
    """A new active posting in `user`'s scope (a reminder needs its subject in
    its recipient's scope): received by a host leader's unit, sent by a home
    contact's, the cadre's own, within an org staff's jurisdiction."""
    if user.role == Role.HOST_LEADER:
        return PostingFactory(receiving_unit=user.unit)
    if user.role == Role.HOME_CONTACT:
        return PostingFactory(cadre=CadreFactory(unit=user.unit))
    if user.role == Role.CADRE:
        return PostingFactory(cadre=user.cadre)
    if user.role == Role.ORG_STAFF:
        return PostingFactory(cadre=CadreFactory(unit=UnitFactory(parent=user.unit)))
    return PostingFactory()


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    recipient = factory.SubFactory(UserFactory)
    posting = factory.LazyAttribute(lambda o: posting_seen_by(o.recipient))
    kind = Reminder.Kind.MIDTERM
    due_date = factory.LazyAttribute(lambda o: o.posting.midterm_date)
    message = factory.LazyAttribute(
        lambda o: f"{o.posting.cadre.name}将于{o.due_date:%Y年%m月%d日}进行中期考核。"
    )


# --- Dossier records ------------------------------------------------------------


def account_for(cadre: Cadre) -> User:
    """The cadre's own login, made on first use."""
    existing = User.objects.filter(cadre=cadre).first()
    return existing or UserFactory(
        username=f"cadre{cadre.pk}", role=Role.CADRE, cadre=cadre
    )


def leader_of(posting: Posting) -> User:
    """A host leader of the posting's receiving unit, made on first use."""
    existing = User.objects.filter(
        role=Role.HOST_LEADER, unit=posting.receiving_unit
    ).first()
    return existing or UserFactory(role=Role.HOST_LEADER, unit=posting.receiving_unit)


class RecordFactory(factory.django.DjangoModelFactory):
    posting = factory.SubFactory(PostingFactory)
    author = factory.LazyAttribute(lambda o: leader_of(o.posting))


class WorkLogFactory(RecordFactory):
    class Meta:
        model = WorkLog

    author = factory.LazyAttribute(lambda o: account_for(o.posting.cadre))
    date = factory.Sequence(lambda n: dt.date(2026, 3, 1) + dt.timedelta(days=n % 300))
    content = "到村里走访了五户困难群众。"


class ReportFactory(RecordFactory):
    class Meta:
        model = Report

    author = factory.LazyAttribute(lambda o: account_for(o.posting.cadre))
    kind = Report.Kind.SEMIANNUAL
    title = "半年工作汇报"
    body = "半年来主要做了三件事。"
    due_date = factory.LazyAttribute(lambda o: o.posting.midterm_date)


class TalkFactory(RecordFactory):
    class Meta:
        model = Talk

    talked_on = factory.LazyAttribute(lambda o: o.posting.start_date)
    talker = "镇党委书记"
    talkee = factory.LazyAttribute(lambda o: o.posting.cadre.name)
    content = "谈工作打算和生活困难。"


class TrainingFactory(RecordFactory):
    class Meta:
        model = Training

    name = "乡村振兴专题培训班"
    organiser = "市委党校"
    start_date = factory.LazyAttribute(lambda o: o.posting.start_date)
    end_date = factory.LazyAttribute(lambda o: o.posting.start_date)


class CommendationFactory(RecordFactory):
    class Meta:
        model = Commendation

    awarded_on = factory.LazyAttribute(lambda o: o.posting.start_date)
    title = "防汛抢险表现突出"
    issuer = "镇党委"


class FollowUpVisitFactory(RecordFactory):
    class Meta:
        model = FollowUpVisit

    visited_on = factory.LazyAttribute(lambda o: o.posting.planned_end_date)
    visitors = "市委组织部干部科"
    findings = "回原单位后工作积极。"


class SupportNeedFactory(RecordFactory):
    class Meta:
        model = SupportNeed

    category = SupportNeed.Category.HOUSING
    raised_on = factory.LazyAttribute(lambda o: o.posting.start_date)
    description = "需要周转住房。"


class WarningFactory(RecordFactory):
    class Meta:
        model = Warning

    dimension = Warning.Dimension.DISCIPLINE
    occurred_on = factory.LazyAttribute(lambda o: o.posting.start_date)
    points = 2
    description = "无故迟到。"
    level = Warning.Level.BLUE
    period_points = factory.SelfAttribute("points")


class AppraisalFactory(RecordFactory):
    class Meta:
        model = Appraisal

    political = "政治坚定。"
    performance = "完成了招商任务。"
    conduct = "遵规守纪。"
    overall = "优秀。"


class SymposiumFactory(factory.django.DjangoModelFactory):
    """A symposium; pass `attendees=[posting, ...]`."""

    class Meta:
        model = Symposium
        skip_postgeneration_save = True

    held_on = dt.date(2026, 6, 1)
    title = "挂职干部座谈会"
    host = "市委组织部"
    minutes = "交流挂职体会。"
    author = factory.SubFactory(UserFactory)

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        for posting in extracted or ():
            SymposiumAttendance.objects.create(symposium=self, posting=posting)
