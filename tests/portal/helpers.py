"""Obligations made directly, for the pages' tests: the sweep's own tests
(tests/obligations) say when they fall due; here only the rows matter."""

import datetime as dt
import itertools

from cadres.models import Role
from obligations.models import Obligation

NOTE = "monthly_note"
_periods = itertools.count()


def obligation(
    posting,
    *,
    due_on: dt.date,
    kind: str = NOTE,
    owed_by: str = Role.HOST_LEADER,
    unit=None,
    period: dt.date | None = None,
    status: str = Obligation.Status.OPEN,
    done_on: dt.date | None = None,
    **extra,
) -> Obligation:
    """An obligation of `posting`; the unit that owes it defaults to the one
    `owed_by` implies (the host for host leaders, the sending unit for home
    contacts, the sending unit's parent for org staff, none for the cadre)."""
    if unit is None:
        unit = {
            Role.HOST_LEADER: posting.receiving_unit,
            Role.HOME_CONTACT: posting.sending_unit,
            Role.ORG_STAFF: posting.sending_unit.parent,
            Role.CADRE: None,
        }[owed_by]
    if period is None:
        # A distinct period per row: (kind, posting, period) is unique.
        period = dt.date(2000, 1, 1) + dt.timedelta(days=next(_periods))
    return Obligation.objects.create(
        kind=kind,
        posting=posting,
        period=period,
        owed_by=owed_by,
        unit=unit,
        due_on=due_on,
        status=status,
        done_on=done_on,
        **extra,
    )
