"""Posting scope in its two shapes (Posting.scope_parts): the unit-id
subqueries that let a long list walk its index, and `joined`, the posting's
two units joined, for one user's few reminders. Both must select exactly the
same postings for every role, whether the posting lies inside the
jurisdiction, straddles its edge either way, or lies wholly beyond it."""

import pytest

from cadres.models import Role, Unit
from notifications.models import Notification
from notifications.services import unread_count
from obligations.models import Obligation, obligation_scope_q
from postings.models import Posting, Reminder
from tests.factories import (
    CadreFactory,
    PostingFactory,
    ReminderFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture
def postings(tree, world):
    """The world's two postings and one of each shape around county A and the
    city: outward, inward, across the two counties, and wholly elsewhere."""
    elsewhere = UnitFactory(name="外省厅", kind=Unit.Kind.ORGAN)
    far = UnitFactory(name="外省镇", kind=Unit.Kind.TOWNSHIP, parent=elsewhere)
    shapes = {
        "a": world.a.posting,
        "b": world.b.posting,
        "outward": (tree.organ_a, far),
        "inward": (elsewhere, tree.township_a1),
        "across": (tree.organ_b, tree.village_a1),
        "beyond": (elsewhere, far),
    }
    for name, units in list(shapes.items()):
        if isinstance(units, tuple):
            sending, receiving = units
            shapes[name] = PostingFactory(
                cadre=CadreFactory(name=name, unit=sending),
                sending_unit=sending,
                receiving_unit=receiving,
                status=Posting.Status.ACTIVE,
            )
    return shapes


def _names(postings, selected) -> set[str]:
    by_pk = {posting.pk: name for name, posting in postings.items()}
    return {by_pk[posting.pk] for posting in selected}


def test_joined_scope_selects_the_same_postings_for_every_role(personas, postings):
    personas["org_elsewhere"] = UserFactory(
        username="org_elsewhere",
        role=Role.ORG_STAFF,
        unit=postings["beyond"].sending_unit,
    )
    seen = {}
    for name, user in personas.items():
        plain = set(Posting.objects.filter(Posting.scope_q(user)))
        joined = set(Posting.objects.filter(Posting.scope_q(user, joined=True)))
        assert joined == plain, name
        assert plain == set(Posting.objects.visible_to(user)), name
        seen[name] = _names(postings, plain)
    # The shapes tell the jurisdictions apart: a top-level one (the city, a
    # root), a county inside it and a root elsewhere.
    assert seen["org_city"] == set(postings) - {"beyond"}
    assert seen["org_a"] == {"a", "outward", "inward", "across"}
    assert seen["org_elsewhere"] == {"outward", "inward", "beyond"}


def test_a_users_reminders_and_notifications_are_scoped_alike_through_the_join(
    personas, postings
):
    """Through a prefix: every persona has a reminder and a ladder
    notification on every posting; the joined filter keeps exactly those the
    subquery filter keeps, and the badge counts them."""
    Reminder.objects.all().delete()  # the world's own two: one of each here
    for posting in postings.values():
        obligation = Obligation.objects.create(
            kind="monthly_note",
            posting=posting,
            period=posting.start_date,
            owed_by=Role.HOST_LEADER,
            unit=posting.receiving_unit,
            due_on=posting.start_date,
        )
        for user in personas.values():
            ReminderFactory(posting=posting, recipient=user)
            Notification.objects.create(
                obligation=obligation,
                step="after3",
                audience="owner",
                step_on=obligation.due_on,
                recipient=user,
                channel="app",
                status="sent",
                sent_at=obligation.created_at,
            )
    seen = {}
    for name, user in personas.items():
        reminders = Reminder.objects.filter(recipient=user)
        plain = set(reminders.filter(Posting.scope_q(user, prefix="posting__")))
        joined = set(
            reminders.filter(Posting.scope_q(user, prefix="posting__", joined=True))
        )
        assert joined == plain, name
        assert set(reminders.visible_to(user)) == plain, name
        ladder = Notification.objects.filter(recipient=user)
        plain_ladder = set(
            ladder.filter(obligation_scope_q(user, prefix="obligation__"))
        )
        assert set(ladder.visible_to(user)) == plain_ladder, name
        assert len(plain_ladder) == len(plain), name
        assert unread_count(user) == 2 * len(plain), name
        seen[name] = _names(postings, (r.posting for r in plain))
    assert seen["org_city"] == set(postings) - {"beyond"}
    assert seen["org_a"] == {"a", "outward", "inward", "across"}
    assert seen["admin"] == set(postings)
