"""Browser tests: Playwright for Python driving Debian's /usr/bin/chromium.

No browser is downloaded. On a developer machine without Chromium the tests
skip with a reason; in CI (CI=true) a missing Chromium fails them.
"""

import datetime as dt
import os
import shutil

import pytest

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from guazhi.dates import add_months
from obligations.services import catch_up
from postings.models import Posting
from tests.e2e.pages import PASSWORD

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
)

# Playwright's sync API runs an event loop in this thread; the ORM calls that
# set up data here are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, tmp_path):
    contexts = []

    def make():
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def note_owing_posting(transactional_db):
    """An active posting in 柳湾镇 (清河县) whose note of the month before last
    is overdue, with its org staff (zzb) and host leader (lw), after the
    catch-up: the obligations and reminder journeys start here."""
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    township = unit_create(name="柳湾镇", kind="township", parent=county)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    cadre = Cadre.objects.create(
        name="林晓雯",
        id_number=idcard.make("320581", dt.date(1988, 3, 14), 37, "F"),
        gender="F",
        birth_date=dt.date(1988, 3, 14),
        unit=organ,
        rank=2,
    )
    for username, role, unit in (
        ("zzb", Role.ORG_STAFF, county),
        ("lw", Role.HOST_LEADER, township),
    ):
        User.objects.create_user(
            username, password=PASSWORD, role=role, unit=unit, last_name=username
        )
    today = dt.date.today()
    # Begun in the month before last: that month's note is overdue (due on
    # day 10 of last month).
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=organ,
        receiving_unit=township,
        title="乡镇长助理",
        start_date=add_months(today.replace(day=1), -2),
        planned_end_date=today + dt.timedelta(days=300),
        status=Posting.Status.ACTIVE,
        created_by=User.objects.get(username="zzb"),
    )
    posting.set_midterm_date()
    posting.save()
    catch_up(today)  # the posting began before: the first run catches up
    return posting
