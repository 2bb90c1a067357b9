"""The stored payloads run no script in a real browser (issue 15).

The world of tests/test_xss.py (one of everything, every free-text field
holding a payload that bumps window.__xss when it runs) is served by a live
server; Chromium opens one page per template, each as a role that may open
it, and counts the payloads that ran (window.__xss) and the scripts the
Content-Security-Policy had to refuse (a payload that got through the escaping
would show as one). Both must be 0.
"""

from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import make_password
from django.test import Client

from cadres.policy import role_may_use
from tests.e2e.pages import PASSWORD, login
from tests.test_xss import fill_with_payloads, make_everything, page_urls

COUNTERS = """
window.__xss = window.__xss || 0;
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(e.violatedDirective + " " + (e.sample || ""));
});
"""


def _one_page_per_template(users, side):
    """(user, url, template) for the first page that renders each template."""
    chosen, seen = [], set()
    for user in users:
        client = Client()
        client.force_login(user)
        client.raise_request_exception = False
        for name, url in page_urls(side):
            if not role_may_use(user.role, name):
                continue
            response = client.get(url)
            if response.status_code != 200 or not response.templates:
                continue
            template = response.templates[0].name
            if template in seen:
                continue
            seen.add(template)
            chosen.append((user, url, template))
    return chosen


def test_no_stored_payload_runs_in_the_browser(
    transactional_db, live_server, new_page, personas, cadre_user, world, capsys
):
    users = [
        personas["admin"],
        personas["org_a"],
        personas["host_a"],
        personas["home_a"],
        cadre_user,
    ]
    for user in users:
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
    make_everything(world.a)
    fields, _ = fill_with_payloads()
    # Rendered in a thread of its own: in this one Playwright's event loop
    # runs, and django-constance would hand the views async proxies.
    with ThreadPoolExecutor(1) as pool:
        pages = pool.submit(_one_page_per_template, users, world.a).result()
    assert len(pages) > 30

    ran, refused, visited = [], [], 0
    by_user: dict[int, object] = {}
    for user, url, template in pages:
        if user.pk not in by_user:
            page = new_page()
            page.add_init_script(COUNTERS)
            login(page, live_server.url, user.username)
            by_user[user.pk] = page
        page = by_user[user.pk]
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        visited += 1
        count = page.evaluate("window.__xss")
        if count:
            ran.append((user.username, url, template, count))
        refused += [(user.username, url, v) for v in page.evaluate("window.__refused")]

    # The counters work: a payload slipped into the page is refused and seen.
    page = next(iter(by_user.values()))
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<img src=x onerror=\"window.__xss=(window.__xss||0)+1\">')"
    )
    page.wait_for_function("window.__refused.length > 0")

    assert ran == []
    assert refused == []
    with capsys.disabled():
        print(
            f"\nXSS (browser): {visited} pages, one per template, with payloads "
            f"in {fields} text fields: 0 scripts executed, 0 refused by the CSP"
        )
