"""Personas and a two-county world (healthchecks' alice/bob/charlie, for 组织部).

    江州市 (city)                       org_city
    ├── 甲县 (county A)                 org_a
    │   ├── 甲县财政局 (organ)          home_a; cadre A (cadre_user) is from here
    │   └── 甲一镇 (township A1)        host_a; receives cadre A
    │       └── 甲一村 (village)
    └── 乙县 (county B)                 org_b
        ├── 乙县农业局 (organ)          cadre B is from here
        └── 乙一镇 (township B1)        host_b; receives cadre B

`world` holds, for each county, a cadre, an active posting, a monthly note and a
reminder. Everything on side B is out of scope for org_a, host_a, home_a and
cadre_user; everything on side A is out of scope for host_b and org_b.
"""

import datetime as dt
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from cadres.models import Cadre, Role, Unit, User
from guazhi.dates import add_months
from postings.models import Posting, Reminder
from records.models import MonthlyNote
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReminderFactory,
    UnitFactory,
    UserFactory,
)

# Names that occur nowhere else, so "not in response.content" means something.
CADRE_A_NAME = "司马甲明"
CADRE_B_NAME = "欧阳乙峰"


@pytest.fixture
def tree(db) -> SimpleNamespace:
    city = UnitFactory(name="江州市", kind=Unit.Kind.REGION)
    county_a = UnitFactory(name="甲县", kind=Unit.Kind.REGION, parent=city)
    organ_a = UnitFactory(name="甲县财政局", kind=Unit.Kind.ORGAN, parent=county_a)
    township_a1 = UnitFactory(
        name="甲一镇", kind=Unit.Kind.TOWNSHIP, parent=county_a, distance_km=30
    )
    village_a1 = UnitFactory(name="甲一村", kind=Unit.Kind.VILLAGE, parent=township_a1)
    county_b = UnitFactory(name="乙县", kind=Unit.Kind.REGION, parent=city)
    organ_b = UnitFactory(name="乙县农业局", kind=Unit.Kind.ORGAN, parent=county_b)
    township_b1 = UnitFactory(
        name="乙一镇", kind=Unit.Kind.TOWNSHIP, parent=county_b, distance_km=55
    )
    return SimpleNamespace(
        city=city,
        county_a=county_a,
        organ_a=organ_a,
        township_a1=township_a1,
        village_a1=village_a1,
        county_b=county_b,
        organ_b=organ_b,
        township_b1=township_b1,
    )


def _user(username: str, role: str, unit: Unit | None, **extra) -> User:
    return UserFactory(
        username=username, last_name=username, role=role, unit=unit, **extra
    )


@pytest.fixture
def org_city(tree) -> User:
    return _user("org_city", Role.ORG_STAFF, tree.city)


@pytest.fixture
def org_a(tree) -> User:
    return _user("org_a", Role.ORG_STAFF, tree.county_a)


@pytest.fixture
def org_b(tree) -> User:
    return _user("org_b", Role.ORG_STAFF, tree.county_b)


@pytest.fixture
def host_a(tree) -> User:
    return _user("host_a", Role.HOST_LEADER, tree.township_a1)


@pytest.fixture
def host_b(tree) -> User:
    return _user("host_b", Role.HOST_LEADER, tree.township_b1)


@pytest.fixture
def home_a(tree) -> User:
    return _user("home_a", Role.HOME_CONTACT, tree.organ_a)


@pytest.fixture
def admin(tree) -> User:
    return _user("admin", Role.ADMIN, None)


@dataclass
class Side:
    cadre: Cadre
    posting: Posting
    note: MonthlyNote
    reminder: Reminder


@dataclass
class World:
    a: Side
    b: Side


def months_ago(n: int, today: dt.date | None = None) -> dt.date:
    """The first day of the month n months before today's."""
    return add_months((today or dt.date.today()).replace(day=1), -n)


def _side(*, name, home, host, leader, reminder_to) -> Side:
    today = dt.date.today()
    cadre = CadreFactory(name=name, unit=home)
    # Mid-term about fifty days ahead: outside the reminder window unless a
    # test moves it.
    posting = PostingFactory(
        cadre=cadre,
        sending_unit=home,
        receiving_unit=host,
        start_date=today - dt.timedelta(days=300),
        planned_end_date=today + dt.timedelta(days=400),
        status=Posting.Status.ACTIVE,
    )
    note = MonthlyNoteFactory(posting=posting, month=months_ago(2), author=leader)
    reminder = ReminderFactory(posting=posting, recipient=reminder_to)
    return Side(cadre=cadre, posting=posting, note=note, reminder=reminder)


@pytest.fixture
def world(tree, org_a, host_a, host_b) -> World:
    a = _side(
        name=CADRE_A_NAME,
        home=tree.organ_a,
        host=tree.township_a1,
        leader=host_a,
        reminder_to=org_a,
    )
    b = _side(
        name=CADRE_B_NAME,
        home=tree.organ_b,
        host=tree.township_b1,
        leader=host_b,
        reminder_to=host_b,
    )
    return World(a=a, b=b)


@pytest.fixture
def cadre_user(world) -> User:
    """The account of cadre A, who is on an active posting in county A."""
    return _user("cadre_user", Role.CADRE, None, cadre=world.a.cadre)


@pytest.fixture
def login():
    """login(user) -> a test client with that user's session."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def personas(org_city, org_a, org_b, host_a, host_b, home_a, cadre_user, admin):
    return {
        "org_city": org_city,
        "org_a": org_a,
        "org_b": org_b,
        "host_a": host_a,
        "host_b": host_b,
        "home_a": home_a,
        "cadre_user": cadre_user,
        "admin": admin,
    }


def form_errors(response) -> str:
    """The error messages a form page shows: field errors and the form's own."""
    html = response.content.decode()
    field = re.findall(r"<strong>(.*?)</strong>", html, re.S)
    general = re.findall(r'alert-danger"> <ul class="m-0"> (.*?) </ul>', html, re.S)
    return " ".join(field + general)


# --- URL patterns -------------------------------------------------------------


@dataclass(frozen=True)
class UrlInfo:
    name: str  # "namespace:name"
    kwargs: tuple[str, ...]  # keyword arguments, from every level of includes
    converters: tuple[str, ...]  # "int", "str", "path", "regex" per kwarg

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    def sample_url(self) -> str:
        """The URL with dummy arguments: ints 1, strings "x"; regex groups tried."""
        if not self.kwargs:
            return reverse(self.name)
        first = {
            k: "1" if conv == "int" else "x"
            for k, conv in zip(self.kwargs, self.converters, strict=True)
        }
        try:
            return reverse(self.name, kwargs=first)
        except NoReverseMatch:
            pass
        # A regex group such as admin's app_list (?P<app_label>auth|cadres|...).
        for candidate in ("1", "x", "cadres", "postings", "auth"):
            try:
                return reverse(self.name, kwargs=dict.fromkeys(self.kwargs, candidate))
            except NoReverseMatch:
                continue
        raise AssertionError(f"cannot build a sample URL for {self.name}")


def _converter_name(converter) -> str:
    return type(converter).__name__.removesuffix("Converter").lower()


def _walk(patterns, namespace: str | None, kwargs: tuple, converters: tuple):
    for entry in patterns:
        if isinstance(entry.pattern, RoutePattern):
            names = tuple(entry.pattern.converters)
            convs = tuple(_converter_name(c) for c in entry.pattern.converters.values())
        else:
            names = tuple(entry.pattern.regex.groupindex)
            convs = ("regex",) * len(names)
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
            yield from _walk(
                entry.url_patterns, inner, kwargs + names, converters + convs
            )
        elif isinstance(entry, URLPattern) and entry.name:
            full = f"{namespace}:{entry.name}" if namespace else entry.name
            yield UrlInfo(full, kwargs + names, converters + convs)


def all_urls() -> list[UrlInfo]:
    """Every named URL pattern of the project, admin's included."""
    seen: dict[str, UrlInfo] = {}
    for info in _walk(get_resolver().url_patterns, None, (), ()):
        seen.setdefault(info.name, info)
    return list(seen.values())


# --- The dossier ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded attachments go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """Each test gets an empty in-memory cache (rate-limit counters live there)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture
def cadre_b(world) -> User:
    """The account of cadre B, on an active posting in county B."""
    return _user("cadre_b", Role.CADRE, None, cadre=world.b.cadre)


@pytest.fixture
def round_a(world, org_a):
    """A collecting round of county A holding cadre A's posting."""
    from tests.assessment.factories import make_round

    return make_round(org_a, [world.a.posting])
