from django import forms
from django.utils.translation import gettext_lazy as _

from cadres import idcard
from cadres.lookups import LookupField, units_for

from .models import Cadre, Rank, Role, Unit


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
            "ethnicity",
            "political_status",
            "education",
            "position_since",
            "rank_since",
            "is_leader",
        ]
        widgets = {
            "birth_date": DateInput(),
            "position_since": DateInput(),
            "rank_since": DateInput(),
        }
        error_messages = {"id_number": {"unique": _("该身份证号已登记。")}}
        help_texts = {
            "id_number": _(
                "18位，末位可为X；出生日期和性别可留空，将按身份证号自动填写。"
            ),
        }

    unit = LookupField("jurisdiction", label=_("所在单位"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for(user).select_related("parent")
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
    unit = LookupField("jurisdiction", label=_("单位（含下级）"), required=False)
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
        # Org staff and the admin filter by unit; others are offered none.
        self.offers_units = user.role in (Role.ADMIN, Role.ORG_STAFF)
        field = self.fields["unit"]
        field.queryset = (
            field.source.choices(user) if self.offers_units else Unit.objects.none()
        )

    def id_number_query(self) -> str:
        """The text searched among ID numbers, "" when the search is by name:
        a query with a digit in it, from someone who sees ID numbers (what
        the audit trail records as a search by ID number)."""
        self.is_valid()
        q = (getattr(self, "cleaned_data", {}).get("q") or "").strip()
        if self.user.sees_full_id_numbers and any(c.isdigit() for c in q):
            return q
        return ""

    def filter(self, qs):
        """Apply every filter whose value is valid; a bad one is dropped, not all."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        data = {name: cleaned.get(name) for name in self.fields}
        if q := self.id_number_query():
            qs = qs.filter(id_number__icontains=q)
        elif q := (data["q"] or "").strip():
            qs = qs.filter(name__icontains=q)
        if data["unit"]:
            qs = qs.filter(unit__in=Unit.objects.subtree(data["unit"]).values("pk"))
        if data["rank"]:
            qs = qs.filter(rank=data["rank"])
        if data["reserve"]:
            qs = qs.filter(is_reserve=data["reserve"] == "1")
        return qs


# --- Dossier records ------------------------------------------------------------
