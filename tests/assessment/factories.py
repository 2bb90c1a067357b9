"""Assessment rows for tests: a template version with the default rules, a
round over chosen postings, one assessment per posting."""

import datetime as dt

from assessment.config import default_config
from assessment.models import Assessment, Round, Template, TemplateVersion


def make_version(
    user, unit=None, config=None, name="挂职干部考核方案"
) -> TemplateVersion:
    template = Template.objects.create(
        name=name, unit=unit or user.unit, created_by=user
    )
    return TemplateVersion.objects.create(
        template=template,
        number=1,
        config=config if config is not None else default_config(),
        created_by=user,
    )


def make_round(
    user,
    postings,
    *,
    kind=Round.Kind.REGULAR,
    status=Round.Status.COLLECTING,
    version=None,
    unit=None,
    period_start=None,
    period_end=None,
    name="2026年平时考核",
) -> Round:
    """A round held by `unit` (default: the user's), with one assessment per
    posting; written directly (bypassing services) so tests can set any state."""
    today = dt.date.today()
    round_ = Round.objects.create(
        name=name,
        kind=kind,
        unit=unit or user.unit,
        template_version=version or make_version(user, unit=unit),
        period_start=period_start or today - dt.timedelta(days=180),
        period_end=period_end or today,
        status=status,
        created_by=user,
        closed_at=(dt.datetime.now(dt.UTC) if status == Round.Status.CLOSED else None),
    )
    Assessment.objects.bulk_create(
        [Assessment(round=round_, posting=p) for p in postings]
    )
    return round_
