"""The reminder ladder of an obligation kind (issue 18): which steps, when,
to whom. Each kind's ladder is a setting admins change in the app
(NOTIFY_LADDER_<KIND>, else NOTIFY_LADDER_DEFAULT), written as a list of
steps such as "提前14,提前3,逾期3,组织部7,派出单位14":

- 提前N: N days before the due day, to whoever owes it;
- 逾期N: N days after the due day, to whoever owes it, again;
- 组织部N: N days after, to the org staff of the managing jurisdiction
  (an escalation: one list of everything overdue there);
- 派出单位N: N days after, to the sending unit's contacts (an escalation).

Days are Asia/Shanghai days. An empty ladder sends nothing.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class Audience:
    OWNER = "owner"
    ORG = "org"
    HOME = "home"


# Step word -> (code prefix, audience, sign of the offset from the due day).
WORDS = {
    "提前": ("before", Audience.OWNER, -1),
    "逾期": ("after", Audience.OWNER, 1),
    "组织部": ("org", Audience.ORG, 1),
    "派出单位": ("home", Audience.HOME, 1),
}
ESCALATIONS = (Audience.ORG, Audience.HOME)
MAX_DAYS = 365

_STEP = r"(提前|逾期|组织部|派出单位)\s*(\d{1,3})"
# What the settings form accepts (constance's "ladder" field, a RegexField):
# empty, or steps separated by commas (either width).
LADDER_REGEX = rf"^\s*(?:{_STEP}(?:\s*[,，、]\s*{_STEP})*)?\s*$"

DEFAULT_LADDER = "提前14,提前3,逾期3,组织部7,派出单位14"


@dataclass(frozen=True, order=True)
class Step:
    """One step: `offset` days from the due day (negative before it)."""

    offset: int
    code: str
    audience: str

    @property
    def escalation(self) -> bool:
        return self.audience in ESCALATIONS


def parse(text: str) -> tuple[Step, ...]:
    """The steps of a ladder, ordered by day; ValidationError when the text is
    not one (the same check as the settings form's)."""
    text = text or ""
    if not re.match(LADDER_REGEX, text):
        raise ValidationError(
            _("提醒阶梯格式不正确：%(text)s") % {"text": text}, code="ladder"
        )
    steps = set()
    for word, days in re.findall(_STEP, text):
        prefix, audience, sign = WORDS[word]
        n = int(days)
        if n > MAX_DAYS:
            raise ValidationError(
                _("提醒阶梯的天数不能超过%(max)d天。") % {"max": MAX_DAYS},
                code="ladder_days",
            )
        steps.add(Step(offset=sign * n, code=f"{prefix}{n}", audience=audience))
    return tuple(sorted(steps))


def setting_name(kind: str) -> str:
    return f"NOTIFY_LADDER_{kind.upper()}"


def ladders(values: dict, kinds) -> dict[str, tuple[Step, ...]]:
    """{kind: its steps} from the constance values (one read per sweep); a
    kind without a setting of its own follows NOTIFY_LADDER_DEFAULT. A
    setting stored invalid (by hand, not through the form) falls back to the
    default rather than stopping every reminder."""
    default = values.get("NOTIFY_LADDER_DEFAULT", DEFAULT_LADDER)
    found = {}
    for kind in kinds:
        text = values.get(setting_name(kind), default)
        try:
            found[kind] = parse(text)
        except ValidationError:
            found[kind] = parse(DEFAULT_LADDER)
    return found
