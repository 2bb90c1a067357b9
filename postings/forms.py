from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cadres.forms import DateInput
from cadres.models import Cadre, Unit

from .models import Posting


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = [
            "cadre",
            "kind",
            "sending_unit",
            "receiving_unit",
            "title",
            "start_date",
            "planned_end_date",
            "status",
        ]
        widgets = {"start_date": DateInput(), "planned_end_date": DateInput()}
        help_texts = {"title": _("如：乡镇长助理、党委副书记、第一书记、局长助理")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = Cadre.objects.visible_to(user).select_related(
            "unit"
        )
        self.fields["cadre"].label_from_instance = lambda c: (
            f"{c.name}（{c.unit.name}）"
        )
        # Any unit may receive (outward postings leave the jurisdiction); the
        # service checks that one side lies inside it.
        for name in ("sending_unit", "receiving_unit"):
            self.fields[name].queryset = Unit.objects.all()
            # Indented by depth: the options read as the unit tree.
            self.fields[name].label_from_instance = lambda u: (
                "\u3000" * u.depth + u.name
            )

    def _post_clean(self):
        # midterm_date and created_by are set by the service; model-level
        # checks run there, with them in place.
        pass


class PostingFilterForm(forms.Form):
    q = forms.CharField(label=_("干部姓名或职务"), required=False)
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[("", _("全部类型"))] + list(Posting.Kind.choices),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[("", _("全部状态"))] + list(Posting.Status.choices),
        required=False,
    )
    start_from = forms.DateField(
        label=_("开始日期自"), required=False, widget=DateInput()
    )
    start_to = forms.DateField(label=_("至"), required=False, widget=DateInput())

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if q := data["q"].strip():
            qs = qs.filter(Q(cadre__name__icontains=q) | Q(title__icontains=q))
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["start_from"]:
            qs = qs.filter(start_date__gte=data["start_from"])
        if data["start_to"]:
            qs = qs.filter(start_date__lte=data["start_to"])
        return qs
