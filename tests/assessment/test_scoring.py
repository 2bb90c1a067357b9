"""The composite formula on hand-computed examples, grades, caps, quota, ranks.

Default rules throughout unless a test says otherwise: dimensions 德15 能20
勤20 绩35 廉10; sources host 40 / democratic 30 / org 30; ballot points
优秀95 称职80 基本称职65 不称职40; thresholds 90 / 75 / 60; a red warning caps
at 基本称职, a yellow one at 称职; trimmed mean from 5 ballots.
"""

from decimal import Decimal

import pytest

from assessment import scoring
from assessment.config import Rules, default_config
from assessment.scoring import (
    AssessmentIn,
    DemocraticIn,
    EvaluationIn,
    GroupIn,
    Result,
)

DIMS = ["de", "neng", "qin", "ji", "lian"]
RULES = Rules(default_config())

# host: 德90 能85 勤80 绩88 廉95
#   = (15×90 + 20×85 + 20×80 + 35×88 + 10×95) / 100
#   = (1350 + 1700 + 1600 + 3080 + 950) / 100 = 8680 / 100 = 86.80
HOST = EvaluationIn(
    "host",
    "host_a",
    "2026-06-30",
    {"de": 90, "neng": 85, "qin": 80, "ji": 88, "lian": 95},
)
ORG = EvaluationIn("org", "org_a", "2026-06-30", dict.fromkeys(DIMS, 80))  # 80.00


def ballot(grade: str) -> dict:
    return dict.fromkeys(DIMS, grade)


def group(name, weight, *grades, issued=10) -> GroupIn:
    return GroupIn(name, weight, [ballot(g) for g in grades], issued=issued)


# Per dimension (every ballot grades every dimension alike):
#   领导班子成员 (30): 优秀, 优秀          → mean 95
#   中层干部     (30): 称职, 称职          → mean 80
#   一般干部     (40): 优秀, 基本称职      → mean (95 + 65) / 2 = 80
#   democratic = (30×95 + 30×80 + 40×80) / 100 = (2850 + 2400 + 3200) / 100 = 84.50
FULL_GROUPS = [
    group("领导班子成员", 30, "excellent", "excellent"),
    group("中层干部", 30, "competent", "competent"),
    group("一般干部/群众", 40, "excellent", "basic"),
]


def demo(groups, counted=True, reason="") -> DemocraticIn:
    return DemocraticIn(groups, counted=counted, reason=reason, min_turnout_pct=0)


def one(**kwargs) -> Result:
    return scoring.score_assessment(AssessmentIn(key=1, **kwargs), RULES)


def source(result: Result, code: str) -> dict:
    return next(s for s in result.explanation["sources"] if s["source"] == code)


def test_full_data():
    # composite = (40×86.80 + 30×84.50 + 30×80.00) / 100
    #           = (3472 + 2535 + 2400) / 100 = 84.07 → 称职 (75 ≤ 84.07 < 90)
    r = one(evaluations={"host": HOST, "org": ORG}, democratic=demo(FULL_GROUPS))
    assert r.score == Decimal("84.07")
    assert r.raw_grade == r.grade == "competent"
    assert r.reasons == []
    # 绩 composite = (40×88 + 30×84.5 + 30×80) / 100 = (3520 + 2535 + 2400) / 100
    assert r.ji == Decimal("84.55")
    # 优秀 among ballot grades: 2 ballots × 5 + 1 ballot × 5 = 15 of 6 × 5 = 30
    assert r.excellent_rate == Decimal("0.5")
    e = r.explanation
    assert [s["score"] for s in e["sources"]] == ["86.80", "84.50", "80.00"]
    assert [s["renormalised"] for s in e["sources"]] == ["40.00", "30.00", "30.00"]
    assert e["present_weight"] == 100
    # 德 composite = (40×90 + 30×84.5 + 30×80) / 100 = 85.35
    assert e["dimensions"][0]["score"] == "85.35"
    assert e["steps"][-1] == "综合得分 = (40×86.80 + 30×84.50 + 30×80.00) ÷ 100 = 84.07"
    ji = source(r, "democratic")["dimensions"][3]
    assert [
        (g["name"], g["count"], g["mean"], g["renormalised"]) for g in ji["groups"]
    ] == [
        ("领导班子成员", 2, "95.00", "30.00"),
        ("中层干部", 2, "80.00", "30.00"),
        ("一般干部/群众", 2, "80.00", "40.00"),
    ]
    assert e["threshold_text"] == "84.07 ≥ 称职分数线 75 → 称职"


def test_a_missing_source_is_left_out_and_the_others_renormalised():
    # No host evaluation: democratic 30 and org 30 share the weight.
    # composite = (30×84.50 + 30×80.00) / 60 = (2535 + 2400) / 60 = 82.25
    # (counting host as zero would give 49.35)
    r = one(evaluations={"org": ORG}, democratic=demo(FULL_GROUPS))
    assert r.score == Decimal("82.25")
    host = source(r, "host")
    assert host["present"] is False and host["reason"] == "未提交评价"
    assert source(r, "org")["renormalised"] == "50.00"
    assert r.explanation["present_weight"] == 60
    assert "接收单位评价（未提交评价）未计入" in r.explanation["steps"][-2]


def test_a_ballot_group_without_ballots_is_left_out_and_the_others_renormalised():
    # 领导班子成员 cast nothing; 中层干部 (30) all 优秀 = 95; 一般干部 (40) all
    # 基本称职 = 65.  democratic = (30×95 + 40×65) / 70 = 5450 / 70 = 77.857142…
    # composite = (40×86.80 + 30×77.857142… + 30×80) / 100
    #           = (3472 + 2335.714285… + 2400) / 100 = 82.077142… → 82.08
    groups = [
        group("领导班子成员", 30),
        group("中层干部", 30, "excellent", "excellent"),
        group("一般干部/群众", 40, "basic", "basic", "basic"),
    ]
    r = one(evaluations={"host": HOST, "org": ORG}, democratic=demo(groups))
    assert r.score == Decimal("82.08")
    dims = source(r, "democratic")["dimensions"]
    assert dims[0]["score"] == "77.86"
    assert [(g["name"], g["renormalised"]) for g in dims[0]["groups"]] == [
        ("中层干部", "42.86"),
        ("一般干部/群众", "57.14"),
    ]


def test_no_ballots_at_all_leaves_the_democratic_source_out():
    # composite = (40×86.80 + 30×80.00) / 70 = (3472 + 2400) / 70 = 83.885… → 83.89
    groups = [group("领导班子成员", 30), group("中层干部", 70)]
    r = one(evaluations={"host": HOST, "org": ORG}, democratic=demo(groups))
    assert r.score == Decimal("83.89")
    assert source(r, "democratic")["reason"] == "民主测评没有有效票"


def test_a_sealed_session_is_left_out_with_its_reason():
    sealed = demo(
        FULL_GROUPS, counted=False, reason="民主测评尚未结束，结果密封，不计入"
    )
    r = one(evaluations={"host": HOST, "org": ORG}, democratic=sealed)
    assert r.score == Decimal("83.89")  # as without ballots
    entry = source(r, "democratic")
    assert entry["reason"] == "民主测评尚未结束，结果密封，不计入"
    assert entry["dimensions"] == []  # nothing of the ballots is shown
    assert entry["turnout"]["cast"] == 6 and entry["turnout"]["issued"] == 30
    assert r.excellent_rate is None


def test_trimmed_mean_from_five_ballots_but_not_four():
    # One group of weight 100 grading every dimension alike.
    # 5 ballots 95, 95, 80, 65, 40: drop one 95 and the 40 → (95 + 80 + 65) / 3 = 80
    # (the plain mean would be 375 / 5 = 75)
    five = [
        group(
            "全体", 100, "excellent", "excellent", "competent", "basic", "incompetent"
        )
    ]
    r = one(democratic=demo(five))
    assert r.score == Decimal("80.00")
    part = source(r, "democratic")["dimensions"][0]["groups"][0]
    assert part["trimmed"] is True and part["dropped"] == ["95.00", "40.00"]
    assert part["count"] == 5
    # 4 ballots 95, 80, 65, 40: no trim → 280 / 4 = 70
    four = [group("全体", 100, "excellent", "competent", "basic", "incompetent")]
    r = one(democratic=demo(four))
    assert r.score == Decimal("70.00")
    assert source(r, "democratic")["dimensions"][0]["groups"][0]["trimmed"] is False


def test_trimmed_mean_can_be_switched_off():
    config = default_config() | {"trimmed_mean": False}
    five = [
        group(
            "全体", 100, "excellent", "excellent", "competent", "basic", "incompetent"
        )
    ]
    r = scoring.score_assessment(
        AssessmentIn(key=1, democratic=demo(five)), Rules(config)
    )
    assert r.score == Decimal("75.00")


def test_indicators_sum_to_the_dimension_score():
    config = default_config()
    config["indicators"] = {
        "ji": [{"name": "招商引资", "points": 60}, {"name": "项目建设", "points": 40}]
    }
    rules = Rules(config)
    # host: 绩 = 50 + 35 = 85, every other dimension 80
    #   = (15×80 + 20×80 + 20×80 + 35×85 + 10×80) / 100 = 8175 / 100 = 81.75
    # composite with org 80 and no ballot session = (40×81.75 + 30×80) / 70
    #   = (3270 + 2400) / 70 = 81.00
    host = EvaluationIn(
        "host",
        "host_a",
        scores={"de": 80, "neng": 80, "qin": 80, "lian": 80},
        indicator_scores={"ji": [50, 35]},
    )
    a = AssessmentIn(key=1, evaluations={"host": host, "org": ORG})
    r = scoring.score_assessment(a, rules)
    assert r.score == Decimal("81.00")
    ji = source(r, "host")["dimensions"][3]
    assert ji["score"] == "85.00"
    assert [(i["name"], i["max"], i["score"]) for i in ji["indicators"]] == [
        ("招商引资", 60, "50.00"),
        ("项目建设", 40, "35.00"),
    ]
    # An evaluation missing an indicator is incomplete and left out: org alone.
    broken = EvaluationIn(
        "host", "host_a", scores=host.scores, indicator_scores={"ji": [50]}
    )
    a = AssessmentIn(key=1, evaluations={"host": broken, "org": ORG})
    r = scoring.score_assessment(a, rules)
    assert r.score == Decimal("80.00")
    assert source(r, "host")["reason"] == "评价不完整（缺少维度得分）"


def test_a_dimension_weighted_zero_is_neither_needed_nor_counted():
    config = default_config()
    config["dimensions"] = {"de": 20, "neng": 20, "qin": 20, "ji": 40, "lian": 0}
    rules = Rules(config)
    # Ballots and evaluations grade only the weighted dimensions (no 廉).
    four = ["de", "neng", "qin", "ji"]
    groups = [GroupIn("全体", 100, [dict.fromkeys(four, "competent")], issued=1)]
    org = EvaluationIn(
        "org", "org_a", scores={"de": 90, "neng": 90, "qin": 90, "ji": 70}
    )
    # org = (20×90 + 20×90 + 20×90 + 40×70) / 100 = 8200 / 100 = 82.00
    # composite = (30×80.00 + 30×82.00) / 60 = 81.00
    a = AssessmentIn(key=1, evaluations={"org": org}, democratic=demo(groups))
    r = scoring.score_assessment(a, rules)
    assert r.score == Decimal("81.00")
    assert [d["dim"] for d in r.explanation["dimensions"]] == four


def test_no_source_at_all_gives_no_score():
    r = one()
    assert r.score is None and r.grade == "" and r.raw_grade == ""
    assert r.explanation["steps"] == ["没有可计入的评价来源，无法计算综合得分"]


def org_only(value, key=1, **kwargs) -> AssessmentIn:
    evaluation = EvaluationIn("org", "org_a", scores=dict.fromkeys(DIMS, value))
    return AssessmentIn(key=key, evaluations={"org": evaluation}, **kwargs)


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("90", "excellent"),
        ("89.99", "competent"),
        ("75", "competent"),
        ("74.99", "basic"),
        ("60", "basic"),
        ("59.99", "incompetent"),
    ],
)
def test_thresholds_at_their_boundaries(value, grade):
    assert RULES.grade_for(Decimal(value)) == grade
    r = scoring.score_assessment(org_only(value), RULES)
    assert r.score == Decimal(value) and r.grade == grade


def test_the_grade_is_taken_from_the_rounded_score():
    # 89.995 is shown as 90.00 and graded as what is shown.
    r = scoring.score_assessment(org_only("89.995"), RULES)
    assert r.score == Decimal("90.00") and r.grade == "excellent"
    assert r.explanation["unrounded"] == "89.995"


@pytest.mark.parametrize(
    ("level", "value", "grade", "reason"),
    [
        ("red", 92, "basic", "红色预警封顶为基本称职"),
        ("red", 80, "basic", "红色预警封顶为基本称职"),
        ("yellow", 92, "competent", "黄色预警封顶为称职"),
        ("yellow", 70, "basic", None),  # already below the cap
        ("blue", 92, "excellent", None),
        ("", 92, "excellent", None),
    ],
)
def test_caps_from_warnings(level, value, grade, reason):
    r = scoring.score_assessment(org_only(value, warning_level=level), RULES)
    assert r.grade == grade
    assert r.raw_grade == RULES.grade_for(Decimal(value))
    assert r.reasons == ([reason] if reason else [])


def test_a_red_warning_without_a_red_cap_takes_the_yellow_one():
    config = default_config() | {"caps": {"yellow": "competent"}}
    r = scoring.score_assessment(org_only(95, warning_level="red"), Rules(config))
    assert r.grade == "competent"


def res(key, score, ji=None, rate=None, grade="excellent") -> Result:
    return Result(
        key=key,
        score=Decimal(score),
        raw_grade=grade,
        grade=grade,
        ji=Decimal(ji if ji is not None else score),
        excellent_rate=None if rate is None else Decimal(rate),
    )


QUOTA_RULES = Rules(default_config() | {"excellent_quota_pct": 20})


def test_quota_keeps_the_highest_and_says_why_the_rest_drop():
    # 20% of a round of 15 = 3 seats; four 优秀 candidates.
    results = [res(1, "95"), res(2, "94"), res(3, "93"), res(4, "92")]
    results += [res(k, "70", grade="basic") for k in range(5, 16)]
    scoring.apply_quota(results, QUOTA_RULES, 15)
    assert [r.grade for r in results[:4]] == ["excellent"] * 3 + ["competent"]
    assert results[3].reasons == [
        "超出优秀比例（20%，名额3名），按得分排序第4名，调整为称职"
    ]
    assert results[2].explanation["quota"]["kept"] is True


def test_quota_breaks_score_ties_by_ji_then_by_excellent_rate():
    rules = Rules(default_config() | {"excellent_quota_pct": 40})  # of 5: 2 seats
    by_ji = [res(1, "95"), res(2, "93", ji="85"), res(3, "93", ji="90")]
    scoring.apply_quota(by_ji, rules, 5)
    # 93 and 93: the higher 绩 (90) keeps the second seat.
    assert [r.grade for r in by_ji] == ["excellent", "competent", "excellent"]
    assert by_ji[1].explanation["quota"]["position"] == 3
    by_rate = [
        res(1, "95"),
        res(4, "91", ji="91", rate="0.4"),
        res(5, "91", ji="91", rate="0.6"),
    ]
    scoring.apply_quota(by_rate, rules, 5)
    # Score and 绩 equal: the higher 优秀 rate in the ballots keeps it.
    assert [r.grade for r in by_rate] == ["excellent", "competent", "excellent"]


def test_quota_drops_everyone_fully_tied_across_the_last_seat():
    # 3 seats; the 3rd and 4th candidates are equal in score, 绩 and rate:
    # nothing tells them apart, and at most 3 may be 优秀, so both drop.
    results = [res(1, "95"), res(2, "94"), res(3, "93"), res(4, "93")]
    results += [res(k, "70", grade="basic") for k in range(5, 16)]
    scoring.apply_quota(results, QUOTA_RULES, 15)
    assert [r.grade for r in results[:4]] == [
        "excellent",
        "excellent",
        "competent",
        "competent",
    ]
    reason = "超出优秀比例（20%，名额3名），按得分排序与2人并列第3名且无法区分，并列者超出名额，均调整为称职"
    assert results[2].reasons == [reason] and results[3].reasons == [reason]


def test_a_capped_grade_is_not_a_quota_candidate():
    rules = Rules(default_config() | {"excellent_quota_pct": 50})
    inputs = [org_only(95, key=1, warning_level="yellow"), org_only(94, key=2)]
    results = {r.key: r for r in scoring.score_round(inputs, rules)}
    # 1 seat: the capped 95 is 称职 already, so 94 keeps 优秀.
    assert results[1].grade == "competent" and results[2].grade == "excellent"
    assert results[1].reasons == ["黄色预警封顶为称职"]


def test_ranks_ties_alike_and_orders_a_tie_by_ji_then_rate():
    results = [
        res(1, "80"),
        res(2, "85", ji="70"),
        res(3, "90"),
        res(4, "85", ji="88"),
        Result(key=5, score=None),
        res(6, "85", ji="70", rate="0.3"),
    ]
    ranked = scoring.rank(results)
    assert [(rank, r.key) for rank, r in ranked] == [
        (1, 3),
        (2, 4),  # 绩 88 first
        (2, 6),  # 绩 70 and a 优秀 rate
        (2, 2),  # 绩 70, no ballots
        (5, 1),
        (None, 5),  # no score: no rank, last
    ]


def test_score_round_stores_rank_and_grade_in_the_explanation():
    inputs = [
        org_only(90, key=1),
        org_only(85, key=2),
        org_only(85, key=3),
        org_only(70, key=4),
    ]
    results = scoring.score_round(inputs, RULES)
    assert [(r.key, r.rank) for r in results] == [(1, 1), (2, 2), (3, 2), (4, 4)]
    assert results[0].explanation["rank"] == 1
    assert results[0].explanation["grade"] == "excellent"


def test_rules_list_everything_in_canonical_order_whatever_the_stored_order():
    # PostgreSQL's jsonb returns object keys in its own order (shortest first).
    from assessment.config import Rules, default_config

    config = default_config()
    config["dimensions"] = dict(reversed(list(config["dimensions"].items())))
    config["sources"] = {"org": 30, "self": 0, "democratic": 30, "host": 40}
    config["ballot_points"] = dict(sorted(config["ballot_points"].items()))
    rules = Rules(config)
    assert list(rules.dimension_weights) == ["de", "neng", "qin", "ji", "lian"]
    assert list(rules.source_weights) == ["host", "democratic", "org"]
    assert list(rules.all_source_weights) == ["host", "democratic", "org", "self"]
    assert list(rules.ballot_points) == [
        "excellent",
        "competent",
        "basic",
        "incompetent",
    ]
