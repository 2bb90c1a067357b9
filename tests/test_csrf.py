"""Every state-changing URL refuses a POST without a CSRF token (issue 15).

The URLs are found, not listed: every named pattern of the URL conf, the
admin's included, on a real object of the world (the scope matrix's builders).
A URL is state-changing when its view accepts POST: OPTIONS is a safe method
(no CSRF check) and a view restricted by require_http_methods answers it with
405 and an Allow header, a class-based view with its Allow header; a view that
restricts nothing accepts POST too. Each such URL is POSTed without a token by
a user the policy table lets in (anonymous for the public ones) and must be
refused by Django's CSRF check itself (CsrfViewMiddleware._reject), not by
the role check or a 404.
"""

import pytest
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client
from django.urls import reverse

from cadres.policy import URL_POLICY, role_may_use
from tests.conftest import all_urls
from tests.test_scope_matrix import OUT_OF_SCOPE_KWARGS

# The public ballot form takes a one-time code in the URL.
EXTRA_KWARGS = {"assessment:ballot_entry": lambda side: {}}


def _declares_post(client: Client, url: str) -> bool | None:
    """True: the view declares POST; False: it refuses POST; None: it
    restricts no method (it takes a POST as it takes a GET)."""
    response = client.options(url)
    allow = response.get("Allow")
    if allow is not None:
        return "POST" in {m.strip().upper() for m in allow.split(",")}
    return False if response.status_code == 405 else None


def _url_for(info, side) -> str:
    if info.name in OUT_OF_SCOPE_KWARGS:
        return reverse(info.name, kwargs=OUT_OF_SCOPE_KWARGS[info.name](side))
    if info.kwargs:
        return info.sample_url()
    return reverse(info.name)


def _clients(personas, cadre_user):
    """role -> a CSRF-enforcing client logged in as a persona of side A."""
    users = [
        personas["admin"],
        personas["org_a"],
        personas["host_a"],
        personas["home_a"],
        cadre_user,
    ]
    clients = {}
    for user in users:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        clients[user.role] = (user, client)
    return clients


def test_every_state_changing_url_refuses_a_token_less_post(
    personas, cadre_user, world, monkeypatch, capsys
):
    rejected: list[str] = []
    original = CsrfViewMiddleware._reject

    def recording(self, request, reason):
        rejected.append(request.path)
        return original(self, request, reason)

    monkeypatch.setattr(CsrfViewMiddleware, "_reject", recording)
    clients = _clients(personas, cadre_user)
    anonymous = Client(enforce_csrf_checks=True)

    state_changing = []
    unrestricted = []
    unrefused = []
    for info in sorted(all_urls(), key=lambda u: u.name):
        if info.name == "logout":
            continue  # tried last: it ends the session the others use
        url = _url_for(info, world.a)
        if URL_POLICY.get(info.name) == "public":
            client = anonymous
        else:
            allowed = [
                c for role, (u, c) in clients.items() if role_may_use(role, info.name)
            ]
            # The admin's pages are for superusers only.
            client = allowed[0] if allowed else clients["admin"][1]
        declared = _declares_post(client, url)
        if declared is False:
            continue
        (state_changing if declared else unrestricted).append(info.name)
        before = len(rejected)
        response = client.post(url, {"name": "x", "reason": "x"})
        if response.status_code != 403 or len(rejected) != before + 1:
            unrefused.append((info.name, url, response.status_code))
    # Logging out is a POST too (Django 5): refused without a token, the
    # session survives.
    user, client = clients["org_staff"]
    response = client.post(reverse("logout"))
    state_changing.append("logout")
    if response.status_code != 403:
        unrefused.append(("logout", reverse("logout"), response.status_code))
    assert client.get(reverse("home")).status_code == 200

    assert unrefused == []
    # The crawl found the project's forms and actions, not just a handful.
    for name in (
        "login",
        "cadres:create",
        "postings:transition",
        "cadres:worklog_create",
        "assessment:ballot_entry",
        "obligations:waive",
    ):
        assert name in state_changing, name
    assert len(state_changing) > 50
    # Nothing changed through the refused POSTs.
    world.a.reminder.refresh_from_db()
    assert world.a.reminder.read_at is None
    with capsys.disabled():
        print(
            f"\nCSRF: {len(state_changing)} state-changing URLs refused a "
            f"token-less POST (and {len(unrestricted)} URLs whose view "
            "restricts no method)"
        )


@pytest.mark.parametrize("name", ["login", "assessment:ballot_entry"])
def test_the_public_forms_carry_a_token(db, name):
    """The forms reachable without an account do send a token (so the refusal
    above is not the only thing a real user ever gets)."""
    response = Client(enforce_csrf_checks=True).get(reverse(name))
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
