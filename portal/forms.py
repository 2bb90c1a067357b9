from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.lookups import LookupField
from cadres.models import Role, Unit
from postings.models import Batch, Posting
from records.forms import MonthField

from .dossier import KINDS

# The due months a filter may ask for: any the app's data can have.

# The roles that owe obligations, in the order the filter offers them.
OWING_ROLES = (Role.HOST_LEADER, Role.CADRE, Role.HOME_CONTACT, Role.ORG_STAFF)


class DossierFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("记录类型"), required=False)
    posting = forms.TypedChoiceField(
        label=_("挂职"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, postings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部类型"))] + [
            (k.key, k.label) for k in KINDS
        ]
        self.fields["posting"].choices = [("", _("全部挂职"))] + [
            (p.pk, f"{p.receiving_unit.name}{p.title}（{p.start_date:%Y-%m}）")
            for p in postings
        ]

    def selection(self) -> tuple[str, int | None]:
        if not self.is_valid():
            return "", None
        return self.cleaned_data["kind"], self.cleaned_data["posting"]


class ObligationFilterForm(forms.Form):
    """The obligations list's filters; a value it cannot read is no filter."""

    kind = forms.ChoiceField(label=_("事项"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    unit = LookupField("units", label=_("责任单位"), required=False)
    region = LookupField("units", label=_("挂职所在地区/单位"), required=False)
    owed_by = forms.ChoiceField(label=_("责任方"), required=False)
    due_month = MonthField(label=_("应完成月份"), required=False)
    batch = forms.TypedChoiceField(
        label=_("批次"), coerce=int, required=False, empty_value=None
    )
    mine = forms.BooleanField(label=_("只看本人负责的"), required=False)
    # From the statistics pages (analytics): hidden unless given.
    posting_kind = forms.ChoiceField(
        label=_("挂职类型"),
        choices=[("", _("全部类型")), *Posting.Kind.choices],
        required=False,
    )
    due_from = forms.DateField(label=_("应完成日期自"), required=False)
    due_to = forms.DateField(label=_("至"), required=False)

    def __init__(self, *args, user, kinds, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部事项")), *kinds]
        self.fields["status"].choices = [("", _("全部状态")), *statuses]
        self.fields["owed_by"].choices = [("", _("全部责任方"))] + [
            (role.value, role.label) for role in OWING_ROLES
        ]
        self.fields["batch"].choices = [
            ("", _("全部批次")),
            *Batch.objects.visible_to(user).values_list("pk", "name"),
        ]
        # Org staff and the admin filter by unit; others are offered none.
        self.offers_units = user.role in (Role.ORG_STAFF, Role.ADMIN)
        for name in ("unit", "region"):
            field = self.fields[name]
            field.queryset = (
                field.source.choices(user) if self.offers_units else Unit.objects.none()
            )

    def values(self) -> dict:
        """Each filter's value, None where it is missing or malformed."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or None for name in self.fields}


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label=_("免除理由"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写免除理由。")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写免除理由。"), code="required")
        return reason


class RegionForm(forms.Form):
    """The jurisdiction's compliance: a region (or unit) within the user's."""

    region = LookupField("units", label=_("地区/单位"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers_units = user.role in (Role.ORG_STAFF, Role.ADMIN)
        field = self.fields["region"]
        field.queryset = (
            field.source.choices(user) if self.offers_units else Unit.objects.none()
        )

    def chosen_region(self):
        return self.cleaned_data.get("region") if self.is_valid() else None


class ComplianceFilterForm(forms.Form):
    unit = LookupField("units", label=_("接收地区/单位"), required=False)
    batch = forms.TypedChoiceField(
        label=_("批次"), coerce=int, required=False, empty_value=None
    )
    end = MonthField(label=_("截至月份"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].choices = [
            ("", _("全部批次")),
            *Batch.objects.visible_to(user).values_list("pk", "name"),
        ]
        self.offers_units = user.role in (Role.ORG_STAFF, Role.ADMIN)
        field = self.fields["unit"]
        field.queryset = (
            field.source.choices(user) if self.offers_units else Unit.objects.none()
        )

    def values(self) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or None for name in self.fields}
