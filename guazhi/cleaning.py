"""Control characters out of every text the app takes in or writes out.

A control character other than tab, line feed and carriage return has no place
in a name, a note or a filter, and it breaks what is built from the text: an
.xlsx cell cannot hold one (openpyxl refuses to write the workbook) and
PostgreSQL refuses NUL in a query. Input is cleaned once, for every form, by
the middleware below; exports clean again (guazhi.excel), for rows that came
in by another road (an import, the shell, data older than this module).
"""

import re

from django.http import HttpRequest, QueryDict

# C0 controls except \t \n \r, and DEL. XML 1.0 (the .xlsx format) allows
# DEL; it is dropped because nothing typed into a form means it.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def strip_control_chars(text: str) -> str:
    return CONTROL_CHARS.sub("", text)


def _cleaned(query: QueryDict) -> QueryDict:
    """`query` without control characters in its names and values; itself
    when it has none (the common case costs one scan)."""
    if not any(
        CONTROL_CHARS.search(key) or any(CONTROL_CHARS.search(v) for v in values)
        for key, values in query.lists()
    ):
        return query
    clean = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        clean.setlistdefault(strip_control_chars(key)).extend(
            strip_control_chars(v) for v in values
        )
    clean._mutable = False  # as Django hands it to views
    return clean


class StripControlCharsMiddleware:
    """Strip control characters from request.GET and from posted forms (their
    fields and the names of uploaded files) before any view reads them.

    A middleware rather than a form field: it covers every form at once,
    Django's admin and the ballot page included, and every filter parameter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            request.POST = _cleaned(request.POST)
            for _name, uploads in request.FILES.lists():
                for upload in uploads:
                    upload.name = strip_control_chars(upload.name)
        return self.get_response(request)
