"""Security headers (issue 15): CSP without inline script, framing refused,
nosniff, Referrer-Policy, COOP, and no caching of what a signed-in user sees."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from cadres.models import User
from guazhi.nostore import NoStoreMiddleware
from records.models import Attachment
from tests.cadres.files import PDF_BYTES

BASE_DIR = Path(settings.BASE_DIR)


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part)
    }


def _assert_hardened(response):
    csp = _directives(response)
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def _attachment_url(login, cadre_user, world) -> str:
    upload = SimpleUploadedFile("挂职半年汇报.pdf", PDF_BYTES)
    response = login(cadre_user).post(
        reverse("cadres:report_create", args=[world.a.posting.pk]),
        {"kind": "semiannual", "title": "半年工作汇报", "body": "主要工作如下。"}
        | {"upload": upload},
    )
    assert response.status_code == 302
    return Attachment.objects.get().get_absolute_url()


def test_a_page_carries_the_security_headers(login, org_a, world):
    response = login(org_a).get(reverse("cadres:detail", args=[world.a.cadre.pk]))
    assert response.status_code == 200
    _assert_hardened(response)


@pytest.mark.parametrize("export", ["postings:export", "cadres:dossier_export"])
def test_an_export_carries_the_security_headers(login, org_a, world, export):
    args = [world.a.cadre.pk] if export == "cadres:dossier_export" else []
    response = login(org_a).get(reverse(export, args=args))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    _assert_hardened(response)


def test_an_attachment_download_carries_the_security_headers(
    login, cadre_user, home_a, world
):
    url = _attachment_url(login, cadre_user, world)
    response = login(home_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    _assert_hardened(response)


def test_the_login_page_is_framed_by_no_one_and_runs_no_inline_script(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    csp = _directives(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert "no-store" in response["Cache-Control"]  # LoginView's never_cache


def test_no_policy_directive_allows_inline_script_or_eval():
    for name, values in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items():
        if name.startswith(("script-src", "default-src")):
            assert "'unsafe-inline'" not in values
            assert "'unsafe-eval'" not in values


# --- NoStoreMiddleware ------------------------------------------------------


def _through_middleware(path: str, user, response: HttpResponse) -> HttpResponse:
    request = RequestFactory().get(path)
    request.user = user
    return NoStoreMiddleware(lambda request: response)(request)


def test_a_signed_in_users_response_is_not_stored(db):
    response = _through_middleware("/cadres/", User(pk=1), HttpResponse("x"))
    assert response["Cache-Control"] == "no-store"


def test_a_view_that_says_how_it_is_cached_keeps_its_word(db):
    said = HttpResponse("x", headers={"Cache-Control": "private, max-age=60"})
    response = _through_middleware("/cadres/", User(pk=1), said)
    assert response["Cache-Control"] == "private, max-age=60"


def test_anonymous_responses_and_static_files_are_left_alone(db):
    anonymous = _through_middleware("/login/", AnonymousUser(), HttpResponse("x"))
    assert not anonymous.has_header("Cache-Control")
    static = f"/{settings.STATIC_URL.strip('/')}/js/app.js"
    css = _through_middleware(static, User(pk=1), HttpResponse("x"))
    assert not css.has_header("Cache-Control")


# --- No inline script in any template ---------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["'{]""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)
# <script type="application/json"> (json_script) is data, never run.
DATA_BLOCK = re.compile(r"""type\s*=\s*["']application/(ld\+)?json["']""")


def inline_scripts(text: str) -> list[str]:
    """What in a template would run as inline script: a <script> without src,
    an on...= event handler attribute, a javascript: URL."""
    found = [
        match.group(0)
        for match in SCRIPT_TAG.finditer(text)
        if "src=" not in match.group(1) and not DATA_BLOCK.search(match.group(1))
    ]
    found += [match.group(0) for match in EVENT_HANDLER.finditer(text)]
    found += [match.group(0) for match in JAVASCRIPT_URL.finditer(text)]
    return found


def _project_templates() -> list[Path]:
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    folders += [path.parent for path in BASE_DIR.glob("*/templates/")]
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.suffix in (".html", ".txt", ".xml") and ".venv" not in path.parts
    )


def test_the_scan_finds_every_kind_of_inline_script():
    assert inline_scripts("<script>alert(1)</script>") == ["<script>"]
    assert inline_scripts('<button onclick="window.print()">') == [' onclick="']
    assert inline_scripts('<a href="javascript:history.back()">') == ["javascript:"]
    assert inline_scripts('<script src="/static/js/app.js"></script>') == []
    assert inline_scripts('<script id="x" type="application/json">{}</script>') == []


def test_no_template_has_an_inline_script():
    templates = _project_templates()
    assert len(templates) > 50  # the scan sees the templates
    found = {
        str(path.relative_to(BASE_DIR)): hits
        for path in templates
        if (hits := inline_scripts(path.read_text()))
    }
    assert found == {}
