"""Request helpers shared by the apps (they import no app)."""

import ipaddress

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest


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
