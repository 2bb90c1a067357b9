"""Views of 民主测评: the organisation's session pages and the public ballot.

The public page (`ballot_entry`) needs no account: the code is the
credential. It travels only in POST bodies (and in the URL fragment of a
slip's QR link, which browsers never send), so no access log, referrer or
proxy cache holds it. Wrong codes are counted per client address
(guazhi.http.client_address, the address the login limit counts too: behind
the configured proxy its X-Forwarded-For entry, else REMOTE_ADDR) and a flood
of them is refused, while a valid code is always accepted. The address is
only a cache key for failures, never stored with a ballot.
"""

import threading
from functools import partial

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest, client_address

from . import ballots
from .forms_ballots import BallotForm, CodeEntryForm, SessionOpenForm
from .models import GRADE_ORDER, Assessment, BallotCode, BallotSession, Round
from .services import require_round_status

SLIPS_PER_PAGE = 8


def _scoped_assessment(request: AuthenticatedHttpRequest, pk: int) -> Assessment:
    return get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "round__template_version", "posting__cadre", "posting__receiving_unit"
        ),
        pk=pk,
    )


def _session_of(assessment: Assessment) -> BallotSession:
    return get_object_or_404(BallotSession, assessment=assessment)


@require_http_methods(["GET", "POST"])
def session_open(request: AuthenticatedHttpRequest, pk: int):
    assessment = _scoped_assessment(request, pk)
    url = reverse("assessment:ballot_session", args=[assessment.pk])
    if BallotSession.objects.filter(assessment=assessment).exists():
        messages.info(request, _("该考核已开启民主测评。"))
        return redirect(url)
    form = SessionOpenForm(
        request.POST or None,
        groups=ballots.default_groups(assessment),
        initial={"min_turnout_pct": ballots.default_min_turnout(assessment)},
    )
    action = partial(ballots.session_open, assessment=assessment, by=request.user)
    if submit(request, form, action):
        messages.success(request, _("已开启民主测评，请打印测评票。"))
        return redirect(url)
    try:
        require_round_status(
            assessment.round, Round.Status.OPEN, Round.Status.COLLECTING
        )
        refused = ""
    except ValidationError as exc:
        refused = " ".join(exc.messages)
    return render(
        request,
        "assessment/ballot_session_open.html",
        {"assessment": assessment, "form": form, "refused": refused},
    )


def session_detail(request: AuthenticatedHttpRequest, pk: int):
    assessment = _scoped_assessment(request, pk)
    session = BallotSession.objects.filter(assessment=assessment).first()
    if session is None:
        return redirect("assessment:ballot_session_open", assessment.pk)
    session.assessment = assessment
    counts = ballots.turnout(session)
    context = {
        "assessment": assessment,
        "session": session,
        "turnout": counts,
        "is_open": session.status == BallotSession.Status.OPEN,
    }
    if request.headers.get("HX-Request"):
        return render(request, "assessment/ballot_turnout.html", context)
    sealed = ballots.is_sealed(session, counts)
    if not sealed:
        tallies = ballots.tallies(session, [row.group for row in counts.groups])
        context["results"] = [(row, tallies[row.group.pk]) for row in counts.groups]
        context["comments"] = ballots.comments(session)
        context["grade_labels"] = [g.label for g in GRADE_ORDER]
    return render(
        request,
        "assessment/ballot_session.html",
        {**context, "sealed": sealed},
    )


@require_POST
def session_close(request: AuthenticatedHttpRequest, pk: int):
    session = _session_of(_scoped_assessment(request, pk))
    try:
        ballots.session_close(session=session, by=request.user)
        messages.success(request, _("民主测评已结束，不再接受投票。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("assessment:ballot_session", pk)


def _qr_data_uri(entry_url: str, code: str) -> str:
    """The slip's QR code as an SVG data URI for an <img>: the ballot page
    with the code as the URL fragment, which the browser keeps to itself
    (never in a request line or referrer). Drawn here by segno, no service."""
    url = f"{entry_url}#{ballots.display_code(code)}"
    return segno.make(url, error="m", micro=False).svg_data_uri(border=2, omitsize=True)


def _entry_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("assessment:ballot_entry"))


def _slip_blocks(request: AuthenticatedHttpRequest, assessments) -> list[dict]:
    """Per assessment, per rater group, every code as a slip in pages of eight,
    with how many ballots were cast of how many codes (one query for all the
    codes). Used and unused codes look alike, so that watching the page while
    people vote says nothing about who used which code; a closed session
    prints nothing."""
    entry_url = _entry_url(request)
    by_pk = {a.pk: {"assessment": a, "groups": {}} for a in assessments}
    closed = set(
        BallotSession.objects.filter(
            assessment__in=list(by_pk), status=BallotSession.Status.CLOSED
        ).values_list("assessment_id", flat=True)
    )
    codes = (
        BallotCode.objects.filter(
            group__session__assessment__in=list(by_pk),
            group__session__status=BallotSession.Status.OPEN,
        )
        .select_related("group__session")
        .order_by("group__session__assessment_id", "group__position", "group_id", "pk")
    )
    for c in codes:
        groups = by_pk[c.group.session.assessment_id]["groups"]
        entry = groups.setdefault(
            c.group_id, {"group": c.group, "slips": [], "cast": 0}
        )
        entry["cast"] += c.used
        entry["slips"].append(
            {
                "code": ballots.display_code(c.code),
                "qr": _qr_data_uri(entry_url, c.code),
            }
        )
    blocks = []
    for pk, block in by_pk.items():
        for entry in block["groups"].values():
            s = entry["slips"]
            entry["pages"] = [
                s[i : i + SLIPS_PER_PAGE] for i in range(0, len(s), SLIPS_PER_PAGE)
            ]
        if block["groups"] or pk in closed:
            groups = list(block["groups"].values())
            blocks.append({**block, "groups": groups, "closed": pk in closed})
    return blocks


def _render_slips(request, blocks, title: str, back_url: str):
    return render(
        request,
        "assessment/ballot_slips.html",
        {
            "blocks": blocks,
            "title": title,
            "back_url": back_url,
            "entry_url": _entry_url(request),
        },
    )


def slips(request: AuthenticatedHttpRequest, pk: int):
    """Printable A4 slips, eight to a page, each group from a new page, while
    the session is open; once it is closed, a notice instead."""
    assessment = _scoped_assessment(request, pk)
    _session_of(assessment)  # 404 without a session
    return _render_slips(
        request,
        _slip_blocks(request, [assessment]),
        assessment.posting.cadre.name,
        reverse("assessment:ballot_session", args=[assessment.pk]),
    )


def _scoped_round(request: AuthenticatedHttpRequest, pk: int) -> Round:
    return get_object_or_404(Round.objects.visible_to(request.user), pk=pk)


def round_slips(request: AuthenticatedHttpRequest, pk: int):
    """Every slip of the round, cadre after cadre, for one print run."""
    round_ = _scoped_round(request, pk)
    assessments = (
        Assessment.objects.visible_to(request.user)
        .filter(round=round_)
        .select_related("round", "posting__cadre")
        .order_by("posting__cadre__name", "pk")
    )
    return _render_slips(
        request,
        _slip_blocks(request, assessments),
        round_.name,
        reverse("assessment:round_detail", args=[round_.pk]),
    )


@require_POST
def round_sessions_open(request: AuthenticatedHttpRequest, pk: int):
    """Open 民主测评 with the template's defaults for everyone in the round."""
    round_ = _scoped_round(request, pk)
    try:
        opened = ballots.sessions_open_all(round_=round_, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if opened:
            messages.success(
                request,
                _(
                    "已为 %(n)d 名考核对象开启民主测评（按考核方案的默认测评人类别和票数）。"
                )
                % {"n": opened},
            )
        else:
            messages.info(request, _("本轮所有考核对象均已开启民主测评。"))
    return redirect("assessment:round_detail", pk=round_.pk)


# --- Public pages -------------------------------------------------------------


_COUNTING = threading.Lock()


def _failures_key(request: HttpRequest) -> str:
    return f"guazhi:ballot-failures:{client_address(request)}"


def count_wrong_code(request: HttpRequest) -> int:
    """Count one more wrong code from the request's address and return how
    many the address has sent in the current window (which starts at its first
    wrong code), this one included.

    The count is the cache's own increment: `add` creates the key only if it is
    missing and `incr` returns the new value, both atomic on Redis and on the
    local-memory cache, so simultaneous wrong codes are each counted once and
    each gets its own number (no read-then-write in between). The file cache
    that settings use without Redis reads and then writes in `incr`; the lock
    makes that exact among the threads of one process (`make run`'s one web
    server), and costs nothing that matters: only wrong codes take it."""
    _limit, window = settings.GUAZHI_BALLOT_RATE_LIMIT
    key = _failures_key(request)
    with _COUNTING:
        for _attempt in range(3):
            cache.add(key, 0, timeout=window)
            try:
                return cache.incr(key)
            except ValueError:  # the window ended between add and incr: a new one
                continue
    return 1  # a cache that keeps nothing (DummyCache) limits nothing


def _notice(request: HttpRequest, message: str, status: int):
    return render(
        request,
        "assessment/ballot_notice.html",
        {"message": message},
        status=status,
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def ballot_entry(request: HttpRequest):
    """The one public ballot URL. GET: the code form (a slip's QR link adds the
    code as the URL fragment, which the page's script copies into the form).
    POST with a code: the ballot. POST with the code and `cast`: the vote."""
    entry = CodeEntryForm(request.POST or None)
    if not entry.is_valid():
        return render(request, "assessment/ballot_entry.html", {"form": entry})
    # The code first: a valid code is always accepted, so that one device (or
    # one router of a meeting room) that mistyped codes never locks out the
    # raters behind it. The limit only answers a flood of wrong codes.
    ballot_code = ballots.find_code(entry.cleaned_data["code"])
    if ballot_code is None:
        limit, window = settings.GUAZHI_BALLOT_RATE_LIMIT
        if count_wrong_code(request) > limit:
            message = _(
                "错误的测评码输入次数过多，请%(n)d分钟后再试。正确的测评码不受影响。"
            ) % {"n": max(1, window // 60)}
            return _notice(request, message, status=429)
        return _notice(request, ballots.unknown_message(), status=404)
    try:
        ballots.check_open(ballot_code)
    except ValidationError as exc:
        return _notice(request, " ".join(exc.messages), status=410)
    form = BallotForm(
        request.POST if "cast" in request.POST else None,
        dimensions=ballots.ballot_dimensions(ballot_code),
    )
    if submit(request, form, partial(ballots.cast_ballot, code=ballot_code.code)):
        # Rendered, not redirected: no URL of the flow ever carries the code.
        return render(request, "assessment/ballot_done.html")
    assessment = ballot_code.group.session.assessment
    return render(
        request,
        "assessment/ballot.html",
        {
            "form": form,
            "posting": assessment.posting,
            "round": assessment.round,
            "code": ballots.display_code(ballot_code.code),
        },
    )
