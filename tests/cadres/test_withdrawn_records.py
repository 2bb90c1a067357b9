"""A withdrawn proposal (撤回) never began: it owes no record and takes none."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from postings.models import Posting
from records import rules
from records.models import Talk
from records.services import record_file
from tests.factories import PostingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _withdrawn():
    return PostingFactory(
        status=Posting.Status.WITHDRAWN,
        start_date=dt.date(2025, 1, 1),
        end_reason="人选调整",
    )


def test_a_withdrawn_posting_owes_no_monthly_note():
    posting = _withdrawn()
    assert rules.expected_note_months(posting, dt.date(2026, 6, 1)) == []


def test_no_record_is_filed_on_a_withdrawn_posting():
    posting = _withdrawn()
    with pytest.raises(ValidationError, match="撤回"):
        record_file(
            model=Talk,
            posting=posting,
            author=UserFactory(),
            talked_on=dt.date(2025, 2, 1),
            talker="甲",
            talkee="乙",
            content="谈话",
        )
    assert not Talk.objects.exists()
