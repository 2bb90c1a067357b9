"""Stored text is always shown escaped (issue 15).

A corpus of payloads is written into every free-text field (CharField and
TextField without choices) of every row of the project's models in a world
that has one of everything (the scope matrix's builders: postings, batches,
nominations, dossier records, rounds, assessments, ballots, obligations). Every
page of the project is then rendered as every role that may open it, through
the test client, and no payload may appear unescaped. The browser pass
(tests/e2e/test_xss_browser.py) loads the same world in Chromium and counts
the scripts that ran.
"""

import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from cadres.policy import role_may_use
from tests.conftest import all_urls
from tests.test_scope_matrix import OUT_OF_SCOPE_KWARGS

APPS = ("cadres", "postings", "records", "assessment", "obligations")

# Counted by the browser pass: a payload that runs bumps window.__xss.
BUMP = "window.__xss=(window.__xss||0)+1"

# (payload, what its unescaped form would look like in the HTML)
PAYLOADS = [
    (f"<script>{BUMP}</script>", "<script>window.__xss"),
    (f'"><img src=x onerror={BUMP}>', "<img src=x onerror"),
    (f"'><svg onload={BUMP}>", "<svg onload"),
    (f"</textarea><script>{BUMP}</script>", "</textarea><script>window"),
    (f"</title><script>{BUMP}</script>", "</title><script>window"),
    (f"javascript:{BUMP}", 'href="javascript:'),
    ("{{ 7|add:7 }}{% now 'Y' %}<b onclick=x>", "<b onclick=x>"),
    ("\u202e<scr\u200bipt>＜script＞<i onmouseover=x>", "<i onmouseover=x>"),
    ("<b onfocus=x>", "<b onfocus=x>"),  # for short fields
]

# Not free text a user writes into, or text a page must parse: identifiers,
# secrets, codes, and fields other checks own (the ID number's checksum).
SKIPPED_FIELDS = {
    "password",
    "username",
    "id_number",
    "code",
    "code_hash",
    "token",
    "slug",
}


def text_fields():
    """(model, field) for every free-text field of the project's models."""
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.CharField | models.TextField):
                    continue
                if field.choices or field.unique or field.primary_key:
                    continue
                if field.name in SKIPPED_FIELDS or field.name.endswith("_hash"):
                    continue
                yield model, field


def fill_with_payloads() -> tuple[int, int]:
    """Write a fitting payload into every free-text field of every row.
    Returns (fields written, rows written)."""
    fields = rows = 0
    for index, (model, field) in enumerate(text_fields()):
        limit = field.max_length or 10_000
        fitting = [p for p, _ in PAYLOADS if len(p) <= limit]
        if not fitting:
            continue
        manager = model._default_manager
        for pk in manager.values_list("pk", flat=True):
            # The row's pk keeps names that are unique together distinct, so
            # the payload is one that fits with it (PostgreSQL's ids grow
            # across tests: a long pk may leave room for a shorter payload).
            room = [p for p in fitting if len(p) + len(str(pk)) <= limit]
            if not room:
                continue
            text = f"{room[index % len(room)]}{pk}"
            rows += manager.filter(pk=pk).update(**{field.name: text})
        fields += 1
    return fields, rows


def make_everything(side) -> None:
    """One of every object of the side, through the scope matrix's builders."""
    for build in OUT_OF_SCOPE_KWARGS.values():
        build(side)


def unescaped(html: str) -> list[str]:
    """The payload markers that appear raw in `html`."""
    found = [raw for _, raw in PAYLOADS if raw in html]
    if re.search(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I):
        found.append("javascript: URL")
    return found


def page_urls(side) -> list[tuple[str, str]]:
    """(view name, URL) of every project page, on the side's objects."""
    urls = []
    for info in all_urls():
        if info.namespace == "admin" or info.name == "logout":
            continue
        if info.name in OUT_OF_SCOPE_KWARGS:
            url = reverse(info.name, kwargs=OUT_OF_SCOPE_KWARGS[info.name](side))
        elif info.kwargs:
            continue
        else:
            url = reverse(info.name)
        urls.append((info.name, url))
    return urls


def test_unescaped_finds_a_raw_payload():
    assert unescaped(f"<p>{PAYLOADS[0][0]}</p>") == ["<script>window.__xss"]
    assert "javascript: URL" in unescaped("<a href='javascript:x'>")
    escaped = "&lt;script&gt;window.__xss &quot;&gt;&lt;img src=x onerror="
    assert unescaped(escaped) == []


@pytest.fixture
def everyone(personas, cadre_user):
    return [
        personas["admin"],
        personas["org_city"],
        personas["org_a"],
        personas["host_a"],
        personas["home_a"],
        cadre_user,
    ]


def test_no_page_shows_a_stored_payload_unescaped(
    everyone, world, login, capsys, settings
):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    make_everything(world.a)
    fields, rows = fill_with_payloads()
    assert fields > 50

    raw = []
    errors = []
    rendered = 0
    shown = 0
    for user in everyone:
        client = login(user)
        client.raise_request_exception = False
        for name, url in page_urls(world.a):
            if not role_may_use(user.role, name):
                continue
            response = client.get(url)
            if response.status_code >= 500:
                errors.append((user.username, name, response.status_code))
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            rendered += 1
            html = response.content.decode(errors="replace")
            if "window.__xss" in html or "onfocus=x" in html:
                shown += 1
            for marker in unescaped(html):
                raw.append((user.username, url, marker))
    assert errors == [], errors
    assert raw == [], "\n".join(map(str, raw))
    # The payloads did reach the pages (escaped): the check is not vacuous.
    assert shown > 20
    with capsys.disabled():
        print(
            f"\nXSS: {len(PAYLOADS)} payloads in {fields} text fields ({rows} rows), "
            f"{rendered} pages rendered as {len(everyone)} roles "
            f"({shown} showing payloads), 0 unescaped"
        )
