"""Forms of the dossier's records."""

import datetime as dt

from django import forms
from django.conf import settings
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from cadres.forms import DateInput
from cadres.lookups import LookupField, LookupMultipleField
from cadres.models import Cadre, Role, Unit
from cadres.policy import role_may_use
from guazhi.dates import add_months
from postings.models import Posting
from records import attachments

from .host_write import HostWrite, host_write_refusal
from .models import (
    Appraisal,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    Report,
    SupportNeed,
    Symposium,
    Talk,
    Training,
    Warning,
    WorkLog,
)


class MonthField(forms.DateField):
    """A month (its first day). Within 2000-01..2099-12, so that the pages
    counting months on from it (add_months) never reach the year 10000."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(format="%Y-%m", attrs={"type": "month"})
    first, last = dt.date(2000, 1, 1), dt.date(2099, 12, 1)

    def to_python(self, value):
        result = super().to_python(value)
        return result.replace(day=1) if isinstance(result, dt.date) else result

    def validate(self, value):
        super().validate(value)
        if value and not self.first <= value <= self.last:
            raise forms.ValidationError(
                _("月份须在%(first)s至%(last)s之间。"),
                code="out_of_range",
                params={"first": f"{self.first:%Y-%m}", "last": f"{self.last:%Y-%m}"},
            )


class MonthlyNoteForm(forms.ModelForm):
    month = MonthField(label=_("月份"), help_text=_("格式：2026-05"))

    class Meta:
        model = MonthlyNote
        fields = [
            "month",
            "days_present",
            "days_absent",
            "days_leave",
            "work_done",
            "learning",
            "conduct",
            "comment",
        ]
        widgets = {
            "work_done": forms.Textarea(attrs={"rows": 4}),
            "learning": forms.Textarea(attrs={"rows": 3}),
            "conduct": forms.Textarea(attrs={"rows": 3}),
            "comment": forms.Textarea(attrs={"rows": 3}),
        }


class MonthlyNoteEditForm(MonthlyNoteForm):
    """The version the edit started from travels with the form (optimistic lock)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def rebase(self, version: int) -> None:
        """After a conflict: the user's text stays, the next save builds on `version`."""
        self.data = self.data.copy()
        self.data["version"] = str(version)


class NoteMonthLockForm(forms.Form):
    month = MonthField(label=_("月份"))


class NoteFilterForm(forms.Form):
    """The note list's filters: a month (last month unless asked; all months
    when emptied), the receiving unit with the units under it, the cadre.

    A malformed value is shown as an error beside its field and that filter
    falls back (the month to last month, the others to none): never a 500.
    """

    month = MonthField(label=_("月份"), required=False)
    unit = LookupField("jurisdiction", label=_("接收单位（含下级）"), required=False)
    cadre = LookupField("cadres", label=_("干部"), required=False)

    def __init__(self, data, *, user, today: dt.date):
        self.default_month = add_months(today.replace(day=1), -1)
        if "month" not in data:
            data = data.copy()
            data["month"] = f"{self.default_month:%Y-%m}"
        super().__init__(data)
        # The pickers suggest through cadres:lookup: offered to whoever may
        # use it; the other roles see few postings and filter by month alone.
        self.offers_lookups = role_may_use(user.role, "cadres:lookup")
        for name, model in (("unit", Unit), ("cadre", Cadre)):
            field = self.fields[name]
            field.queryset = (
                field.source.choices(user)
                if self.offers_lookups
                else model.objects.none()
            )

    @cached_property
    def filters(self) -> dict:
        """month (None: all months), unit and cadre, each valid or dropped."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        month = self.default_month if "month" in self.errors else cleaned["month"]
        return {
            "month": month,
            "unit": cleaned.get("unit"),
            "cadre": cleaned.get("cadre"),
        }

    def posting_q(self, prefix: str = "") -> Q:
        """The unit and cadre filters on `prefix` + Posting fields."""
        q = Q()
        if unit := self.filters["unit"]:
            q &= Q(**{f"{prefix}receiving_unit__path__startswith": unit.path})
        if cadre := self.filters["cadre"]:
            q &= Q(**{f"{prefix}cadre": cadre})
        return q


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class RecordForm(forms.ModelForm):
    """A record form; `initial_for` gives the defaults of a new record."""

    @classmethod
    def initial_for(cls, posting: Posting, user) -> dict:
        """Every date starts as today."""
        today = timezone.localdate()
        return {
            name: today
            for name, field in cls.base_fields.items()
            if isinstance(field.widget, forms.DateInput)
        }


class WorkLogForm(RecordForm):
    class Meta:
        model = WorkLog
        fields = ["date", "content"]
        widgets = {"date": DateInput(), "content": _rows(8)}


class TalkForm(RecordForm):
    class Meta:
        model = Talk
        fields = ["talked_on", "talker", "talkee", "content", "outcome", "follow_up"]
        widgets = {
            "talked_on": DateInput(),
            "content": _rows(5),
            "outcome": _rows(3),
            "follow_up": _rows(3),
        }

    @classmethod
    def initial_for(cls, posting, user) -> dict:
        return super().initial_for(posting, user) | {
            "talker": str(user),
            "talkee": posting.cadre.name,
        }


class TrainingForm(RecordForm):
    class Meta:
        model = Training
        fields = ["name", "organiser", "start_date", "end_date", "hours", "result"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "result": _rows(3),
        }


class CommendationForm(RecordForm):
    class Meta:
        model = Commendation
        fields = ["awarded_on", "title", "issuer", "description"]
        widgets = {"awarded_on": DateInput(), "description": _rows(4)}


class FollowUpVisitForm(RecordForm):
    class Meta:
        model = FollowUpVisit
        fields = ["visited_on", "visitors", "findings", "feedback"]
        widgets = {
            "visited_on": DateInput(),
            "findings": _rows(5),
            "feedback": _rows(3),
        }


class SupportNeedForm(RecordForm):
    class Meta:
        model = SupportNeed
        fields = ["category", "raised_on", "description"]
        widgets = {"raised_on": DateInput(), "description": _rows(4)}


class SupportResolveForm(forms.Form):
    resolution = forms.CharField(label=_("解决情况"), widget=_rows(4))


class WarningForm(RecordForm):
    class Meta:
        model = Warning
        fields = ["dimension", "occurred_on", "points", "description"]
        widgets = {"occurred_on": DateInput(), "description": _rows(4)}
        help_texts = {"points": _("1到20分；周期内累计分数决定预警等级。")}


class WarningRevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=300, widget=_rows(3))


class AppraisalForm(forms.ModelForm):
    class Meta:
        model = Appraisal
        fields = ["political", "performance", "conduct", "overall"]
        widgets = {name: _rows(4) for name in fields}


class UploadField(forms.FileField):
    """An optional attachment, refused here already when its content is wrong."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("附件"),
            required=False,
            help_text=_("可选。允许 %(types)s，不超过 %(mb)s MB；按文件内容识别类型。")
            % {
                "types": attachments.ALLOWED_TEXT,
                "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
            },
            **kwargs,
        )

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            attachments.check_upload(upload)
        return upload


class ReportForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("类型"))
    upload = UploadField()

    class Meta:
        model = Report
        fields = ["kind", "title", "body"]
        widgets = {"body": _rows(10)}

    def __init__(self, *args, slots: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (
                kind,
                _("%(kind)s（应交 %(due)s）")
                % {"kind": Report.Kind(kind).label, "due": f"{due:%Y-%m-%d}"},
            )
            for kind, due in slots.items()
        ]


class ReportEditForm(forms.ModelForm):
    upload = UploadField()

    class Meta:
        model = Report
        fields = ["title", "body"]
        widgets = {"body": _rows(10)}


class SymposiumForm(forms.ModelForm):
    """Attendees are typed and picked (a multi lookup), not ticked in a list
    of every posting in scope; the box's suggestions and the check on save
    use the same choices."""

    attendees = LookupMultipleField(
        "postings",
        label=_("参会挂职干部"),
        suggest_url=reverse_lazy("cadres:symposium_create"),
        help_text=_(
            "输入姓名，从出现的列表中选择，可选多人；也可直接输入姓名，用“、”分开。"
        ),
        error_messages={
            "invalid_choice": _(
                "“%(value)s”不是可选的参会挂职：只能选择您可以登记记录的挂职"
                "（不含拟派），请从输入时出现的列表中选择。"
            ),
        },
    )

    class Meta:
        model = Symposium
        fields = ["held_on", "title", "host", "minutes", "attendees"]
        widgets = {"held_on": DateInput(), "minutes": _rows(6)}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["attendees"]
        field.queryset = field.source.choices(user)  # in scope, not proposed
        if user.role == Role.HOST_LEADER:  # only what the host-write rule allows
            field.queryset = field.queryset.filter(
                pk__in=[
                    p.pk
                    for p in field.queryset
                    if not host_write_refusal(p, user, what=HostWrite.RECORD)
                ]
            )
