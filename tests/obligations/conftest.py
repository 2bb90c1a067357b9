import datetime as dt

import pytest

from cadres.models import Role
from postings.models import Posting
from tests.factories import CadreFactory, PostingFactory, UserFactory

START = dt.date(2026, 3, 1)


@pytest.fixture
def posting(tree) -> Posting:
    """Active from 2026-03-01 to 2027-03-01: sent by 甲县财政局, received by
    甲一镇, managed by 甲县 (the region above the sending unit)."""
    return PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=START,
        planned_end_date=dt.date(2027, 3, 1),
    )


@pytest.fixture
def cadre_of(posting):
    return UserFactory(username="own_cadre", role=Role.CADRE, cadre=posting.cadre)
