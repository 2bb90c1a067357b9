"""The URL policy table covers every URL, and the middleware enforces it."""

import re
from urllib.parse import quote

import pytest
from django.urls import resolve, reverse

from cadres.models import Role
from cadres.policy import NAMESPACE_POLICY, PUBLIC, URL_POLICY, policy_for, role_may_use
from tests.conftest import all_urls

# The admin's own login page answers anonymous users itself; for a logged-in
# user it is under the admin namespace policy like every other admin URL.
ADMIN_LOGIN = "admin:login"

ROLE_PERSONAS = ["org_a", "host_a", "home_a", "cadre_user", "admin"]

# Admin pages that the admin itself refuses with 403 after the policy let the
# request through; the reason is the admin's, not the policy table's.
ADMIN_OWN_REFUSALS = {
    "admin:autocomplete": "answers 403 without its term/app_label/model_name query",
    "admin:postings_posting_add": "PostingAdmin: postings are created in the app",
    **{
        f"admin:postings_{model}_add": "read-only admin: written through services"
        for model in (
            "batch",
            "nomination",
            "openpost",
            "statuschange",
            "extension",
            "assignment",
            "ruleoverride",
            "reminder",
        )
    },
    **{
        f"admin:assessment_{model}_add": "read-only admin: written through services"
        for model in ("template", "templateversion", "round")
    },
    "admin:audit_entry_add": "the audit trail is written by the app, never by hand",
    "admin:obligations_obligation_add": "obligations are made by the sweep and closed by the records that fulfil them",
    **{
        f"admin:notifications_{model}_add": "the reminder sweep writes them (issue 18)"
        for model in ("notification", "sweeprun", "userwithoutemail")
    },
}


def test_the_project_has_urls_to_walk():
    names = {u.name for u in all_urls()}
    # The walk reaches the project's own URLs and the admin's nested ones.
    assert {"home", "cadres:detail", "postings:notification_read"} <= names
    assert {"admin:index", "admin:cadres_cadre_change", "admin:app_list"} <= names


def test_every_url_is_in_the_policy_table():
    missing = sorted(u.name for u in all_urls() if policy_for(u.name) is None)
    assert missing == [], f"URLs missing from guazhi.access.URL_POLICY: {missing}"


def test_the_policy_table_has_no_stale_entries():
    urls = {u.name: u for u in all_urls()}
    stale = sorted(name for name in URL_POLICY if name not in urls)
    assert stale == [], f"URL_POLICY names no URL pattern: {stale}"
    for name in URL_POLICY:
        # Each entry reverses to a URL that resolves back to that very view.
        assert resolve(urls[name].sample_url()).view_name == name
    namespaces = {u.namespace for u in urls.values()}
    assert set(NAMESPACE_POLICY) <= namespaces


def test_an_unlisted_url_is_refused_for_every_role(login, org_a, monkeypatch):
    assert policy_for("cadres:no_such_view") is None
    for role in Role:
        assert not role_may_use(role, "cadres:no_such_view")
    url = reverse("cadres:unit_tree")
    assert login(org_a).get(url).status_code == 200
    monkeypatch.delitem(URL_POLICY, "cadres:unit_tree")
    assert login(org_a).get(url).status_code == 404


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page_from_every_private_url(client):
    wrong = []
    for info in all_urls():
        url = info.sample_url()
        response = client.get(url)
        location = response.get("Location", "")
        if policy_for(info.name) == PUBLIC or info.name == ADMIN_LOGIN:
            ok = response.status_code == 200
        elif info.namespace == "admin":
            # AdminSite views send to the admin's login, ModelAdmin views are
            # caught first by LoginRequiredMiddleware: both are login pages.
            ok = response.status_code == 302 and location in (
                f"/admin/login/?next={quote(url)}",
                f"/login/?next={quote(url)}",
            )
        else:
            ok = response.status_code == 302 and location == (
                f"/login/?next={quote(url)}"
            )
        if not ok:
            wrong.append((info.name, url, response.status_code, location))
    assert wrong == []


def test_public_urls_are_only_the_login_page_the_health_check_and_the_ballot():
    assert sorted(n for n, p in URL_POLICY.items() if p == PUBLIC) == [
        "assessment:ballot_entry",
        "healthz",
        # an imported account's one-time link to set its first password
        "imports:first_password",
        "login",
    ]


def test_host_leader_gets_403_on_the_cadre_form(login, host_a):
    assert login(host_a).get(reverse("cadres:create")).status_code == 403


def test_each_role_gets_403_on_pages_not_allowed_to_it(login, personas):
    """Pages without arguments: 403 if the policy refuses the role, else served."""
    pages = [
        u
        for u in all_urls()
        if not u.kwargs and policy_for(u.name) != PUBLIC and u.name != ADMIN_LOGIN
    ]
    wrong = []
    refused = 0
    for persona in ROLE_PERSONAS:
        user = personas[persona]
        client = login(user)
        for info in pages:
            status = client.get(info.sample_url()).status_code
            if role_may_use(user.role, info.name):
                ok = status not in (403, 404) or (
                    status == 403 and info.name in ADMIN_OWN_REFUSALS
                )
            else:
                refused += 1
                ok = status == 403
            if not ok:
                wrong.append((persona, info.name, status))
    assert wrong == []
    assert refused > 0


def test_each_role_gets_404_on_object_urls_not_allowed_to_it(login, personas):
    object_urls = [u for u in all_urls() if u.kwargs]
    wrong = []
    for persona in ROLE_PERSONAS:
        user = personas[persona]
        client = login(user)
        for info in object_urls:
            if role_may_use(user.role, info.name):
                continue
            status = client.get(info.sample_url()).status_code
            if status != 404:
                wrong.append((persona, info.name, status))
    assert wrong == []


def test_roles_refused_by_policy_get_404_even_on_objects_in_their_scope(
    login, world, org_a, host_a, home_a, cadre_user
):
    a = world.a
    # Each of these users can read the object, but the role may not use the URL.
    refused = [
        (home_a, reverse("cadres:edit", args=[a.cadre.pk])),
        (host_a, reverse("postings:edit", args=[a.posting.pk])),
        (org_a, reverse("cadres:note_create", args=[a.posting.pk])),
        (org_a, reverse("cadres:note_edit", args=[a.note.pk])),
        (cadre_user, reverse("cadres:edit", args=[a.cadre.pk])),
    ]
    for user, url in refused:
        assert login(user).get(url).status_code == 404, (user.username, url)
    # ... while the same objects are readable through the allowed URLs.
    assert login(home_a).get(a.cadre.get_absolute_url()).status_code == 200
    assert login(host_a).get(a.posting.get_absolute_url()).status_code == 200
    assert login(org_a).get(a.posting.get_absolute_url()).status_code == 200
    assert login(cadre_user).get(a.cadre.get_absolute_url()).status_code == 200


NAV_EXPECTED = {
    "org_a": [
        "/",
        "/cadres/",
        "/postings/",
        "/postings/batches/",
        "/cadres/notes/",
        "/assessment/rounds/",
        "/assessment/tasks/",
        "/analytics/",
        "/cadres/units/",
        "/imports/",
        "/exports/",
    ],
    "host_a": ["/", "/cadres/", "/postings/", "/cadres/notes/", "/assessment/tasks/"],
    "home_a": ["/", "/cadres/", "/postings/", "/cadres/notes/"],
    "cadre_user": ["/", "/cadres/me/", "/postings/", "/cadres/notes/"],
    "admin": [
        "/",
        "/cadres/",
        "/postings/",
        "/postings/batches/",
        "/cadres/notes/",
        "/assessment/rounds/",
        "/analytics/",
        "/cadres/units/",
        "/imports/",
        "/exports/",
    ],
}


def _nav_links(html: str) -> list[str]:
    menu = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', html, re.S)
    assert menu, "main navigation not found"
    return re.findall(r'href="([^"]+)"', menu.group(1))


@pytest.mark.parametrize("persona", sorted(NAV_EXPECTED))
def test_navigation_shows_each_role_only_the_items_it_may_use(login, personas, persona):
    html = login(personas[persona]).get(reverse("home")).content.decode()
    links = _nav_links(html)
    expected = NAV_EXPECTED[persona] + (["/admin/"] if persona == "admin" else [])
    assert links == expected
    for href in links:
        # Every item the menu offers opens for that role.
        assert login(personas[persona]).get(href).status_code == 200, href
