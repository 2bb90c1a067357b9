import datetime as dt
import json

from django import forms
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cadres.forms import DateInput
from cadres.lookups import LookupField
from cadres.models import Rank, Role, Unit

from . import facets
from .models import (
    DEFAULT_TERMS,
    Assignment,
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
    category_hints,
)
from .rules import TEAM_LIMIT


def unit_tree_label(unit: Unit) -> str:
    return "\u3000" * unit.depth + unit.name


class UnitTreeChoiceField(forms.ModelChoiceField):
    """Units indented by depth, so the options read as the unit tree."""

    def label_from_instance(self, obj):
        return unit_tree_label(obj)


OVERRIDE_HELP = format_lazy(
    _(
        "违反软性规则（同一单位班子同期挂职干部超过{n}名；非平职或低一职安排；挂职类型与单位层级不符，即下派不到下级、上派不到上级、外派不出所在市）时须填写理由，理由将与您的姓名一并记录在挂职上。"
    ),
    n=TEAM_LIMIT,
)


class PostingForm(forms.ModelForm):
    override_reason = forms.CharField(
        label=_("例外理由"),
        required=False,
        help_text=OVERRIDE_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Posting
        fields = [
            "cadre",
            "batch",
            "kind",
            "sending_unit",
            "receiving_unit",
            "title",
            "category",
            "post_rank",
            "start_date",
            "planned_end_date",
            "mentor",
            "portfolio",
            "predecessor",
        ]
        widgets = {"start_date": DateInput(), "planned_end_date": DateInput()}
        help_texts = {
            "title": _("如：乡镇长助理、党委副书记、第一书记、局长助理"),
            "planned_end_date": _("留空则按岗位类别的默认期限（批次可另行设定）计算"),
            "predecessor": _("接力式挂职：同一接收单位的上一任挂职干部"),
        }

    cadre = LookupField("cadres", label=_("干部"))
    # Any unit may send or receive (outward postings leave the jurisdiction);
    # the rules check that one side lies inside it.
    sending_unit = LookupField("units", label=_("派出单位"))
    receiving_unit = LookupField("units", label=_("接收单位"))
    # The relay rules (same host, not self, begun, one successor) are the
    # service's; the lookup only keeps the choice in scope.
    predecessor = LookupField("postings", label=_("接力前任"), required=False)
    # No default: the category sets the default term. Left empty, the service
    # infers it where title and unit make it certain, or asks (post_category).
    category = forms.ChoiceField(
        label=_("岗位类别"),
        choices=[("", _("请选择")), *PostCategory.choices],
        required=False,
        help_text=_(
            "决定默认期限。输入挂任职务后会给出建议；不选时按挂任职务和接收单位判断，"
            "判断不了会请您选择。"
        ),
    )

    class Media:
        js = ["js/post_category.js"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cadre", "sending_unit", "receiving_unit", "predecessor"):
            field = self.fields[name]
            field.queryset = field.source.choices(user)
        self.fields["batch"].queryset = Batch.objects.visible_to(user)
        self.fields["planned_end_date"].required = False
        # The words the suggestion script looks for as the title is typed.
        self.fields["title"].widget.attrs["data-category-hints"] = json.dumps(
            category_hints(), ensure_ascii=False
        )

    def _post_clean(self):
        # The rules run in the service, with created_by and the dates in place.
        pass


class PostingFilterForm(forms.Form):
    q = forms.CharField(label=_("干部姓名或职务"), required=False)
    # The batches in scope as (pk, name) choices: one plain query, no instances.
    batch = forms.TypedChoiceField(
        label=_("批次"), coerce=int, required=False, empty_value=None
    )
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
    region = LookupField("units", label=_("接收地区/单位"), required=False)
    sending_unit = LookupField("jurisdiction", label=_("派出单位"), required=False)
    start_from = forms.DateField(
        label=_("开始日期自"), required=False, widget=DateInput()
    )
    start_to = forms.DateField(label=_("至"), required=False, widget=DateInput())
    ending_within = forms.IntegerField(
        label=_("N天内到期"), required=False, min_value=0, max_value=3650
    )
    # Either unit in the subtree, as org staff's scope reads it (the
    # statistics pages' jurisdiction filter).
    within = LookupField("jurisdiction", label=_("管辖范围(含下级)"), required=False)
    # Facet values picked on a statistics page (postings.facets), "key:value".
    f = forms.MultipleChoiceField(
        required=False, widget=forms.MultipleHiddenInput, choices=()
    )
    # The postings outside the TOP_ROWS values of a breakdown the statistics
    # page lists one by one (its "其余" row, postings.facets.exclude_top).
    rest = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[("", "")] + [(key, facets.FACETS[key].label) for key in facets.RANKED],
    )
    # The filters a statistics page never sets: `rest` ranks the values over
    # the rows the other filters select (as the page did), and these narrow
    # the list within that "其余" (a status tab, a name searched).
    NOT_SELECTION = ("q", "status", "ending_within", "f", "rest")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["f"].valid_value = lambda value: facets.parse(value) is not None
        self.fields["batch"].choices = [
            ("", "---------"),
            *Batch.objects.visible_to(user).values_list("pk", "name"),
        ]
        # Org staff and the admin filter by unit; others are offered none.
        self.offers_units = user.role in (Role.ORG_STAFF, Role.ADMIN)
        for name in ("region", "sending_unit", "within"):
            field = self.fields[name]
            field.queryset = (
                field.source.choices(user) if self.offers_units else Unit.objects.none()
            )

    def picked_facets(self) -> list[str]:
        """The statistics page's picks this list is filtered by, as they read."""
        self.is_valid()
        tokens = getattr(self, "cleaned_data", {}).get("f") or []
        picked = [facets.describe(facets.parse(token)) for token in tokens]
        if rest := getattr(self, "cleaned_data", {}).get("rest"):
            picked.append(
                _("%(facet)s：前%(n)d名以外（其余）")
                % {"facet": facets.FACETS[rest].label, "n": facets.TOP_ROWS}
            )
        return picked

    def filter(self, qs, *, today, ignore: tuple[str, ...] = ()):
        """Apply every filter whose value is valid; a bad one is dropped, not all."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        data = {
            name: None if name in ignore else cleaned.get(name) for name in self.fields
        }
        if q := (data["q"] or "").strip():
            qs = qs.filter(Q(cadre__name__icontains=q) | Q(title__icontains=q))
        for name in ("batch", "kind", "status", "sending_unit"):
            if data[name]:
                qs = qs.filter(**{name: data[name]})
        if data["region"]:
            region = Unit.objects.subtree(data["region"]).values("pk")
            qs = qs.filter(receiving_unit__in=region)
        if data["start_from"]:
            qs = qs.filter(start_date__gte=data["start_from"])
        if data["start_to"]:
            qs = qs.filter(start_date__lte=data["start_to"])
        if data["within"]:
            qs = qs.filter(Posting.in_subtree_q(data["within"]))
        if data["f"]:
            picks = [facets.parse(token) for token in data["f"]]
            qs = facets.apply(qs, picks, today=today)
        if data["rest"]:
            # The top values of the scoped selection, whatever `qs` is.
            selection = self.filter(
                Posting.objects.visible_to(self.user),
                today=today,
                ignore=self.NOT_SELECTION,
            )
            qs = facets.exclude_top(qs, data["rest"], selection, today=today)
        if data["ending_within"] is not None:
            horizon = today + dt.timedelta(days=data["ending_within"])
            qs = qs.filter(
                status=Posting.Status.ACTIVE,
                planned_end_date__gte=today,
                planned_end_date__lte=horizon,
            )
        return qs


class TransitionForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DateInput())
    reason = forms.CharField(label=_("原因/说明"), required=False, max_length=300)


class ExtensionForm(forms.Form):
    new_end_date = forms.DateField(label=_("新结束日期"), widget=DateInput())
    reason = forms.CharField(label=_("延期原因"), max_length=300)
    approver = forms.CharField(label=_("批准人/批准文号"), max_length=100)


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["kind", "unit", "title", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    unit = LookupField("units", label=_("单位"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.select_related("parent")

    def _post_clean(self):
        pass  # checked by the service against the posting


class BatchForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("挂职类型"),
        choices=Posting.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Batch
        fields = [
            "name",
            "year",
            "unit",
            "kinds",
            "planned_count",
            "mobilised_on",
            "exam_weight",
            "notes",
        ]
        widgets = {
            "mobilised_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    unit = LookupField(
        "jurisdiction",
        label=_("组织单位"),
        help_text=Batch._meta.get_field("unit").help_text,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.ADMIN:
            self.fields["unit"].queryset = self.fields["unit"].source.choices(user)
        else:
            del self.fields["unit"]  # always the staff member's own jurisdiction
        terms = self.instance.terms or {}
        for category, label in PostCategory.choices:
            self.fields[f"term_{category}"] = forms.IntegerField(
                label=_("默认期限(月)：%(c)s") % {"c": label},
                min_value=1,
                max_value=60,
                initial=terms.get(category, DEFAULT_TERMS[category]),
            )

    def clean(self):
        data = super().clean()
        data["terms"] = {
            c: data.pop(f"term_{c}")
            for c, _l in PostCategory.choices
            if f"term_{c}" in data
        }
        return data

    def _post_clean(self):
        pass  # batch_save validates with the unit in place


class NominationForm(forms.Form):
    cadre = LookupField("cadres", label=_("干部"))
    source = forms.ChoiceField(label=_("推荐方式"), choices=Nomination.Source.choices)
    recommender = forms.CharField(
        label=_("推荐人/单位"), required=False, max_length=100
    )

    def __init__(self, *args, user, reserve_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        if reserve_only:
            self.fields["cadre"] = LookupField("reserve_cadres", label=_("干部"))
        field = self.fields["cadre"]
        field.queryset = field.source.choices(user)


class ScoreForm(forms.Form):
    exam_score = forms.DecimalField(
        label=_("笔试"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    interview_score = forms.DecimalField(
        label=_("面试"), min_value=0, max_value=100, decimal_places=2, required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("结果"),
        choices=[
            (Nomination.Decision.SELECTED, _("选中")),
            (Nomination.Decision.REJECTED, _("未选中")),
        ],
    )
    reason = forms.CharField(label=_("理由"), max_length=300)


class OpenPostForm(forms.ModelForm):
    receiving_unit = LookupField("units", label=_("接收单位"))

    class Meta:
        model = OpenPost
        fields = [
            "receiving_unit",
            "title",
            "kind",
            "category",
            "rank",
            "speciality",
            "capacity",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiving_unit"].queryset = Unit.objects.select_related("parent")
        self.fields["rank"].initial = Rank.DEPUTY_SECTION

    def _post_clean(self):
        pass  # saved by the service with its batch
