from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import ladder
from .models import Mode


class LadderField(forms.CharField):
    """A reminder ladder in the settings (constance's "ladder" field),
    checked by the rule itself (`ladder.parse`)."""

    default_error_messages = {
        "invalid": _(
            "格式应为以逗号分隔的提醒阶段，如“提前14,提前3,逾期3,组织部7,"
            "派出单位14”（天数 0–365）；留空表示不提醒。"
        )
    }

    def clean(self, value):
        value = super().clean(value)
        try:
            ladder.parse(value)
        except ValidationError as exc:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from exc
        return value


class PreferencesForm(forms.Form):
    """One choice per obligation kind: how its reminders reach the user."""

    def __init__(self, *args, kinds: dict[str, str], initial_modes: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in kinds.items():
            self.fields[key] = forms.ChoiceField(
                label=label,
                choices=Mode.choices,
                initial=initial_modes.get(key, Mode.IMMEDIATE),
                required=False,
            )
