"""The rules a template version holds, their defaults and their validation.

A version's `config` is plain JSON so that it can be stored whole and never
edited. `validate(config)` returns Chinese messages, one per problem (empty
when the config is sound); `Rules(config)` reads a validated config.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from records.rules import SERIOUS_WARNING_LEVELS

from .models import GRADE_ORDER, Dimension, Grade, Source

DEFAULT_CONFIG: dict = {
    # 德 15, 能 20, 勤 20, 绩 35, 廉 10 — weights sum to 100.
    "dimensions": {"de": 15, "neng": 20, "qin": 20, "ji": 35, "lian": 10},
    # Optional 量化指标: dimension code → [{"name": ..., "points": n}], the
    # points of one dimension summing to 100 (a score is awarded per indicator,
    # 0..points, and the dimension's score is their sum).
    "indicators": {},
    # Source weights sum to 100; the self-review (述职) counts only if weighted.
    "sources": {"host": 40, "democratic": 30, "org": 30, "self": 0},
    # Points of each ballot grade.
    "ballot_points": {"excellent": 95, "competent": 80, "basic": 65, "incompetent": 40},
    # Lowest score of each grade; below "basic" is 不称职.
    "thresholds": {"excellent": 90, "competent": 75, "basic": 60},
    # Rule 9: a warning of this level in the period caps the grade at this.
    "caps": {"red": "basic", "yellow": "competent"},
    # At most this share of a round may be 优秀 (None: no quota).
    "excellent_quota_pct": None,
    # The quota per cohort (issue 21): "" the whole round, "kind" each posting
    # kind, "rank" each post rank; one cohort's places are its own.
    "excellent_quota_cohort": "",
    # How a cohort's share becomes places: "down" (floor) or "half_up".
    "excellent_quota_rounding": "down",
    # 去掉一个最高分和一个最低分 in a group of at least 5 ballots.
    "trimmed_mean": True,
    "trim_min_ballots": 5,
    # Democratic results stay sealed below this turnout (share of codes used).
    "min_turnout_pct": 60,
    # Rater groups a new ballot session starts with (editable per session).
    "rater_groups": [
        {"name": "领导班子成员", "weight": 30, "size": 7},
        {"name": "中层干部", "weight": 30, "size": 10},
        {"name": "一般干部/群众", "weight": 40, "size": 15},
    ],
}

# The 优秀 quota's cohorts and roundings (labels: forms_rounds.QUOTA_*).
QUOTA_COHORTS = ("", "kind", "rank")
QUOTA_ROUNDINGS = ("down", "half_up")
DIMENSION_CODES = [d.value for d in Dimension]
SOURCE_CODES = [s.value for s in Source]
GRADE_CODES = [g.value for g in GRADE_ORDER]
THRESHOLD_GRADES = ["excellent", "competent", "basic"]
# The levels a round may cap a grade at (rule 9), the most severe first.
WARNING_LEVELS = list(reversed(SERIOUS_WARNING_LEVELS))


def default_config() -> dict:
    return copy.deepcopy(DEFAULT_CONFIG)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate(config: dict) -> list[str]:
    """Every problem with `config`, as a Chinese message; [] when sound."""
    errors: list[str] = []
    if not isinstance(config, dict):
        return [_("考核方案规则格式不正确。")]

    dims = config.get("dimensions")
    if not isinstance(dims, dict) or set(dims) != set(DIMENSION_CODES):
        errors.append(_("须为德、能、勤、绩、廉五个维度各设权重。"))
    elif not all(_is_int(w) and 0 <= w <= 100 for w in dims.values()):
        errors.append(_("维度权重须为0到100的整数。"))
    elif sum(dims.values()) != 100:
        errors.append(
            _("维度权重之和须为100（当前为%(total)s）。")
            % {"total": sum(dims.values())}
        )

    indicators = config.get("indicators", {})
    if not isinstance(indicators, dict) or not set(indicators) <= set(DIMENSION_CODES):
        errors.append(_("量化指标须按维度设置。"))
    else:
        for dim, items in indicators.items():
            label = Dimension(dim).label
            if not isinstance(items, list) or not items:
                errors.append(_("“%(dim)s”的量化指标不能为空。") % {"dim": label})
                continue
            ok = all(
                isinstance(i, dict)
                and isinstance(i.get("name"), str)
                and i["name"].strip()
                and _is_int(i.get("points"))
                and i["points"] > 0
                for i in items
            )
            if not ok:
                errors.append(
                    _("“%(dim)s”的每个指标须有名称和大于0的分值。") % {"dim": label}
                )
            elif sum(i["points"] for i in items) != 100:
                errors.append(
                    _("“%(dim)s”各指标分值之和须为100（当前为%(total)s）。")
                    % {"dim": label, "total": sum(i["points"] for i in items)}
                )

    sources = config.get("sources")
    if not isinstance(sources, dict) or not set(sources) <= set(SOURCE_CODES):
        errors.append(_("评价来源设置不正确。"))
    elif not all(_is_int(w) and 0 <= w <= 100 for w in sources.values()):
        errors.append(_("来源权重须为0到100的整数。"))
    elif sum(sources.values()) != 100:
        errors.append(
            _("来源权重之和须为100（当前为%(total)s）。")
            % {"total": sum(sources.values())}
        )

    points = config.get("ballot_points")
    if not isinstance(points, dict) or set(points) != set(GRADE_CODES):
        errors.append(_("须为优秀、称职、基本称职、不称职各设票面分值。"))
    elif not all(_is_int(p) and 0 <= p <= 100 for p in points.values()):
        errors.append(_("票面分值须为0到100的整数。"))
    elif not all(
        points[a] > points[b]
        for a, b in zip(GRADE_CODES, GRADE_CODES[1:], strict=False)
    ):
        errors.append(_("票面分值须按优秀、称职、基本称职、不称职依次降低。"))

    thresholds = config.get("thresholds")
    if not isinstance(thresholds, dict) or set(thresholds) != set(THRESHOLD_GRADES):
        errors.append(_("须设优秀、称职、基本称职的分数线。"))
    elif not all(_is_int(t) and 0 <= t <= 100 for t in thresholds.values()):
        errors.append(_("分数线须为0到100的整数。"))
    elif not (thresholds["excellent"] > thresholds["competent"] > thresholds["basic"]):
        errors.append(_("分数线须满足：优秀 > 称职 > 基本称职。"))

    caps = config.get("caps", {})
    if not isinstance(caps, dict) or not set(caps) <= set(WARNING_LEVELS):
        errors.append(_("预警封顶设置不正确。"))
    elif not all(c in GRADE_CODES for c in caps.values()):
        errors.append(_("预警封顶等次不正确。"))
    elif (
        "red" in caps
        and "yellow" in caps
        and GRADE_CODES.index(caps["red"]) < GRADE_CODES.index(caps["yellow"])
    ):
        errors.append(_("红色预警的封顶等次不能高于黄色预警。"))

    quota = config.get("excellent_quota_pct")
    if quota is not None and not (_is_int(quota) and 1 <= quota <= 100):
        errors.append(_("优秀比例须为1到100之间的整数，或不设。"))
    if config.get("excellent_quota_cohort", "") not in QUOTA_COHORTS:
        errors.append(_("优秀名额的分组方式不正确。"))
    if config.get("excellent_quota_rounding", "down") not in QUOTA_ROUNDINGS:
        errors.append(_("优秀名额的取整方式不正确。"))

    if not isinstance(config.get("trimmed_mean", True), bool):
        errors.append(_("去掉最高最低分的设置不正确。"))
    trim_min = config.get("trim_min_ballots", 5)
    if not (_is_int(trim_min) and trim_min >= 3):
        errors.append(_("去掉最高最低分的最少票数须不小于3。"))

    turnout = config.get("min_turnout_pct")
    if not (_is_int(turnout) and 0 <= turnout <= 100):
        errors.append(_("最低参与率须为0到100的整数。"))

    groups = config.get("rater_groups", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, dict)
        and isinstance(g.get("name"), str)
        and g["name"].strip()
        and _is_int(g.get("weight"))
        and 0 <= g["weight"] <= 100
        and _is_int(g.get("size"))
        and 1 <= g["size"] <= 500
        for g in groups
    ):
        errors.append(_("测评人类别须有名称、0到100的权重和1到500的票数。"))
    elif groups and sum(g["weight"] for g in groups) != 100:
        errors.append(
            _("测评人类别权重之和须为100（当前为%(total)s）。")
            % {"total": sum(g["weight"] for g in groups)}
        )
    elif len({g["name"].strip() for g in groups}) != len(groups):
        errors.append(_("测评人类别名称不能重复。"))
    return errors


def in_order(mapping: dict, order: list[str]) -> dict:
    """`mapping` with its keys in `order` (PostgreSQL's jsonb keeps no key
    order, so nothing may rely on the order a config was written in)."""
    return {key: mapping[key] for key in order if key in mapping}


@dataclass(frozen=True)
class Rules:
    """A read-only view of a validated config, with the defaults filled in.

    Every mapping comes back in the canonical order (德能勤绩廉; host,
    democratic, org, self; best grade first), whatever order the stored JSON has.
    """

    config: dict

    def _get(self, key):
        return self.config.get(key, DEFAULT_CONFIG[key])

    @property
    def dimension_weights(self) -> dict[str, int]:
        return in_order(self._get("dimensions"), DIMENSION_CODES)

    @property
    def indicators(self) -> dict[str, list[dict]]:
        return in_order(self._get("indicators"), DIMENSION_CODES)

    @property
    def all_source_weights(self) -> dict[str, int]:
        """Every configured source with its weight, 0 included."""
        return in_order(self._get("sources"), SOURCE_CODES)

    @property
    def source_weights(self) -> dict[str, int]:
        """Weighted sources only (a source at 0 is not collected or scored)."""
        return {s: w for s, w in self.all_source_weights.items() if w > 0}

    @property
    def ballot_points(self) -> dict[str, int]:
        return in_order(self._get("ballot_points"), GRADE_CODES)

    @property
    def thresholds(self) -> dict[str, int]:
        return in_order(self._get("thresholds"), THRESHOLD_GRADES)

    @property
    def caps(self) -> dict[str, str]:
        return in_order(self._get("caps"), WARNING_LEVELS)

    @property
    def excellent_quota_pct(self) -> int | None:
        return self._get("excellent_quota_pct")

    @property
    def excellent_quota_cohort(self) -> str:
        return self._get("excellent_quota_cohort")

    @property
    def excellent_quota_rounding(self) -> str:
        return self._get("excellent_quota_rounding")

    def quota_seats(self, size: int) -> int:
        """The 优秀 places of a cohort of `size`: the share rounded as set."""
        pct = self.excellent_quota_pct or 0
        if self.excellent_quota_rounding == "half_up":
            return (2 * pct * size + 100) // 200
        return pct * size // 100

    def quota_rule_text(self) -> str:
        """How the 优秀 places are counted, as the results page explains it."""
        pct = self.excellent_quota_pct
        if pct is None:
            return _("不设优秀比例。")
        rounding = (
            _("四舍五入")
            if self.excellent_quota_rounding == "half_up"
            else _("向下取整")
        )
        group = {"kind": _("按挂职类型分组"), "rank": _("按岗位职级分组")}.get(
            self.excellent_quota_cohort
        )
        if group is None:
            return _(
                "优秀名额 = 本轮人数 × %(pct)s%%，%(rounding)s；超出名额的按得分从低到高调整为称职。"
            ) % {"pct": pct, "rounding": rounding}
        return _(
            "%(group)s：每组优秀名额 = 该组人数 × %(pct)s%%，%(rounding)s；"
            "各组名额只在本组内使用，一组未用完的名额不能给其他组；"
            "超出名额的按得分从低到高调整为称职。"
        ) % {"group": group, "pct": pct, "rounding": rounding}

    @property
    def trimmed_mean(self) -> bool:
        return self._get("trimmed_mean")

    @property
    def trim_min_ballots(self) -> int:
        return self._get("trim_min_ballots")

    @property
    def min_turnout_pct(self) -> int:
        return self._get("min_turnout_pct")

    @property
    def rater_groups(self) -> list[dict]:
        return [dict(g) for g in self._get("rater_groups")]

    def grade_for(self, score: Decimal) -> str:
        """The grade the thresholds give `score` (before caps and quota)."""
        t = self.thresholds
        if score >= t["excellent"]:
            return Grade.EXCELLENT
        if score >= t["competent"]:
            return Grade.COMPETENT
        if score >= t["basic"]:
            return Grade.BASIC
        return Grade.INCOMPETENT
