"""Forms of 民主测评: opening a session, typing a code, filling a ballot."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .ballots import (
    COMMENT_MAX,
    DIMENSION_HINTS,
    GRADE_CHOICES,
    MAX_GROUPS,
    has_unused_characters,
    is_well_formed,
    normalise_code,
    unused_characters_message,
)
from .models import Dimension


class SessionOpenForm(forms.Form):
    """The minimum turnout and up to MAX_GROUPS rows of rater groups; a row
    left blank is no group. cleaned_data: {min_turnout_pct, groups}."""

    min_turnout_pct = forms.IntegerField(
        label=gettext_lazy("最低参与率(%)"),
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("投票数占发放票数的比例低于此值时，测评结果不予采用。"),
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_GROUPS):
            g = groups[i] if i < len(groups) else {}
            self.fields[f"g{i}_name"] = forms.CharField(
                label=_("测评人类别"),
                max_length=50,
                required=False,
                initial=g.get("name"),
            )
            self.fields[f"g{i}_weight"] = forms.IntegerField(
                label=_("权重(%)"),
                min_value=0,
                max_value=100,
                required=False,
                initial=g.get("weight"),
            )
            self.fields[f"g{i}_size"] = forms.IntegerField(
                label=_("发放票数"),
                min_value=1,
                max_value=500,
                required=False,
                initial=g.get("size"),
            )

    def rows(self):
        """Bound fields per row, for the template's table."""
        return [
            [self[f"g{i}_name"], self[f"g{i}_weight"], self[f"g{i}_size"]]
            for i in range(MAX_GROUPS)
        ]

    def clean(self):
        data = super().clean()
        groups = []
        for i in range(MAX_GROUPS):
            keys = (f"g{i}_name", f"g{i}_weight", f"g{i}_size")
            if any(k in self.errors for k in keys):
                continue
            name, weight, size = (data.get(k) for k in keys)
            name = (name or "").strip()
            if not name and weight is None and size is None:
                continue
            if not name:
                self.add_error(keys[0], _("请填写类别名称。"))
            if weight is None:
                self.add_error(keys[1], _("请填写权重。"))
            if size is None:
                self.add_error(keys[2], _("请填写发放票数。"))
            if name and weight is not None and size is not None:
                groups.append({"name": name, "weight": weight, "size": size})
        if not groups and not self.errors:
            raise forms.ValidationError(_("请至少设置一个测评人类别。"))
        return {"min_turnout_pct": data.get("min_turnout_pct"), "groups": groups}


class CodeEntryForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("测评码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX",
                "class": "form-control form-control-lg font-monospace text-center",
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if has_unused_characters(code):
            raise forms.ValidationError(unused_characters_message())
        if not is_well_formed(code):
            raise forms.ValidationError(_("测评码为8位字母和数字，请核对后重新输入。"))
        return code


class BallotForm(forms.Form):
    """One radio group per dimension the template weights, and a comment."""

    comment = forms.CharField(
        label=gettext_lazy("意见建议（选填）"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

    def __init__(self, *args, dimensions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.dimensions = list(dimensions)
        for dim in self.dimensions:
            self.fields[f"dim_{dim}"] = forms.ChoiceField(
                label=Dimension(dim).label,
                help_text=DIMENSION_HINTS[dim],
                choices=GRADE_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择等次。")},
            )

    def dimension_fields(self):
        return [self[f"dim_{d}"] for d in self.dimensions]

    def clean(self):
        data = super().clean()
        grades = {d: data.get(f"dim_{d}") for d in self.dimensions}
        return {"grades": grades, "comment": data.get("comment", "")}
