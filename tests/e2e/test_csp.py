"""The Content-Security-Policy in a real browser (issue 15): every role's pages
load in headless Chromium with no CSP violation and no script error, and their
scripts still work under the policy (menus open, lookups suggest, print)."""

import datetime as dt

import pytest
from django.urls import reverse

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from postings.models import Posting
from tests.e2e.pages import PASSWORD, login, logout, pick

# Runs before any script of each page (Playwright's init scripts are not
# subject to the page's CSP): records violations, and stands in for the print
# dialog, which would block a headless page.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
window.print = () => { window.__printed = (window.__printed || 0) + 1; };
"""


class Watch:
    """A page whose CSP violations, console errors and script errors are kept."""

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.problems: list[str] = []
        self.visited: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))
        page.on("response", self._response)

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{response.status}: {response.url}")

    def _console(self, message):
        if message.type == "error":
            where = message.location.get("url", "")
            # Django's admin pages name no icon, so Chromium asks for one.
            if not where.endswith("/favicon.ico"):
                self.problems.append(f"console: {message.text} ({where})")

    def visit(self, path):
        response = self.page.goto(self.base + path)
        assert response.ok, f"{path}: {response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.check(path)

    def check(self, where):
        """Collect the violations of the page now shown."""
        self.page.wait_for_load_state("load")
        self.visited.append(where)
        found = self.page.evaluate("window.__violations.splice(0)")
        self.problems += [f"{where}: {violation}" for violation in found]


@pytest.fixture
def people(transactional_db):
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
    accounts = [
        ("zzb", Role.ORG_STAFF, county, None),
        ("lw", Role.HOST_LEADER, township, None),
        ("cz", Role.HOME_CONTACT, organ, None),
        ("lxw", Role.CADRE, None, cadre),
    ]
    for username, role, unit, who in accounts:
        User.objects.create_user(
            username, password=PASSWORD, role=role, unit=unit, cadre=who
        )
    User.objects.create_user(
        "admin", password=PASSWORD, role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    today = dt.date.today()
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=organ,
        receiving_unit=township,
        title="乡镇长助理",
        start_date=today - dt.timedelta(days=200),
        planned_end_date=today + dt.timedelta(days=165),
        status=Posting.Status.ACTIVE,
        created_by=User.objects.get(username="zzb"),
    )
    posting.set_midterm_date()
    posting.save()
    return posting


def _open_new_record_menu(page, posting):
    row = page.locator(f"#posting-table tr[data-posting='{posting.pk}']")
    row.get_by_role("button", name="新增").click()
    menu = row.locator(".dropdown-menu.show")
    menu.wait_for(state="visible")
    return menu


def test_the_watch_sees_a_violation(live_server, new_page, people):
    """An inline script slipped into a page is refused and reported."""
    watch = Watch(new_page(), live_server.url)
    watch.visit("/login/")
    watch.page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.append(script);
        }"""
    )
    watch.page.wait_for_function("window.__violations.length > 0")
    watch.check("/login/ + inline script")
    assert watch.page.evaluate("window.__ran") is None  # refused, not run
    assert any("script-src" in problem for problem in watch.problems)


def test_every_roles_pages_run_their_scripts_without_a_csp_violation(
    live_server, new_page, people
):
    posting = people
    cadre_pk = posting.cadre_id
    watch = Watch(new_page(), live_server.url)
    page, base = watch.page, live_server.url

    # Anonymous: the login page and the ballot code entry.
    watch.visit(reverse("login"))
    watch.visit(reverse("assessment:ballot_entry"))

    # Org staff: lists, the dossier and its print page, forms with scripts.
    login(page, base, "zzb")
    watch.check("/ (zzb)")
    for path in (
        reverse("cadres:list"),
        reverse("postings:list"),
        reverse("postings:detail", args=[posting.pk]),
        reverse("postings:batch_list"),
        reverse("cadres:note_list"),
        reverse("assessment:round_list"),
        reverse("assessment:round_create"),
        reverse("assessment:template_list"),
    ):
        watch.visit(path)
    watch.visit(reverse("cadres:detail", args=[cadre_pk]))
    menu = _open_new_record_menu(page, posting)  # Bootstrap's dropdown works
    assert menu.get_by_role("link").count() > 0
    watch.visit(reverse("cadres:dossier_print", args=[cadre_pk]))
    page.get_by_role("button", name="打印").click()  # static/js/print.js
    assert page.evaluate("window.__printed") == 1
    watch.visit(reverse("postings:create"))
    pick(page, "#id_cadre", "林晓")  # htmx fills the lookup's suggestions
    assert "林晓雯" in page.input_value("#id_cadre")
    watch.check("posting form after a lookup")
    logout(page)

    # The host leader: the dossier, a record form opened from its menu.
    login(page, base, "lw")
    watch.check("/ (lw)")
    watch.visit(reverse("cadres:detail", args=[cadre_pk]))
    _open_new_record_menu(page, posting).get_by_role("link", name="座谈会").click()
    page.wait_for_url("**/symposia/new/**")
    watch.check("symposium form (lw)")
    pick(page, "#id_attendees", "林晓")
    watch.check("symposium form after a lookup")
    logout(page)

    # The home unit's contact and the cadre: home and the dossier.
    for username in ("cz", "lxw"):
        login(page, base, username)
        watch.check(f"/ ({username})")
        watch.visit(reverse("cadres:detail", args=[cadre_pk]))
        logout(page)

    # The system administrator: the admin, its settings page, and the form
    # whose inline script was moved out (django_celery_beat's periodic task).
    login(page, base, "admin")
    watch.check("/ (admin)")
    watch.visit("/admin/")
    watch.visit("/admin/constance/config/")
    watch.visit("/admin/django_celery_beat/periodictask/add/")
    page.select_option("#id_crontab", index=0)

    watch.check("periodic task form")
    assert len(watch.visited) >= 25
    assert watch.problems == []
