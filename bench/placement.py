"""The placement assistant on the province batch: 500 candidates x 500 posts.

Timed from the database to the proposal, as the placement page does it:
postings.services.placement_inputs, then postings.placement.propose. No floor:
the target is absolute.
"""

import statistics
import time
from collections.abc import Callable

from postings import services
from postings.models import Batch
from postings.placement import propose

from .report import Figure, failed

REPEAT = 3
MAX_SECONDS = 2


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    name, target = "placement.500x500.s", f"<={MAX_SECONDS}"
    batch = Batch.objects.get(pk=ctx["batch_pk"])
    times = []
    try:
        for _ in range(REPEAT):
            started = time.perf_counter()
            candidates, posts = services.placement_inputs(batch, by=ctx["user"])
            proposal = propose(candidates, posts)
            times.append(time.perf_counter() - started)
    except Exception as exc:  # the figure fails, the bench goes on
        report(failed(name, "s", target, repr(exc)))
        return
    report(
        Figure(
            name,
            "s",
            target,
            statistics.median(times),
            also=len(proposal) == len(candidates),
            notes=[
                f"{len(candidates)} candidates x {len(posts)} posts, "
                f"{len(proposal)} placed; inputs from the database + propose(), "
                f"median of {REPEAT}"
            ],
        )
    )
