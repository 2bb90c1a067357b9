from django import forms
from django.utils.translation import gettext_lazy as _

from .dossier import KINDS


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
