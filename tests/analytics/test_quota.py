"""优秀 quota per cohort (issue 21): each cohort's places are its own, and the
rounding (down / half up) is explicit, at the edges where it matters."""

from decimal import Decimal

import pytest

from assessment import config
from assessment.models import Grade
from assessment.scoring import Result, apply_quota


def _rules(pct, cohort="", rounding="down"):
    settings = config.default_config()
    settings.update(
        excellent_quota_pct=pct,
        excellent_quota_cohort=cohort,
        excellent_quota_rounding=rounding,
    )
    assert config.validate(settings) == []
    return config.Rules(settings)


def _results(cohorts: dict[str, int], excellent: dict[str, int] | None = None):
    """Results keyed 1.. with descending scores; the first `excellent[c]` of
    each cohort graded 优秀 (all of them by default), the rest 称职."""
    out, of = [], {}
    key = 0
    for cohort, size in cohorts.items():
        for i in range(size):
            key += 1
            top = (excellent or cohorts)[cohort]
            grade = Grade.EXCELLENT if i < top else Grade.COMPETENT
            out.append(Result(key=key, score=Decimal(99 - key), grade=grade))
            of[key] = cohort
    return out, of


def _kept(results, of):
    kept: dict[str, int] = {}
    for r in results:
        if r.grade == Grade.EXCELLENT:
            kept[of[r.key]] = kept.get(of[r.key], 0) + 1
    return kept


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [("down", {"外派": 2, "下派": 1}), ("half_up", {"外派": 3, "下派": 2})],
)
def test_half_a_place_rounds_as_set(rounding, expected):
    # 50% of 5 = 2.5 and 50% of 3 = 1.5: exactly the rounding edge.
    results, of = _results({"外派": 5, "下派": 3})
    apply_quota(results, _rules(50, "kind", rounding), len(results), of)
    assert _kept(results, of) == expected


def test_just_below_half_rounds_down_either_way():
    # 30% of 8 = 2.4: two places, rounded down or half up.
    for rounding in ("down", "half_up"):
        results, of = _results({"甲": 8})
        apply_quota(results, _rules(30, "kind", rounding), 8, of)
        assert _kept(results, of) == {"甲": 2}


def test_one_cohorts_unused_places_are_not_given_to_another():
    # 40%: 外派 5 -> 2 places, 下派 5 -> 2 places but only one 优秀 there.
    results, of = _results({"外派": 5, "下派": 5}, excellent={"外派": 5, "下派": 1})
    apply_quota(results, _rules(40, "kind"), 10, of)
    assert _kept(results, of) == {"外派": 2, "下派": 1}
    # Over the whole round the same 40% (4 places) goes to the best scores,
    # all 外派, and 下派's 优秀 loses it.
    results, of = _results({"外派": 5, "下派": 5}, excellent={"外派": 5, "下派": 1})
    apply_quota(results, _rules(40), 10, of)
    assert _kept(results, of) == {"外派": 4}


def test_the_reason_names_the_cohort_and_its_size():
    results, of = _results({"外派": 4})
    apply_quota(results, _rules(50, "kind"), 4, of)
    dropped = [r for r in results if r.grade == Grade.COMPETENT]
    assert len(dropped) == 2
    assert "本组（外派）4人" in dropped[0].explanation["quota"]["reason"]


def test_the_rule_is_explained_in_words():
    text = _rules(30, "rank", "half_up").quota_rule_text()
    assert "按岗位职级分组" in text and "四舍五入" in text
    assert "不能给其他组" in text


def test_a_bad_cohort_or_rounding_is_refused():
    settings = config.default_config()
    settings.update(excellent_quota_cohort="gender", excellent_quota_rounding="up")
    assert len(config.validate(settings)) == 2


@pytest.mark.django_db
def test_results_page_explains_the_cohort_quota(login, world, org_a):
    from django.urls import reverse

    from assessment.results import quota_cohort
    from tests.assessment.factories import make_round, make_version

    settings = config.default_config()
    settings.update(
        excellent_quota_pct=30,
        excellent_quota_cohort="kind",
        excellent_quota_rounding="half_up",
    )
    version = make_version(org_a, config=settings)
    round_ = make_round(org_a, [world.a.posting], version=version)
    response = login(org_a).get(reverse("assessment:round_results", args=[round_.pk]))
    text = response.content.decode()
    assert "按挂职类型分组" in text and "四舍五入" in text
    assert quota_cohort(world.a.posting, config.Rules(settings)) == "下派"
