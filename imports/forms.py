from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.lookups import LookupField

from .models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("Excel 工作簿（.xlsx）或 CSV 文件；请使用本页的模板。"),
    )


class MappingForm(forms.Form):
    """One lookup field per unit name the file carries that was not found:
    the unit it stands for, for every row that carries it."""

    def __init__(self, *args, names: list[str], user, everywhere: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        source = "units" if everywhere else "jurisdiction"
        for index, name in enumerate(names):
            field = LookupField(
                source,
                label=_("“%(name)s”对应的单位") % {"name": name},
                required=False,
            )
            field.queryset = field.source.choices(user)
            self.fields[f"unit_{index}"] = field

    def chosen(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"unit_{i}"].pk
            for i, name in enumerate(self.names)
            if self.cleaned_data.get(f"unit_{i}")
        }


class CommitForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("有提示时必填：一条理由适用于所有提示。"),
    )
