"""Request bodies above the limit are refused before anything reads them.

Django reads a body only when something asks for it (request.POST, the CSRF
check of a POST, request.body), and then in full, into memory or a temporary
file: a 200 MB upload used to be read to its end, then refused by the
attachment check. This middleware comes before every middleware that reads
the body and answers 413 from the declared Content-Length alone
(settings.GUAZHI_MAX_REQUEST_BYTES: the largest attachment and its form).

A body without a length (Transfer-Encoding: chunked) is refused with 411:
Django reads CONTENT_LENGTH bytes of a body, none when it is missing, so such
a form would arrive empty. deploy/nginx.conf refuses the same bodies first
(client_max_body_size) and sends a length with what it passes on; this is for
every road around the proxy.
"""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render


def declared_length(request: HttpRequest) -> int | None:
    """The body's declared length; None when there is none (0 if unreadable,
    as Django itself then reads nothing)."""
    value = request.META.get("CONTENT_LENGTH")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        limit = settings.GUAZHI_MAX_REQUEST_BYTES
        length = declared_length(request)
        if length is not None and length > limit:
            return self._refuse(request, 413, limit)
        if length is None and request.META.get("HTTP_TRANSFER_ENCODING"):
            return self._refuse(request, 411, limit)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, status: int, limit: int):
        return render(
            request,
            "413.html",
            {"status": status, "limit_mb": limit // (1024 * 1024)},
            status=status,
        )
