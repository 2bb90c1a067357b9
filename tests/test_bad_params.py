"""No filter, sort or page parameter, however malformed, gives a 500.

The list pages and their parameters are found, not listed: the org staff of the
demo city crawls the site from the home page (links only, GET), and each page
records which query parameters its view reads (request.GET is swapped for a
QueryDict that notes the names asked for). Every parameter of every page
is then tried with a corpus of bad values, one parameter at a time (a form
made invalid by one field would otherwise hide what the others do).
"""

from collections import Counter, deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, resolve

from cadres.models import User

BAD_VALUES = [
    "abcd-ef",  # /cadres/notes/?month=abcd-ef was a 500
    "-1",
    "99999999999999999999",  # beyond a 64-bit integer
    "\x00",  # PostgreSQL refuses NUL in text
    "NaN",  # a Decimal, not a number
    "2026-13-45",
    "9999-12",  # a month at the calendar's end: the months counted on overflow
    "9999-12-31",  # the same for a day
    "１２",  # full-width digits: str.isdigit() and int() accept them
    "-" + "x" * 3000,  # long, and an unknown sort key, descending
    ["1", "abcd-ef"],  # the parameter twice
]

# Not followed: the admin (not the org staff's) and logging out.
NOT_CRAWLED = {"logout", "admin"}

# Parameters every list page shares, through guazhi.listing.
SHARED = {"sort", "page"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "javascript:")):
                self.hrefs.append(href)


class _RecordingQueryDict(QueryDict):
    """request.GET that notes the names a view asks for."""

    asked: set[str] = set()

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.asked.add(key)
        return super().getlist(key, default)


def _recording_get(request):
    if "_recorded_get" not in request.__dict__:
        request.__dict__["_recorded_get"] = _RecordingQueryDict(
            request.META.get("QUERY_STRING", ""), encoding=request._encoding
        )
    return request.__dict__["_recorded_get"]


def _set_get(request, value):
    # A middleware that hands the view a cleaned copy keeps it recording.
    request.__dict__["_recorded_get"] = _RecordingQueryDict(
        value.urlencode(), encoding=value.encoding
    )


def _view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _crawl(client: Client) -> dict[str, tuple[str, set[str]]]:
    """view name -> (a path to it, the query parameters its view reads)."""
    found: dict[str, tuple[str, set[str]]] = {}
    queue, seen = deque(["/"]), {"/"}
    # Two links per view are enough (an object, or a sort or page link).
    per_view = Counter({"home": 1})
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        name = _view_name(path)
        # A parameter the link does not carry still binds the filter forms
        # (`request.GET or None`), so that they read all their fields.
        query = dict(parse_qsl(urlsplit(url).query)) | {"_probe": "1"}
        _RecordingQueryDict.asked = set()
        response = client.get(path, query)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        asked = _RecordingQueryDict.asked - {"_probe"}
        first_path, params = found.get(name, (path, set()))
        found[name] = (first_path, params | asked)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urljoin(url, href)
            if urlsplit(target).netloc or target in seen:
                continue
            target_name = _view_name(urlsplit(target).path)
            if (
                target_name is None
                or target_name.split(":")[0] in NOT_CRAWLED
                or per_view[target_name] >= 2
            ):
                continue
            per_view[target_name] += 1
            seen.add(target)
            queue.append(target)
    return found


@pytest.fixture
def org_staff_client(db, monkeypatch):
    call_command("seed_demo", stdout=StringIO())
    monkeypatch.setattr(WSGIRequest, "GET", property(_recording_get, _set_get))
    client = Client()
    client.force_login(User.objects.get(username="zuzhibu"))
    client.raise_request_exception = False
    return client


def test_no_list_page_answers_a_malformed_parameter_with_a_500(org_staff_client):
    client = org_staff_client
    pages = _crawl(client)
    # The crawl reached the list pages and saw their parameters.
    for name in (
        "cadres:list",
        "postings:list",
        "cadres:note_list",
        "postings:batch_list",
        "assessment:round_list",
        "assessment:round_results",
        "postings:notifications",
    ):
        assert name in pages, f"the crawl did not reach {name}: {sorted(pages)}"
    assert SHARED <= pages["cadres:list"][1]
    assert "month" in pages["cadres:note_list"][1]

    failures = []
    tried = 0
    for name, (path, params) in sorted(pages.items()):
        for param in sorted(params):
            for value in BAD_VALUES:
                tried += 1
                response = client.get(path, {param: value})
                if response.status_code >= 500:
                    failures.append(f"{name} {path}?{param}={str(value)[:20]!r}")
    assert tried > 250
    assert failures == [], "\n".join(failures)
