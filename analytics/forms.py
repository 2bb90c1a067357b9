import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.forms import DateInput
from cadres.lookups import LookupField
from postings.models import Batch, Posting

from .models import ExchangeRecord


class StatsFilterForm(forms.Form):
    """The statistics pages' filters; `params()` turns them into the postings
    list's own parameters, which select the rows and ride on every link."""

    within = LookupField("jurisdiction", label=_("管辖范围(含下级)"), required=False)
    year = forms.IntegerField(
        label=_("年度"), required=False, min_value=2000, max_value=2100
    )
    start_from = forms.DateField(label=_("日期自"), required=False, widget=DateInput())
    start_to = forms.DateField(label=_("至"), required=False, widget=DateInput())
    batch = forms.TypedChoiceField(
        label=_("批次"), coerce=int, required=False, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("挂职类型"),
        choices=[("", _("全部类型")), *Posting.Kind.choices],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].queryset = self.fields["within"].source.choices(user)
        self.fields["batch"].choices = [
            ("", _("全部批次")),
            *Batch.objects.visible_to(user).values_list("pk", "name"),
        ]

    def values(self) -> dict:
        """Each filter's value, None where it is missing or malformed."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        values = {name: cleaned.get(name) or None for name in self.fields}
        if values["year"] and not (values["start_from"] or values["start_to"]):
            values["start_from"] = dt.date(values["year"], 1, 1)
            values["start_to"] = dt.date(values["year"], 12, 31)
        return values

    def params(self) -> list[tuple[str, str]]:
        values = self.values()
        out = []
        if values["within"]:
            out.append(("within", str(values["within"].pk)))
        for name in ("batch", "kind"):
            if values[name]:
                out.append((name, str(values[name])))
        for name in ("start_from", "start_to"):
            if values[name]:
                out.append((name, values[name].isoformat()))
        return out


class ExchangeFilterForm(forms.Form):
    within = LookupField("jurisdiction", label=_("管辖范围(含下级)"), required=False)
    year = forms.IntegerField(
        label=_("年度"), required=False, min_value=2000, max_value=2100
    )
    reference = forms.DateField(
        label=_("基准日期"),
        required=False,
        widget=DateInput(),
        help_text=_("默认：本年度为今天，往年为12月31日"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].queryset = self.fields["within"].source.choices(user)

    def values(self, today: dt.date) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        year = cleaned.get("year") or today.year
        reference = cleaned.get("reference")
        if reference is None or reference.year != year:
            reference = today if year == today.year else dt.date(year, 12, 31)
        return {"within": cleaned.get("within"), "year": year, "reference": reference}


class ExchangeForm(forms.Form):
    cadre = LookupField("cadres", label=_("干部"))
    kind = forms.ChoiceField(label=_("交流方式"), choices=ExchangeRecord.Kind.choices)
    on = forms.DateField(label=_("交流日期"), widget=DateInput())
    to_unit = LookupField("jurisdiction", label=_("新单位"))
    to_post = forms.CharField(label=_("新职务"), max_length=100)
    to_is_leader = forms.BooleanField(label=_("新职务为领导职务"), required=False)
    reason = forms.CharField(
        label=_("交流原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cadre", "to_unit"):
            self.fields[name].queryset = self.fields[name].source.choices(user)
