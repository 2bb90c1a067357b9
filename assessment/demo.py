"""Demo assessments for `seed_demo`: one closed round with results and one
round still collecting, made through the same services the pages use.

The closed round shows the results page (ranking, chart, explanations, one
capped grade where a demo warning falls in the period); the collecting round
gives the demo host leader (jieshou) a host evaluation to file, org staff an
organisation evaluation, and an open ballot session whose slips can be
printed and whose codes work on the ballot page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cadres.models import User
from postings.models import Posting

from . import ballots, evaluations, services
from .config import Rules, default_config
from .models import Assessment, Round

GRADES = ["excellent", "competent", "basic", "incompetent"]


def _host_leader(builder, posting: Posting) -> User | None:
    leaders = builder.info[posting.receiving_unit_id].leaders
    return leaders[0] if leaders and leaders[0].pk else None


def _scores(rng, rules: Rules, base: int) -> tuple[dict, dict]:
    scores, comments = {}, {}
    for dim, weight in rules.dimension_weights.items():
        if weight:
            scores[dim] = Decimal(min(99, max(66, base + rng.randint(-6, 6))))
            comments[dim] = ""
    return scores, comments


def _evaluate(rng, assessment: Assessment, source: str, by: User, base: int):
    rules = Rules(assessment.round.template_version.config)
    scores, comments = _scores(rng, rules, base)
    evaluations.evaluation_save(
        assessment=assessment,
        source=source,
        by=by,
        scores=scores,
        comments=comments,
        indicator_scores={},
        submit=True,
    )


def _cast(rng, session, base: int, share: float) -> int:
    """Cast ballots with `share` of the session's codes; grades lean on `base`."""
    dims = [
        d
        for d, w in Rules(
            session.assessment.round.template_version.config
        ).dimension_weights.items()
        if w
    ]
    cast = 0
    codes = list(
        session.groups.all().values_list("codes__code", flat=True).order_by("codes__pk")
    )
    for code in codes:
        if rng.random() > share:
            continue
        lean = 0 if base >= 90 else 1 if base >= 78 else 2
        grades = {
            d: GRADES[min(3, max(0, lean + rng.choice((-1, 0, 0, 0, 1))))] for d in dims
        }
        ballots.cast_ballot(code=code, grades=grades, comment="")
        cast += 1
    return cast


def _open_session(assessment: Assessment, by: User, sizes=(3, 5, 8)):
    groups = ballots.default_groups(assessment)
    for group, size in zip(groups, sizes, strict=False):
        group["size"] = size
    return ballots.session_open(
        assessment=assessment,
        groups=groups,
        min_turnout_pct=ballots.default_min_turnout(assessment),
        by=by,
    )


def build_assessments(builder) -> dict[str, int]:
    rng, today = builder.rng, builder.today
    org = builder.zuzhibu
    config = default_config()
    config["excellent_quota_pct"] = 30
    template = services.template_create(
        by=org,
        name="江州市挂职干部考核方案",
        unit=builder.city,
        config=config,
        description="德能勤绩廉五个维度；接收单位评价、民主测评、组织部考核三方加权。",
    )
    active = [
        p
        for p in builder.postings
        if p.status == Posting.Status.ACTIVE and _host_leader(builder, p)
    ]
    jieshou_postings = [
        p for p in active if p.receiving_unit_id == builder.jieshou.unit_id
    ]
    others = [p for p in active if p.receiving_unit_id != builder.jieshou.unit_id]

    # A closed regular round over the last half year, with results.
    closed_postings = others[:10] + jieshou_postings[:1]
    closed = services.round_create(
        by=org,
        name=f"{today.year}年上半年平时考核",
        kind=Round.Kind.REGULAR,
        unit=builder.city,
        template=template,
        period_start=today - dt.timedelta(days=180),
        period_end=today - dt.timedelta(days=1),
        postings=closed_postings,
    )
    services.round_transition(round_=closed, action="start", by=org)
    ballots_cast = 0
    for assessment in closed.assessments.select_related(
        "posting", "round__template_version"
    ):
        base = rng.randint(72, 95)
        host = _host_leader(builder, assessment.posting)
        if rng.random() < 0.9:
            _evaluate(rng, assessment, "host", host, base)
        _evaluate(rng, assessment, "org", org, base)
        if rng.random() < 0.8:
            session = _open_session(assessment, org)
            ballots_cast += _cast(rng, session, base, share=0.85)
            ballots.session_close(session=session, by=org)
    services.round_transition(round_=closed, action="close", by=org)

    # A midterm round still collecting: the demo host leader's task.
    current = services.round_create(
        by=org,
        name=f"{today.year}年第四季度中期考核",
        kind=Round.Kind.MIDTERM,
        unit=builder.city,
        template=template,
        period_start=today - dt.timedelta(days=90),
        period_end=today + dt.timedelta(days=30),
        postings=jieshou_postings[:2] + others[10:14],
    )
    services.round_transition(round_=current, action="start", by=org)
    for i, assessment in enumerate(
        current.assessments.select_related("posting", "round__template_version")
    ):
        base = rng.randint(75, 94)
        if assessment.posting.receiving_unit_id != builder.jieshou.unit_id:
            _evaluate(
                rng, assessment, "host", _host_leader(builder, assessment.posting), base
            )
        if i % 2:
            _evaluate(rng, assessment, "org", org, base)
        if i < 2:
            session = _open_session(assessment, org)
            ballots_cast += _cast(rng, session, base, share=0.3)
    return {"rounds": 2, "ballots": ballots_cast}
