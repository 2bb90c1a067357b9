"""The evaluation form, built from a round's template version: one score per
weighted dimension (or one per indicator when the template gives the
dimension indicators) and one comment per dimension."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .config import Rules
from .evaluations import comment_field, indicator_field, score_field
from .models import Dimension, Evaluation
from .scoring import weighted_dimensions


def _score_input(maximum: int, **kwargs) -> forms.DecimalField:
    limit = {"max": maximum}
    return forms.DecimalField(
        required=False,
        min_value=0,
        max_value=maximum,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": 0, "max": maximum}),
        error_messages={
            "invalid": _("请输入数字，例如 85 或 85.5。"),
            "min_value": _("得分须在0到%(max)s之间。") % limit,
            "max_value": _("得分须在0到%(max)s之间。") % limit,
            "max_digits": _("得分须在0到%(max)s之间。") % limit,
            "max_whole_digits": _("得分须在0到%(max)s之间。") % limit,
            "max_decimal_places": _("最多保留一位小数。"),
        },
        **kwargs,
    )


def _json_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass
class DimensionGroup:
    code: str
    label: str
    weight: int
    scores: list  # bound score fields: one, or one per indicator
    comment: object  # the bound comment field
    has_indicators: bool


class EvaluationForm(forms.Form):
    def __init__(self, *args, rules: Rules, evaluation: Evaluation | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        basic = rules.thresholds["basic"]
        weights = rules.dimension_weights
        indicators = rules.indicators
        self._layout = []
        for dim in weighted_dimensions(rules):
            names = []
            if dim in indicators:
                for i, item in enumerate(indicators[dim]):
                    name = indicator_field(dim, i)
                    self.fields[name] = _score_input(
                        item["points"],
                        label=_("%(name)s（满分%(points)s分）")
                        % {"name": item["name"], "points": item["points"]},
                    )
                    names.append(name)
            else:
                name = score_field(dim)
                self.fields[name] = _score_input(
                    100,
                    label=_("得分"),
                    help_text=_("0–100分，可保留一位小数。"),
                )
                names.append(name)
            self.fields[comment_field(dim)] = forms.CharField(
                label=_("评语"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("得分低于%(basic)s分（基本称职分数线）时必填。")
                % {"basic": basic},
            )
            self._layout.append((dim, weights[dim], names, dim in indicators))
        if evaluation is not None:
            self.initial.update(self._initial_from(evaluation))

    def _initial_from(self, evaluation: Evaluation) -> dict:
        initial = {}
        for dim, _weight, names, has_indicators in self._layout:
            if has_indicators:
                given = evaluation.indicator_scores.get(dim) or []
                for i, name in enumerate(names):
                    if i < len(given):
                        initial[name] = _json_decimal(given[i])
            else:
                initial[names[0]] = _json_decimal(evaluation.scores.get(dim))
            initial[comment_field(dim)] = evaluation.comments.get(dim, "")
        return initial

    @property
    def groups(self) -> list[DimensionGroup]:
        return [
            DimensionGroup(
                code=dim,
                label=str(Dimension(dim).label),
                weight=weight,
                scores=[self[name] for name in names],
                comment=self[comment_field(dim)],
                has_indicators=has_indicators,
            )
            for dim, weight, names, has_indicators in self._layout
        ]

    def payload(self, data: dict) -> dict:
        """cleaned_data → the service's scores, indicator_scores, comments."""
        scores, indicator_scores, comments = {}, {}, {}
        for dim, _weight, names, has_indicators in self._layout:
            if has_indicators:
                indicator_scores[dim] = [data.get(name) for name in names]
            else:
                scores[dim] = data.get(names[0])
            comments[dim] = data.get(comment_field(dim), "")
        return {
            "scores": scores,
            "indicator_scores": indicator_scores,
            "comments": comments,
        }
