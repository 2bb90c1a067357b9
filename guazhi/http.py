"""Request helpers shared by the apps (they import no app)."""

import ipaddress
import re
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind the login (a type for views; imports no app)."""

    user: AbstractUser


def _address(text: str) -> str | None:
    """The address in canonical form, or None if the text is not one."""
    try:
        return ipaddress.ip_address(text.strip()).compressed
    except ValueError:
        return None


def _from_trusted_proxy(remote: str) -> bool:
    """Whether the connection comes from a proxy of GUAZHI_TRUSTED_PROXIES
    (addresses or networks); any peer does when the list is empty, as in
    docker-compose, where the proxy is the only way in."""
    networks = settings.GUAZHI_TRUSTED_PROXIES
    if not networks:
        return True
    try:
        peer = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(n, strict=False) for n in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request, for the limits on
    failed logins (django-axes) and on wrong ballot codes.

    Without a proxy (settings.GUAZHI_TRUSTED_PROXY_COUNT = 0, the default)
    it is REMOTE_ADDR, the other end of the connection: X-Forwarded-For is
    ignored, since any client can send one. Behind N trusted proxies, each
    appends the address it received the request from to X-Forwarded-For, so
    the N-th entry from the right is the address the outermost proxy saw: the
    right-most one no trusted proxy wrote. What stands left of it the client
    wrote itself and is never believed. A request that does not come from a
    trusted proxy, or whose header is too short or malformed, counts under
    REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.GUAZHI_TRUSTED_PROXY_COUNT
    if not hops or not _from_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < hops:
        return remote
    return _address(forwarded[-hops]) or remote


# What no file name may hold on the systems people save to (Windows' reserved
# characters, controls, quotes), and runs of white space.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|;\s]+')


def attachment_disposition(filename: str) -> str:
    """Content-Disposition for a download named `filename` (RFC 6266): the
    name in UTF-8 as filename*, which every current browser reads, and an
    ASCII-only filename for older clients. Characters no file system takes
    become "-"."""
    name = _UNSAFE_IN_NAME.sub("-", filename).strip("-.") or "download"
    stem, dot, ext = name.rpartition(".")
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "", stem if dot else name).strip("-.")
    fallback = f"{fallback or 'export'}{dot}{ext if dot else ''}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def file_response(body: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download: `body` as an attachment named `filename`."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename)
    return response


# A primary key no page shows, marking where a row's own key goes in its URL.
_MARKER = 918273645


def pk_urls(viewname: str):
    """`reverse(viewname, args=[pk])` for every row of a page, reversed once:
    the URL with a marker key, split around it (a list of 50 rows spent
    1.5–5 ms in 50–150 reverse() calls). The URL pattern's one argument must
    be an `<int:…>`; the key goes in as an int."""
    url = reverse(viewname, args=[_MARKER])
    head, marker, tail = url.partition(str(_MARKER))
    if not marker or str(_MARKER) in tail:
        raise ValueError(f"{viewname}: no single integer argument in {url}")
    return lambda pk: f"{head}{int(pk)}{tail}"
