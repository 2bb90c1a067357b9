from contextvars import ContextVar

from django.http import HttpRequest

_current: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class RequestMiddleware:
    """Makes the request known to what its view's saves set off (a user's
    role changed in the admin: audit.signals), so that the audit row says
    who did it and from where."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def current_request() -> HttpRequest | None:
    return _current.get()
