"""The cadre list's count (postings.models.count_cadres_visible): for a
top-level jurisdiction all cadres less the few outside it, for everyone else
the list's own filter counted. It must equal the rows the list can show, for
every role and every shape of cadre around a jurisdiction's edge."""

import pytest
from django.urls import reverse

from cadres.models import Cadre, Role, Unit
from postings.models import cadres_visible_to, count_cadres_visible
from tests.factories import CadreFactory, PostingFactory, UnitFactory, UserFactory


@pytest.fixture
def shapes(tree, world):
    """Cadres inside the city, beyond it, and beyond it with a posting that
    touches it (either way) or not."""
    elsewhere = UnitFactory(name="外省厅", kind=Unit.Kind.ORGAN)
    far = UnitFactory(name="外省镇", kind=Unit.Kind.TOWNSHIP, parent=elsewhere)
    CadreFactory(name="城内无挂职", unit=tree.organ_b, is_reserve=True)
    CadreFactory(name="外省无挂职", unit=elsewhere, is_reserve=True)
    for name, sending, receiving in [
        ("外省来挂职", elsewhere, tree.township_a1),
        ("外省派本市", tree.organ_a, far),
        ("外省在外省", elsewhere, far),
        ("本市去外省", tree.organ_b, far),
    ]:
        unit = elsewhere if name.startswith("外省") else sending
        PostingFactory(
            cadre=CadreFactory(name=name, unit=unit, is_reserve=True),
            sending_unit=sending,
            receiving_unit=receiving,
        )
    return elsewhere


def test_the_count_equals_the_cadres_in_scope_for_every_role(personas, shapes):
    personas["org_elsewhere"] = UserFactory(
        username="org_elsewhere", role=Role.ORG_STAFF, unit=shapes
    )
    everyone = Cadre.objects.all()
    seen = {}
    for name, user in personas.items():
        for cadres in (everyone, everyone.filter(is_reserve=True)):
            expected = cadres_visible_to(user, cadres).count()
            assert count_cadres_visible(user, cadres) == expected, name
        seen[name] = set(cadres_visible_to(user).values_list("name", flat=True))
    # The city (a root) sees all but the cadres wholly elsewhere; the root
    # elsewhere sees its own and those posted across the edge.
    assert {"外省无挂职", "外省在外省"}.isdisjoint(seen["org_city"])
    assert {"外省来挂职", "外省派本市", "本市去外省"} <= seen["org_city"]
    assert seen["org_elsewhere"] == {
        "外省无挂职",
        "外省来挂职",
        "外省派本市",
        "外省在外省",
        "本市去外省",
    }


def test_the_list_counts_what_it_lists(login, org_city, shapes):
    page = login(org_city).get(reverse("cadres:list"), {"reserve": "1"})
    assert page.status_code == 200
    listed = [row.name for row in page.context["page_obj"]]
    assert page.context["page_obj"].paginator.count == len(listed) == 4
    assert "外省无挂职" not in listed and "外省来挂职" in listed
