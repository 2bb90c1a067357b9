"""No `next` sends a user off-site (issue 15).

Every view that reads a return URL is tried: the login page (GET shows the
form with `next`, POST logs in and redirects), the admin's login, logging out,
and the obligation waiver's `next` (portal/views_obligations.py, the only view
of the project's own that reads one: `grep -rn "next" --include=*.py`). There
is no set-language view. Each target must either be dropped or stay on this
host: never a Location, a form field or a link pointing elsewhere.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_scope_matrix import _record

HOSTILE = [
    "https://evil.example",
    "https://evil.example/login/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "///evil.example",
    "https:evil.example",
    " //evil.example",
    "\t//evil.example",
    "http://testserver@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]

PASSWORD = "Right-Pass-2026"


def _off_site(location: str) -> bool:
    """Whether a browser following `location` would leave testserver or run
    script (browsers treat backslashes as slashes and skip leading blanks)."""
    target = re.sub(r"^/{2,}", "//", location.strip().replace("\\", "/"))
    parts = urlsplit(target)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return True
    return bool(parts.netloc) and parts.netloc.rsplit("@", 1)[-1] != "testserver"


def test_the_helper_recognises_off_site_targets():
    assert all(_off_site(t) for t in HOSTILE if not t.startswith("https:evil"))
    assert not _off_site("/postings/")
    assert not _off_site("http://testserver/postings/")


def _assert_stays(response, target, where, tried):
    tried.append(where)
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert not _off_site(location), (where, target, location)
    body = response.content.decode(errors="replace")
    # Echoed only escaped, as a form value: never as a link or a raw string.
    assert f'href="{target}"' not in body, (where, target)
    if target.startswith(("javascript", "JaVa", "data:")):
        assert f'action="{target}"' not in body, (where, target)


@pytest.fixture
def zhang(org_a):
    org_a.set_password(PASSWORD)
    org_a.save()
    return org_a


def test_no_next_redirects_off_site(zhang, world, login, capsys, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    zhang.set_password(PASSWORD)
    zhang.save()
    tried: list[str] = []
    waive = reverse(
        "obligations:waive", kwargs={"pk": _record(world.a, "obligation").pk}
    )
    for target in HOSTILE:
        # The login form, shown and submitted.
        anon = Client()
        _assert_stays(
            anon.get(reverse("login"), {"next": target}), target, "login GET", tried
        )
        response = anon.post(
            reverse("login") + "?next=" + target,
            {"username": zhang.username, "password": PASSWORD, "next": target},
        )
        assert response.status_code == 302, target  # logged in
        _assert_stays(response, target, "login POST", tried)
        # Already logged in: the login page redirects at once.
        _assert_stays(
            anon.get(reverse("login"), {"next": target}),
            target,
            "login GET logged in",
            tried,
        )
        # Logging out.
        _assert_stays(
            anon.post(reverse("logout"), {"next": target}), target, "logout", tried
        )
        _assert_stays(
            anon.post(reverse("logout") + "?next=" + target),
            target,
            "logout ?next",
            tried,
        )
        # The admin's login.
        _assert_stays(
            Client().get(reverse("admin:login"), {"next": target}),
            target,
            "admin login GET",
            tried,
        )
        # The obligation waiver: the form's cancel link and the redirect after.
        client = login(zhang)
        _assert_stays(client.get(waive, {"next": target}), target, "waive GET", tried)
        _assert_stays(
            client.post(waive, {"next": target, "reason": ""}),
            target,
            "waive POST invalid",
            tried,
        )
    # The last waiver is valid: it redirects, still on this host.
    client = login(zhang)
    response = client.post(waive, {"next": "//evil.example", "reason": "调研已并入"})
    assert response.status_code == 302
    assert response["Location"] == reverse("obligations:list")
    _assert_stays(response, "//evil.example", "waive POST valid", tried)
    # A same-site next is still honoured (the check is not "drop them all").
    anon = Client()
    response = anon.post(
        reverse("login"),
        {"username": zhang.username, "password": PASSWORD, "next": "/postings/"},
    )
    assert response["Location"] == "/postings/"
    with capsys.disabled():
        print(
            f"\nopen redirect: {len(tried)} requests with {len(HOSTILE)} hostile "
            "targets, 0 off-site redirects"
        )
