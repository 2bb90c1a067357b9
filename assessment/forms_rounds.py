"""Forms for 考核方案 (the whole rule set in plain terms) and 考核轮次."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cadres.forms import DateInput
from postings.forms import UnitTreeChoiceField
from postings.models import Batch, Posting

from . import config as rules
from .models import GRADE_ORDER, Assessment, Dimension, Round, Source, Template
from .services import holding_units

GROUP_ROWS = 5  # rater-group rows on the form; blank rows are ignored
QUOTA_COHORT_CHOICES = [
    ("", _lazy("全轮统一计算")),
    ("kind", _lazy("按挂职类型分组")),
    ("rank", _lazy("按岗位职级分组")),
]
QUOTA_ROUNDING_CHOICES = [
    ("down", _lazy("向下取整（如 2.5 名为 2 名）")),
    ("half_up", _lazy("四舍五入（如 2.5 名为 3 名）")),
]
THRESHOLD_LABELS = {
    "excellent": _lazy("优秀 不低于"),
    "competent": _lazy("称职 不低于"),
    "basic": _lazy("基本称职 不低于"),
}
CAP_LABELS = {"red": _lazy("红色预警 最高评为"), "yellow": _lazy("黄色预警 最高评为")}
SOURCE_HELP = {
    Source.SELF: _lazy("填0表示述职只作参考、不计分。"),
}
INDICATOR_HELP = _lazy(
    "可不填。每行一个指标：指标名称、空格、分值，如“政治立场坚定 40”；各指标分值之和须为100。"
)
# "政治立场坚定 40", "政治立场坚定：40分", "政治立场坚定\u300040"
INDICATOR_LINE = re.compile(r"^(?P<name>.*?\S)\s*[:：\s]\s*(?P<points>\d+)\s*分?$")


def _int(label, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, widget=forms.NumberInput(attrs={"class": "rule-number"}), **kwargs
    )


class RulesForm(forms.Form):
    """Every rule of a template version as plain fields; `config` in
    cleaned_data is the version's JSON. The rules themselves are checked by
    `assessment.config.validate` in the service, so each message is the same
    wherever a config comes from."""

    def __init__(self, *args, config: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in Dimension.choices:
            self.fields[f"dim_{code}"] = _int(label)
            self.fields[f"ind_{code}"] = forms.CharField(
                label=_lazy("“%(dim)s”的量化指标") % {"dim": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=INDICATOR_HELP,
            )
        for source in Source:
            self.fields[f"src_{source.value}"] = _int(
                source.label, help_text=SOURCE_HELP.get(source, "")
            )
        for grade in GRADE_ORDER:
            self.fields[f"pts_{grade.value}"] = _int(grade.label)
        for code, label in THRESHOLD_LABELS.items():
            self.fields[f"thr_{code}"] = _int(label)
        cap_choices = [("", _lazy("不封顶"))] + [
            (g.value, g.label) for g in GRADE_ORDER
        ]
        for level, label in CAP_LABELS.items():
            self.fields[f"cap_{level}"] = forms.ChoiceField(
                label=label, choices=cap_choices, required=False
            )
        self.fields["excellent_quota_pct"] = _int(
            _lazy("优秀比例上限(%)"),
            required=False,
            help_text=_lazy("一轮考核中评为优秀的人数不超过该比例；不填则不限。"),
        )
        self.fields["excellent_quota_cohort"] = forms.ChoiceField(
            label=_lazy("优秀名额分组"),
            choices=QUOTA_COHORT_CHOICES,
            required=False,
            help_text=_lazy("按组分别计算优秀名额，一组的名额不能被另一组占用。"),
        )
        self.fields["excellent_quota_rounding"] = forms.ChoiceField(
            label=_lazy("优秀名额取整"),
            choices=QUOTA_ROUNDING_CHOICES,
            required=False,
            help_text=_lazy("名额 = 人数 × 优秀比例，按此方式取整。"),
        )
        self.fields["trimmed_mean"] = forms.BooleanField(
            label=_lazy("民主测评去掉一个最高分和一个最低分"), required=False
        )
        self.fields["trim_min_ballots"] = _int(
            _lazy("去掉最高最低分的最少票数"),
            help_text=_lazy("某类测评人的票数达到该数时才去掉最高分和最低分。"),
        )
        self.fields["min_turnout_pct"] = _int(
            _lazy("民主测评最低参与率(%)"),
            help_text=_lazy("参与率低于此值时，民主测评结果不计入综合得分。"),
        )
        for i in range(1, GROUP_ROWS + 1):
            self.fields[f"group_{i}_name"] = forms.CharField(
                label=_lazy("测评人类别"), required=False, max_length=50
            )
            self.fields[f"group_{i}_weight"] = _int(_lazy("权重(%)"), required=False)
            self.fields[f"group_{i}_size"] = _int(_lazy("票数"), required=False)
        self.rule_fields = list(self.fields)
        if not self.is_bound:
            self.initial.update(rules_initial(config or rules.default_config()))

    # Fields grouped for the template, in display order.
    def dimension_rows(self):
        return [
            (label, self[f"dim_{code}"], self[f"ind_{code}"])
            for code, label in Dimension.choices
        ]

    def source_fields(self):
        return [self[f"src_{s.value}"] for s in Source]

    def point_fields(self):
        return [self[f"pts_{g.value}"] for g in GRADE_ORDER]

    def threshold_fields(self):
        return [self[f"thr_{code}"] for code in THRESHOLD_LABELS]

    def cap_fields(self):
        return [self[f"cap_{level}"] for level in CAP_LABELS]

    def group_rows(self):
        return [
            (
                self[f"group_{i}_name"],
                self[f"group_{i}_weight"],
                self[f"group_{i}_size"],
            )
            for i in range(1, GROUP_ROWS + 1)
        ]

    def _indicators(self, code: str) -> list[dict] | None:
        items, bad = [], []
        for n, line in enumerate(
            self.cleaned_data.get(f"ind_{code}", "").splitlines(), 1
        ):
            line = line.strip()
            if not line:
                continue
            match = INDICATOR_LINE.match(line)
            if match is None:
                bad.append(n)
            else:
                items.append(
                    {"name": match["name"].strip(), "points": int(match["points"])}
                )
        if bad:
            self.add_error(
                f"ind_{code}",
                _(
                    "第%(lines)s行格式不对：每行应为“指标名称 分值”，如“政治立场坚定 40”。"
                )
                % {"lines": "、".join(map(str, bad))},
            )
            return None
        return items

    def _groups(self) -> list[dict]:
        groups = []
        for i in range(1, GROUP_ROWS + 1):
            name = (self.cleaned_data.get(f"group_{i}_name") or "").strip()
            weight = self.cleaned_data.get(f"group_{i}_weight")
            size = self.cleaned_data.get(f"group_{i}_size")
            if not name and weight is None and size is None:
                continue
            if not name or weight is None or size is None:
                self.add_error(
                    f"group_{i}_name",
                    _("第%(i)d行测评人类别须同时填写名称、权重和票数。") % {"i": i},
                )
                continue
            groups.append({"name": name, "weight": weight, "size": size})
        return groups

    def checked_config(self) -> dict:
        """The config the rule fields make; when they all read, its problems
        (`assessment.config.validate`) go on the form beside any others."""
        config = self.rules_config()
        if not any(name in self.errors for name in self.rule_fields):
            for message in rules.validate(config):
                self.add_error(None, message)
        return config

    def rules_config(self) -> dict:
        data = self.cleaned_data
        indicators = {}
        for code in rules.DIMENSION_CODES:
            items = self._indicators(code)
            if items:
                indicators[code] = items
        return {
            "dimensions": {c: data.get(f"dim_{c}") for c in rules.DIMENSION_CODES},
            "indicators": indicators,
            "sources": {c: data.get(f"src_{c}") for c in rules.SOURCE_CODES},
            "ballot_points": {c: data.get(f"pts_{c}") for c in rules.GRADE_CODES},
            "thresholds": {c: data.get(f"thr_{c}") for c in rules.THRESHOLD_GRADES},
            "caps": {
                level: data[f"cap_{level}"]
                for level in rules.WARNING_LEVELS
                if data.get(f"cap_{level}")
            },
            "excellent_quota_pct": data.get("excellent_quota_pct"),
            "excellent_quota_cohort": data.get("excellent_quota_cohort") or "",
            "excellent_quota_rounding": data.get("excellent_quota_rounding") or "down",
            "trimmed_mean": bool(data.get("trimmed_mean")),
            "trim_min_ballots": data.get("trim_min_ballots"),
            "min_turnout_pct": data.get("min_turnout_pct"),
            "rater_groups": self._groups(),
        }


def rules_initial(config: dict) -> dict:
    """The form's initial values for a config (the inverse of rules_config)."""
    r = rules.Rules(config)
    initial = {f"dim_{c}": w for c, w in r.dimension_weights.items()}
    for code, items in r.indicators.items():
        initial[f"ind_{code}"] = "\n".join(f"{i['name']} {i['points']}" for i in items)
    sources = config.get("sources", rules.DEFAULT_CONFIG["sources"])
    initial.update({f"src_{c}": sources.get(c, 0) for c in rules.SOURCE_CODES})
    initial.update({f"pts_{c}": p for c, p in r.ballot_points.items()})
    initial.update({f"thr_{c}": t for c, t in r.thresholds.items()})
    initial.update({f"cap_{level}": g for level, g in r.caps.items()})
    initial.update(
        excellent_quota_pct=r.excellent_quota_pct,
        excellent_quota_cohort=r.excellent_quota_cohort,
        excellent_quota_rounding=r.excellent_quota_rounding,
        trimmed_mean=r.trimmed_mean,
        trim_min_ballots=r.trim_min_ballots,
        min_turnout_pct=r.min_turnout_pct,
    )
    for i, group in enumerate(r.rater_groups[:GROUP_ROWS], start=1):
        initial[f"group_{i}_name"] = group["name"]
        initial[f"group_{i}_weight"] = group["weight"]
        initial[f"group_{i}_size"] = group["size"]
    return initial


class TemplateForm(RulesForm):
    """A new template: its name, the unit that sets it, and its rules."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"] = forms.CharField(label=_lazy("方案名称"), max_length=100)
        self.fields["unit"] = UnitTreeChoiceField(
            label=_lazy("制定单位"),
            queryset=holding_units(user),
            help_text=_lazy("本单位及下级单位的考核可以使用该方案。"),
        )
        self.fields["description"] = forms.CharField(
            label=_lazy("说明"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        if not self.is_bound and user.unit_id:
            self.initial.setdefault("unit", user.unit_id)

    def clean(self):
        super().clean()
        config = self.checked_config()
        if self.errors:
            return self.cleaned_data
        return {
            "name": self.cleaned_data["name"],
            "unit": self.cleaned_data["unit"],
            "description": self.cleaned_data.get("description", ""),
            "config": config,
        }


class TemplateReviseForm(RulesForm):
    """New rules for a template, as its next version, with the reason."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"] = forms.CharField(
            label=_lazy("修订说明"),
            max_length=300,
            help_text=_lazy("说明改了什么、为什么改；已开始的考核轮次仍按原版本执行。"),
        )

    def clean(self):
        super().clean()
        config = self.checked_config()
        if self.errors:
            return self.cleaned_data
        return {"note": self.cleaned_data["note"], "config": config}


# --- Rounds ---------------------------------------------------------------------


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.unit.name}）"


class PostingsField(forms.ModelMultipleChoiceField):
    """Chosen postings, posted as checkboxes the page renders itself (a
    checklist with a search box, never a select with every option)."""

    widget = forms.MultipleHiddenInput


class RoundPeriodForm(forms.Form):
    name = forms.CharField(label=_lazy("轮次名称"), max_length=100)
    period_start = forms.DateField(label=_lazy("考核期起"), widget=DateInput())
    period_end = forms.DateField(label=_lazy("考核期止"), widget=DateInput())
    postings = PostingsField(
        label=_lazy("考核对象（挂职）"), queryset=Posting.objects.none(), required=False
    )


class RoundForm(RoundPeriodForm):
    SOURCE_CHOICES = [
        ("batch", _lazy("按批次：批次中考核期内已到岗的全部挂职")),
        ("postings", _lazy("自选挂职")),
    ]

    kind = forms.ChoiceField(label=_lazy("考核类型"), choices=Round.Kind.choices)
    unit = UnitTreeChoiceField(label=_lazy("组织单位"), queryset=None)
    template = TemplateChoiceField(
        label=_lazy("考核方案"),
        queryset=Template.objects.none(),
        help_text=_lazy("使用该方案的最新版本；方案以后修订，本轮仍按此版本执行。"),
    )
    source = forms.ChoiceField(
        label=_lazy("考核对象"),
        choices=SOURCE_CHOICES,
        widget=forms.RadioSelect,
        initial="postings",
    )
    batch = forms.ModelChoiceField(
        label=_lazy("批次"), queryset=Batch.objects.none(), required=False
    )

    field_order = ["name", "kind", "unit", "template", "period_start", "period_end"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = holding_units(user)
        templates = (
            Template.objects.visible_to(user)
            .select_related("unit")
            .order_by("-unit__depth", "name", "pk")
        )
        self.fields["template"].queryset = templates
        self.fields["batch"].queryset = Batch.objects.visible_to(user)
        self.fields["postings"].queryset = Posting.objects.visible_to(user)
        if not self.is_bound and user.unit_id:
            self.initial.setdefault("unit", user.unit_id)
            # The nearest unit's template first: the usual choice.
            self.initial.setdefault("template", templates.first())

    def clean(self):
        data = super().clean()
        source = data.pop("source", None)
        if source == "batch":
            if not data.get("batch"):
                self.add_error("batch", _("请选择批次。"))
            data["postings"] = None
        else:
            data["batch"] = None
        return data


class RoundEditForm(RoundPeriodForm):
    def __init__(self, *args, round_: Round, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["postings"].queryset = Posting.objects.visible_to(user).filter(
            Posting.in_subtree_q(round_.unit)
        )
        if not self.is_bound:
            self.initial.update(
                name=round_.name,
                period_start=round_.period_start,
                period_end=round_.period_end,
                postings=list(
                    Assessment.objects.visible_to(user)
                    .filter(round=round_)
                    .values_list("posting_id", flat=True)
                ),
            )


class RoundTransitionForm(forms.Form):
    reason = forms.CharField(label=_lazy("理由"), max_length=300, required=False)


class RoundCloseForm(RoundTransitionForm):
    """结束考核 on the page that lists what the round lacks: `state` is the
    fingerprint of that list (`services.RoundGaps.state`), `confirm` the
    button that says yes to it."""

    state = forms.CharField(
        max_length=64,
        widget=forms.HiddenInput,
        error_messages={"required": _lazy("页面已过期，请核对下面的情况后重新确认。")},
    )
    confirm = forms.BooleanField(
        error_messages={"required": _lazy("请核对下面的情况后点击“确认结束考核”。")}
    )

    def clean(self):
        data = super().clean()
        return {"reason": data.get("reason", ""), "state": data.get("state", "")}


class RoundFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_lazy("类型"),
        choices=[("", _lazy("全部类型"))] + list(Round.Kind.choices),
        required=False,
    )
    status = forms.ChoiceField(
        label=_lazy("状态"),
        choices=[("", _lazy("全部状态"))] + list(Round.Status.choices),
        required=False,
    )
    year = forms.TypedChoiceField(
        label=_lazy("年度"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _lazy("全部年度"))] + [
            (y, _lazy("%(y)d年") % {"y": y}) for y in years
        ]

    def filter(self, qs, *, ignore: tuple[str, ...] = ()):
        """Apply every filter whose value is valid; a bad one is dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("kind") and "kind" not in ignore:
            qs = qs.filter(kind=data["kind"])
        if data.get("status") and "status" not in ignore:
            qs = qs.filter(status=data["status"])
        if data.get("year") and "year" not in ignore:
            qs = qs.filter(period_end__year=data["year"])
        return qs
