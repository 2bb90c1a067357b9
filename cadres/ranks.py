"""Rules about ranks (职级) that the seeds state, on top of `Rank`.

One definition each; the posting checks and the placement assistant ask here.
"""

import enum

from .models import Rank


class Fit(enum.Enum):
    """How a post's rank fits the cadre's (平职或低一职安排)."""

    SAME = "same"  # 平职
    ONE_BELOW = "one_below"  # 低一职
    UNFIT = "unfit"  # anything else: a soft rule set aside only with a reason


# "挂任职务原则上平职或低一职安排" (seeds/001_85e949d3e1742e79.txt): the post's
# rank minus the cadre's rank, for each step that fits. Ranks are consecutive
# integers (Rank), so one step below is -1.
FIT_OFFSETS: dict[int, Fit] = {0: Fit.SAME, -1: Fit.ONE_BELOW}


def rank_fit(cadre_rank: int, post_rank: int) -> Fit:
    """Whether a post is at the cadre's rank, one below, or does not fit.

    "挂任职务原则上平职或低一职安排" (seeds/001_85e949d3e1742e79.txt).
    """
    return FIT_OFFSETS.get(post_rank - cadre_rank, Fit.UNFIT)


# "副处级后备干部安排陵川、沁水一些边远的乡镇" (seeds/004_588b3c74b765e5c6.txt):
# reserve cadres of this rank are sent to remote townships.
REMOTE_TOWNSHIP_RESERVE_RANK = Rank.DEPUTY_DIVISION
