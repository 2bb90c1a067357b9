"""The posting kind against the units' levels (seed 000's 三派: 外派 to developed
regions, 下派 to townships, 上派 to higher organs), a soft rule: a kind that
does not fit is refused until a reason is given, and the reason is recorded.

A unit's level is that of the region it belongs to (province, city, county),
or township, or village (cadres.models.unit_level).
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cadres.models import Role, Unit, UnitLevel, unit_level
from postings import services
from postings.models import PostCategory, Posting, RuleOverride
from tests.conftest import form_errors
from tests.factories import CadreFactory, UnitFactory, UserFactory

K = Unit.Kind
START = dt.date(2026, 3, 1)


@pytest.fixture
def land(db) -> SimpleNamespace:
    """A province with two cities, and a coastal city of another province."""
    province = UnitFactory(name="江南省", kind=K.REGION)
    city = UnitFactory(name="江州市", kind=K.REGION, parent=province)
    county = UnitFactory(name="甲县", kind=K.REGION, parent=city)
    township = UnitFactory(name="甲一镇", kind=K.TOWNSHIP, parent=county)
    other_city = UnitFactory(name="湖州市", kind=K.REGION, parent=province)
    coast = UnitFactory(name="沿海市", kind=K.REGION)
    district = UnitFactory(name="沿海市浦阳区", kind=K.REGION, parent=coast)
    units = SimpleNamespace(
        province=province,
        province_organ=UnitFactory(name="省发改委", kind=K.ORGAN, parent=province),
        city=city,
        city_organ=UnitFactory(name="江州市教育局", kind=K.ORGAN, parent=city),
        county=county,
        county_organ=UnitFactory(name="甲县财政局", kind=K.ORGAN, parent=county),
        other_county_organ=UnitFactory(
            name="乙县农业局",
            kind=K.ORGAN,
            parent=UnitFactory(name="乙县", kind=K.REGION, parent=city),
        ),
        township=township,
        village=UnitFactory(name="甲一村", kind=K.VILLAGE, parent=township),
        other_city_organ=UnitFactory(
            name="湖州市商务局", kind=K.ORGAN, parent=other_city
        ),
        coast=coast,
        district=district,
        coast_organ=UnitFactory(name="浦阳区科技局", kind=K.ORGAN, parent=district),
    )
    units.staff = UserFactory(
        username="org_province", role=Role.ORG_STAFF, unit=province
    )
    return units


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("province", UnitLevel.PROVINCE),
        ("province_organ", UnitLevel.PROVINCE),
        ("city", UnitLevel.CITY),
        ("city_organ", UnitLevel.CITY),
        ("county", UnitLevel.COUNTY),
        ("county_organ", UnitLevel.COUNTY),
        ("township", UnitLevel.TOWNSHIP),
        ("village", UnitLevel.VILLAGE),
        ("other_city_organ", UnitLevel.CITY),
        # A tree of its own that starts at a city: its top is a city.
        ("coast", UnitLevel.CITY),
        ("district", UnitLevel.COUNTY),
        ("coast_organ", UnitLevel.COUNTY),
    ],
)
def test_a_units_level_is_that_of_its_region_or_township_or_village(land, name, level):
    assert unit_level(getattr(land, name)) == level


def test_a_tree_that_starts_at_a_city_or_a_county_is_read_by_its_top(tree):
    assert unit_level(tree.city) == UnitLevel.CITY
    assert unit_level(tree.organ_a) == UnitLevel.COUNTY
    assert unit_level(tree.village_a1) == UnitLevel.VILLAGE
    county = UnitFactory(name="清河县", kind=K.REGION)
    assert unit_level(UnitFactory(kind=K.ORGAN, parent=county)) == UnitLevel.COUNTY


def test_a_unit_under_no_region_has_no_level(db):
    assert unit_level(UnitFactory(kind=K.ORGAN)) is None


def _create(land, kind, sending, receiving, **fields) -> Posting:
    values = {
        "cadre": CadreFactory(unit=sending),
        "kind": kind,
        "sending_unit": sending,
        "receiving_unit": receiving,
        "title": "挂职锻炼",
        "category": PostCategory.OTHER,
        "start_date": START,
        "planned_end_date": dt.date(2027, 3, 1),
    }
    values.update(fields)
    return services.posting_create(by=land.staff, **values)


FITTING = [
    ("downward", "county_organ", "township"),
    ("downward", "county_organ", "village"),
    ("downward", "city_organ", "county_organ"),
    ("downward", "province_organ", "city_organ"),
    ("upward", "county_organ", "city_organ"),
    ("upward", "township", "county_organ"),
    ("upward", "city_organ", "province_organ"),
    ("outward", "county_organ", "coast_organ"),
    ("outward", "county_organ", "other_city_organ"),
    ("outward", "city_organ", "coast"),
]
NOT_FITTING = [
    # The reported case: a 下派 to a higher organ.
    (
        "downward",
        "county_organ",
        "city_organ",
        "下派应到层级更低的单位：派出单位甲县财政局为县级，接收单位江州市教育局为市级",
    ),
    (
        "downward",
        "county_organ",
        "other_county_organ",
        "下派应到层级更低的单位：派出单位甲县财政局为县级，接收单位乙县农业局为县级",
    ),
    (
        "upward",
        "county_organ",
        "township",
        "上派应到层级更高的单位：派出单位甲县财政局为县级，接收单位甲一镇为乡镇级",
    ),
    (
        "outward",
        "county_organ",
        "other_county_organ",
        "外派应到派出单位所在的江州市以外：接收单位乙县农业局在江州市内",
    ),
    (
        "outward",
        "township",
        "city_organ",
        "外派应到派出单位所在的江州市以外：接收单位江州市教育局在江州市内",
    ),
]


@pytest.mark.parametrize(("kind", "sending", "receiving"), FITTING)
def test_a_kind_that_fits_the_units_needs_no_reason(land, kind, sending, receiving):
    posting = _create(land, kind, getattr(land, sending), getattr(land, receiving))
    assert posting.pk
    assert not posting.overrides.exists()


@pytest.mark.parametrize(("kind", "sending", "receiving", "detail"), NOT_FITTING)
def test_a_kind_that_does_not_fit_is_refused_without_a_reason(
    land, kind, sending, receiving, detail
):
    cadre = CadreFactory(unit=getattr(land, sending))
    with pytest.raises(ValidationError) as caught:
        _create(
            land, kind, getattr(land, sending), getattr(land, receiving), cadre=cadre
        )
    assert caught.value.message_dict["override_reason"] == [
        f"{detail}。如确需这样安排，请填写理由。"
    ]
    assert not Posting.objects.filter(cadre=cadre).exists()
    assert not RuleOverride.objects.exists()


@pytest.mark.parametrize(("kind", "sending", "receiving", "detail"), NOT_FITTING)
def test_a_kind_that_does_not_fit_is_accepted_with_the_reason_recorded(
    land, kind, sending, receiving, detail
):
    posting = _create(
        land,
        kind,
        getattr(land, sending),
        getattr(land, receiving),
        override_reason="  市委组织部批准  ",
    )
    override = posting.overrides.get()
    assert override.rule == RuleOverride.Rule.KIND_LEVEL
    assert (override.detail, override.reason, override.by) == (
        detail,
        "市委组织部批准",
        land.staff,
    )


def test_units_of_unknown_level_are_not_judged(land):
    loose = UnitFactory(name="未归属单位", kind=K.ORGAN)
    posting = _create(land, "downward", land.county_organ, loose)
    assert not posting.overrides.exists()


def test_the_form_asks_for_a_reason_and_then_records_it(login, land):
    cadre = CadreFactory(unit=land.county_organ)
    data = {
        "cadre": cadre.pk,
        "kind": "downward",
        "sending_unit": land.county_organ.pk,
        "receiving_unit": land.city_organ.pk,
        "title": "局长助理",
        "category": PostCategory.CITY_ORGAN,
        "start_date": "2026-03-01",
        "planned_end_date": "",
    }
    client = login(land.staff)
    response = client.post(reverse("postings:create"), data)
    assert response.status_code == 200
    assert "下派应到层级更低的单位" in form_errors(response)
    assert not Posting.objects.filter(cadre=cadre).exists()
    response = client.post(
        reverse("postings:create"), {**data, "override_reason": "跟班学习性质"}
    )
    assert response.status_code == 302
    posting = Posting.objects.get(cadre=cadre)
    assert posting.overrides.get().rule == RuleOverride.Rule.KIND_LEVEL
    body = client.get(posting.get_absolute_url()).content.decode()
    assert "下派应到层级更低的单位" in body and "跟班学习性质" in body
