"""配岗建议: an optimal assignment of selected candidates to open posts.

Pure functions: candidates and posts in, pairings out, no database. The fit of
a (candidate, post) pair adds speciality match (人事相宜), rank fit (rule 3)
and the allocation preferences of rule 12; rule 2 (at most two cadres on
posting in one host's team) costs a penalty per cadre beyond the host's free
places. Hard limits (the cadre's own unit, a post's capacity) are never broken.

Solving: one linear_sum_assignment over candidates (plus ghost rows that
price rule 2 exactly, see `_solve`) x post places: an optimal method, not a
greedy pass.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from cadres.ranks import FIT_OFFSETS, REMOTE_TOWNSHIP_RESERVE_RANK, Fit, rank_fit

from .rules import TEAM_LIMIT

RANK_EXACT, RANK_ONE_BELOW = 30.0, 24.0
RANK_POINTS = {Fit.SAME: RANK_EXACT, Fit.ONE_BELOW: RANK_ONE_BELOW, Fit.UNFIT: 0.0}
SPECIALITY_MATCH, SPECIALITY_NEUTRAL = 40.0, 15.0
PREFERENCE_MAX = 15.0
TEAM_PENALTY = 30.0
FORBIDDEN = 1e6


class Infeasible(ValueError):
    """No complete assignment exists; the message says who cannot be placed."""


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    rank: int
    female: bool
    reserve: bool
    speciality: str
    home_unit_id: int


@dataclass(frozen=True)
class Post:
    id: int
    label: str
    unit_id: int
    unit_is_township: bool
    distance_km: int
    rank: int
    speciality: str
    capacity: int
    team_free: int  # places left under rule 2 at the host


@dataclass
class Pairing:
    candidate: Candidate
    post: Post
    score: float
    reasons: list[str] = field(default_factory=list)


def fit(c: Candidate, p: Post, max_km: int) -> tuple[float, list[str]]:
    """The pair's fit (higher is better) and why, in words for the page."""
    score, why = 0.0, []
    wanted = p.speciality.strip()
    points = fit_speciality(c.speciality, wanted)
    score += points
    if points == SPECIALITY_MATCH:
        why.append(f"专业对口（{c.speciality}）+{points:.0f}")
    elif not wanted:
        why.append(f"岗位不限专业 +{points:.0f}")
    else:
        why.append(f"专业不对口（需{wanted}）+0")
    rank = rank_fit(c.rank, p.rank)
    score += RANK_POINTS[rank]
    if rank is Fit.SAME:
        why.append(f"平职安排 +{RANK_EXACT:.0f}")
    elif rank is Fit.ONE_BELOW:
        why.append(f"低一职安排 +{RANK_ONE_BELOW:.0f}")
    else:
        why.append("职级不符（规则3，需说明理由）+0")
    near = 1 - min(p.distance_km, max_km) / max_km if max_km else 1
    if c.female:
        bonus = PREFERENCE_MAX * near
        score += bonus
        why.append(f"女干部就近安排 +{bonus:.1f}")
    if c.reserve and c.rank == REMOTE_TOWNSHIP_RESERVE_RANK and p.unit_is_township:
        bonus = PREFERENCE_MAX * (1 - near)
        score += bonus
        why.append(f"副处级后备干部到偏远乡镇 +{bonus:.1f}")
    return score, why


def fit_matrix(
    candidates: list[Candidate], posts: list[Post], max_km: int
) -> np.ndarray:
    """`fit` for every pair at once (the same numbers, vectorised)."""
    c_specs = sorted({c.speciality for c in candidates})
    p_specs = sorted({p.speciality.strip() for p in posts})
    table = np.array(
        [[fit_speciality(a, b) for b in p_specs] for a in c_specs]
    ).reshape(len(c_specs), len(p_specs))
    ci = np.array([c_specs.index(c.speciality) for c in candidates])
    pj = np.array([p_specs.index(p.speciality.strip()) for p in posts])
    score = table[ci][:, pj]
    c_rank = np.array([c.rank for c in candidates])[:, None]
    p_rank = np.array([p.rank for p in posts])[None, :]
    for offset, rank in FIT_OFFSETS.items():  # rank_fit, vectorised
        score += np.where(p_rank - c_rank == offset, RANK_POINTS[rank], 0.0)
    km = np.array([min(p.distance_km, max_km) for p in posts], dtype=float)
    near = 1 - km / max_km if max_km else np.ones(len(posts))
    female = np.array([c.female for c in candidates])[:, None]
    score += np.where(female, PREFERENCE_MAX * near[None, :], 0.0)
    remote_reserve = np.array(
        [c.reserve and c.rank == REMOTE_TOWNSHIP_RESERVE_RANK for c in candidates]
    )[:, None]
    township = np.array([p.unit_is_township for p in posts])[None, :]
    score += np.where(
        remote_reserve & township, PREFERENCE_MAX * (1 - near)[None, :], 0.0
    )
    return score


def fit_speciality(have: str, wanted: str) -> float:
    if wanted and have and (wanted in have or have in wanted):
        return SPECIALITY_MATCH
    return 0.0 if wanted else SPECIALITY_NEUTRAL


def propose(candidates: list[Candidate], posts: list[Post]) -> list[Pairing]:
    if not candidates:
        return []
    slots = [p for p in posts for _ in range(max(p.capacity, 0))]
    if len(slots) < len(candidates):
        raise Infeasible(
            f"岗位名额共{len(slots)}个，少于{len(candidates)}名待配岗人选，无法全部配岗。"
        )
    max_km = max((p.distance_km for p in posts), default=0)
    scores = fit_matrix(candidates, posts, max_km)
    allowed = np.array([c.home_unit_id for c in candidates])[:, None] != np.array(
        [p.unit_id for p in posts]
    )
    stuck = [c.name for i, c in enumerate(candidates) if not allowed[i].any()]
    if stuck:
        raise Infeasible(f"{'、'.join(stuck)}没有可选岗位（不能到本单位挂职）。")
    choice = _solve(scores, allowed, posts)
    if choice is None:
        raise Infeasible("在岗位名额和“不到本单位挂职”的限制下，无法为全部人选配岗。")
    result = []
    for i, j in enumerate(choice):
        c, p = candidates[i], posts[j]
        score, why = fit(c, p, max_km)
        result.append(Pairing(c, p, round(score, 1), why))
    crowded = {u for u, n in _overflow(result).items() if n > 0}
    for pairing in result:
        if pairing.post.unit_id in crowded:
            pairing.reasons.append(
                f"该单位班子挂职干部将超过{TEAM_LIMIT}名（规则2，需说明理由）"
            )
    return result


def _overflow(pairings: list[Pairing]) -> Counter:
    """Places over each host's free ones (rule 2)."""
    used = Counter(p.post.unit_id for p in pairings)
    free = {p.post.unit_id: max(p.post.team_free, 0) for p in pairings}
    return Counter({u: max(n - free[u], 0) for u, n in used.items()})


def team_penalty(pairings: list[Pairing]) -> float:
    """What rule 2 takes off the plan's total fit."""
    return TEAM_PENALTY * sum(_overflow(pairings).values())


def _solve(
    scores: np.ndarray, allowed: np.ndarray, posts: list[Post]
) -> list[int] | None:
    """Exact optimum with the rule-2 penalty, as one rectangular assignment.

    Rule 2 makes this a min-cost flow (candidate -> post -> host, the host's
    first free places at no cost, the rest at TEAM_PENALTY), which is not a
    plain assignment. It becomes one with ghosts: a host with C places and F
    free ones gets G = C - F ghost rows that may fill its places at -PENALTY
    or park on G null columns of their own at 0. Ghosts fill whatever real
    candidates leave, so a host with r real candidates pays
    -PENALTY * min(G, C - r) = const + PENALTY * max(0, r - F): the penalty.
    """
    n = len(scores)
    slot_post = np.array([j for j, p in enumerate(posts) for _ in range(p.capacity)])
    slot_unit = np.array([posts[j].unit_id for j in slot_post])
    ghosts = []  # the unit of each ghost row
    for unit_id in dict.fromkeys(p.unit_id for p in posts):
        places = int((slot_unit == unit_id).sum())
        free = max(next(p.team_free for p in posts if p.unit_id == unit_id), 0)
        ghosts += [unit_id] * max(places - free, 0)
    g, s = len(ghosts), len(slot_post)
    cost = np.full((n + g, s + g), FORBIDDEN)
    cost[:n, :s] = np.where(allowed[:, slot_post], -scores[:, slot_post], FORBIDDEN)
    ghost_unit = np.array(ghosts)
    if g:
        same_unit = ghost_unit[:, None] == slot_unit[None, :]
        cost[n:, :s] = np.where(same_unit, -TEAM_PENALTY, FORBIDDEN)
        cost[n:, s:] = np.where(
            ghost_unit[:, None] == ghost_unit[None, :], 0.0, FORBIDDEN
        )
    rows, cols = linear_sum_assignment(cost)
    real = rows < n
    if (cost[rows[real], cols[real]] >= FORBIDDEN).any():
        return None
    choice = [0] * n
    for r, c in zip(rows[real], cols[real], strict=True):
        choice[r] = int(slot_post[c])
    return choice
