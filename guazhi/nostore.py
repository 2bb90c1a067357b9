"""`Cache-Control: no-store` on everything a signed-in user is sent.

Pages, Excel exports and attachment downloads carry personal data (ID numbers,
assessments, warnings): no browser cache, shared proxy or "back" button after
logout may keep a copy (issue 15). A response that already says how it may be
cached (a view's never_cache, say) keeps what it says. Static files never reach
this middleware: WhiteNoise answers them further up, runserver and the test
live server before any middleware; their URL prefix is skipped all the same.
"""

from django.conf import settings


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not response.has_header("Cache-Control")
            and not request.path.startswith(self.static_prefix)
        ):
            response["Cache-Control"] = "no-store"
        return response
