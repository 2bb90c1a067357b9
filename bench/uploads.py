"""The hostile upload corpus (tests/hostile_uploads.py), refused: the time each
refusal takes and the memory it needs (issue 16).

- uploads.<case>.ms: records.attachments.check_upload on the file, the check
  the form and the services make before anything is stored; median of REPEAT
  runs. Floor: the same check accepting the honest workbook of the tests
  (tests/cadres/files.py). Also: the file is refused with the expected code,
  and the peak memory of one refusal (tracemalloc, a run of its own, since
  tracing slows the code down) stays under MAX_PEAK_MB.
- uploads.oversize_body.ms: a POST declaring a 200 MB body through the whole
  middleware stack (the test client), answered 413 without the body ever
  being read (it raises if it is). Floor: an anonymous GET of / (a redirect
  to the login page) through the same stack.
"""

import functools
import logging
import statistics
import time
import tracemalloc
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from records.attachments import check_upload
from tests.cadres.files import XLSX_BYTES
from tests.hostile_uploads import CORPUS

from .report import Figure

REPEAT = 5
MAX_MS = 250
MAX_PEAK_MB = 50
OVERSIZE = 200 * 1024 * 1024


def _refusal(name: str, data: bytes) -> str | None:
    """The refusal's code, None when accepted."""
    try:
        check_upload(SimpleUploadedFile(name, data))
    except ValidationError as exc:
        return exc.code
    return None


def _timed(run: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def _peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()


class _NeverRead:
    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


def _oversize_post() -> int:
    response = Client().generic(
        "POST",
        "/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(OVERSIZE),
        **{"wsgi.input": _NeverRead()},
    )
    return response.status_code


def _anonymous_get() -> int:
    return Client().get("/").status_code


def run(ctx: dict, report: Callable[[Figure], None]) -> None:
    honest = functools.partial(_refusal, "调研数据.xlsx", XLSX_BYTES)
    honest()  # warm
    floor = statistics.median(_timed(honest)[0] for _ in range(REPEAT))
    for case, item in CORPUS.items():
        data = item.build()
        attempt = functools.partial(_refusal, item.name, data)
        attempt()  # warm
        runs = [_timed(attempt) for _ in range(REPEAT)]
        code = runs[0][1]
        peak = _peak_mb(attempt)
        report(
            Figure(
                f"uploads.{case}.ms",
                "ms",
                f"<={MAX_MS}",
                statistics.median(ms for ms, _code in runs),
                floor,
                also=code == item.code and peak < MAX_PEAK_MB,
                notes=[
                    f"{item.name}, {len(data):,} bytes: refused as {code!r} "
                    f"(expected {item.code!r}), peak {peak:.2f} MB "
                    f"(limit {MAX_PEAK_MB}); floor: an honest .xlsx accepted"
                ],
            )
        )
    # Django logs every 4xx answer ("Request Entity Too Large"): not here.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        _oversize_post()  # warm
        runs = [_timed(_oversize_post) for _ in range(REPEAT)]
        peak = _peak_mb(_oversize_post)
        floor = statistics.median(_timed(_anonymous_get)[0] for _ in range(REPEAT))
    finally:
        request_log.setLevel(level)
    status = runs[0][1]
    report(
        Figure(
            "uploads.oversize_body.ms",
            "ms",
            f"<={MAX_MS}",
            statistics.median(ms for ms, _status in runs),
            floor,
            also=status == 413 and peak < MAX_PEAK_MB,
            notes=[
                f"POST declaring {OVERSIZE // (1024 * 1024)} MB, body never read: "
                f"status {status}, peak {peak:.2f} MB (limit {MAX_PEAK_MB}); "
                "floor: an anonymous GET of / through the same middleware"
            ],
        )
    )
