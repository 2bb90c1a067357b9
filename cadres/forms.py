import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from cadres import idcard
from cadres.models import Cadre, MonthlyNote, Rank, Role, Unit


def units_for(user):
    """Units a user may pick when entering data: their jurisdiction, or all."""
    if user.role == Role.ADMIN:
        return Unit.objects.all()
    return Unit.objects.subtree(user.unit)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CadreForm(forms.ModelForm):
    class Meta:
        model = Cadre
        fields = [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "unit",
            "position",
            "rank",
            "is_reserve",
            "speciality",
            "phone",
        ]
        widgets = {"birth_date": DateInput()}
        error_messages = {"id_number": {"unique": _("该身份证号已登记。")}}
        help_texts = {
            "id_number": _(
                "18位，末位可为X；出生日期和性别可留空，将按身份证号自动填写。"
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user)
        self.fields["gender"].required = False
        self.fields["birth_date"].required = False

    def clean_id_number(self):
        value = idcard.normalize(self.cleaned_data["id_number"])
        try:
            self._id_birth, self._id_gender = idcard.parse(value)
        except idcard.IdNumberError as exc:
            raise forms.ValidationError(str(exc), code="invalid_id_number") from exc
        return value

    def clean(self):
        data = super().clean()
        if not hasattr(self, "_id_birth") or "id_number" not in data:
            return data
        birth, gender = data.get("birth_date"), data.get("gender")
        if birth and birth != self._id_birth:
            self.add_error(
                "birth_date",
                _("出生日期与身份证号不一致（身份证号显示为%(d)s）。")
                % {"d": self._id_birth.strftime("%Y-%m-%d")},
            )
        if gender and gender != self._id_gender:
            self.add_error("gender", _("性别与身份证号不一致。"))
        data["birth_date"] = birth or self._id_birth
        data["gender"] = gender or self._id_gender
        return data


class CadreFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或身份证号"), required=False)
    unit = forms.ModelChoiceField(
        label=_("单位（含下级）"), queryset=Unit.objects.none(), required=False
    )
    rank = forms.TypedChoiceField(
        label=_("职级"),
        choices=[("", _("全部职级"))] + list(Rank.choices),
        coerce=int,
        required=False,
        empty_value=None,
    )
    reserve = forms.ChoiceField(
        label=_("后备干部"),
        choices=[("", _("全部")), ("1", _("是")), ("0", _("否"))],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = (
            units_for(user)
            if user.role in (Role.ADMIN, Role.ORG_STAFF)
            else Unit.objects.none()
        )

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if q := data["q"].strip():
            if self.user.sees_full_id_numbers and any(c.isdigit() for c in q):
                qs = qs.filter(id_number__icontains=q)
            else:
                qs = qs.filter(name__icontains=q)
        if data["unit"]:
            qs = qs.filter(unit__path__startswith=data["unit"].path)
        if data["rank"]:
            qs = qs.filter(rank=data["rank"])
        if data["reserve"]:
            qs = qs.filter(is_reserve=data["reserve"] == "1")
        return qs


class MonthField(forms.DateField):
    input_formats = ["%Y-%m"]
    widget = forms.DateInput(format="%Y-%m", attrs={"type": "month"})

    def to_python(self, value):
        result = super().to_python(value)
        return result.replace(day=1) if isinstance(result, dt.date) else result


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
            "conduct",
            "comment",
        ]
        widgets = {
            "work_done": forms.Textarea(attrs={"rows": 4}),
            "conduct": forms.Textarea(attrs={"rows": 3}),
            "comment": forms.Textarea(attrs={"rows": 3}),
        }
