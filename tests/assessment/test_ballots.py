"""民主测评: sessions, one-time codes, the public ballot, rate limit, sealing."""

import datetime as dt
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import segno
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from assessment import ballots
from assessment.config import DIMENSION_CODES, Rules, default_config
from assessment.models import Ballot, BallotCode, BallotSession, PendingBallot, Round
from assessment.views_ballots import _failures_key, _qr_data_uri, count_wrong_code
from tests.assessment.factories import make_round, make_version
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME

GROUPS = [
    {"name": "领导班子成员", "weight": 30, "size": 3},
    {"name": "中层干部", "weight": 30, "size": 4},
    {"name": "一般干部/群众", "weight": 40, "size": 5},
]
ALL_EXCELLENT = dict.fromkeys(DIMENSION_CODES, "excellent")
# Digits to letters of the code alphabet, for distinct well-formed wrong codes.
DIGITS = str.maketrans("0123456789", "ABCDEFGHJK")


def _open(assessment, by, groups=GROUPS, min_turnout_pct=60):
    return ballots.session_open(
        assessment=assessment, groups=groups, min_turnout_pct=min_turnout_pct, by=by
    )


def _codes(session, group_name=None, used=False):
    qs = BallotCode.objects.filter(group__session=session, used=used)
    if group_name:
        qs = qs.filter(group__name=group_name)
    return list(qs.values_list("code", flat=True))


def _post_data(grades=ALL_EXCELLENT, comment=""):
    return {**{f"dim_{d}": g for d, g in grades.items()}, "comment": comment}


def _show(client, code, **extra):
    """The ballot page for a code: the code posted to the one public URL."""
    return client.post(reverse("assessment:ballot_entry"), {"code": code}, **extra)


def _vote(client, code, data=None, **extra):
    """A filled ballot posted with its code (as the ballot page's hidden fields)."""
    data = _post_data() if data is None else data
    return client.post(
        reverse("assessment:ballot_entry"),
        {"code": code, "cast": "1", **data},
        **extra,
    )


@pytest.fixture
def assessment(round_a):
    return round_a.assessments.get()


@pytest.fixture
def session(assessment, org_a):
    return _open(assessment, org_a)


# --- Opening a session and its codes --------------------------------------------


def test_codes_are_issued_per_group_unique_and_from_the_alphabet(session):
    groups = {g.name: g for g in session.groups.all()}
    assert [g.name for g in session.groups.all()] == [g["name"] for g in GROUPS]
    for spec in GROUPS:
        assert groups[spec["name"]].weight == spec["weight"]
        assert len(_codes(session, spec["name"])) == spec["size"]
    codes = _codes(session)
    assert len(codes) == len(set(codes)) == 12
    for code in codes:
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", code), code
        assert not set(code) & set("0O1IL")


def test_display_and_typed_forms_of_a_code_are_normalised():
    assert ballots.display_code("ABCD2345") == "ABCD-2345"
    assert ballots.normalise_code(" abcd-2345 ") == "ABCD2345"
    assert ballots.normalise_code("abcd 2345") == "ABCD2345"


def test_the_open_form_is_prefilled_from_the_template_rules(login, org_a, assessment):
    response = login(org_a).get(
        reverse("assessment:ballot_session_open", args=[assessment.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    for group in default_config()["rater_groups"]:
        assert f'value="{group["name"]}"' in html
        assert f'value="{group["size"]}"' in html
    assert 'name="min_turnout_pct" id="id_min_turnout_pct" value="60"' in html


def test_org_staff_open_a_session_through_the_form(login, org_a, assessment):
    url = reverse("assessment:ballot_session_open", args=[assessment.pk])
    data = {
        "min_turnout_pct": "70",
        "g0_name": "领导班子成员",
        "g0_weight": "50",
        "g0_size": "6",
        "g1_name": "一般干部/群众",
        "g1_weight": "50",
        "g1_size": "9",
    }
    response = login(org_a).post(url, data)
    assert response.status_code == 302
    session = BallotSession.objects.get(assessment=assessment)
    assert session.min_turnout_pct == 70
    assert session.opened_by == org_a
    assert len(_codes(session)) == 15


def test_a_bad_group_set_up_is_refused_and_keeps_the_input(login, org_a, assessment):
    url = reverse("assessment:ballot_session_open", args=[assessment.pk])
    data = {
        "min_turnout_pct": "60",
        "g0_name": "领导班子成员",
        "g0_weight": "50",
        "g0_size": "6",
        "g1_name": "中层干部",
        "g1_weight": "30",
        "g1_size": "9",
    }
    response = login(org_a).post(url, data)
    assert response.status_code == 200
    assert "测评人类别权重之和须为100（当前为80）" in response.content.decode()
    assert 'value="中层干部"' in response.content.decode()
    assert not BallotSession.objects.exists()


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [
                {"name": "甲", "weight": 50, "size": 3},
                {"name": "甲", "weight": 50, "size": 3},
            ],
            "测评人类别名称不能重复",
        ),
        ([{"name": "甲", "weight": 100, "size": 0}], "发放票数须为1到500"),
        ([{"name": "甲", "weight": 100, "size": 501}], "发放票数须为1到500"),
        ([{"name": "甲", "weight": 90, "size": 5}], "权重之和须为100"),
        ([], "请至少设置一个测评人类别"),
    ],
)
def test_group_rules_are_enforced(assessment, org_a, groups, message):
    with pytest.raises(ValidationError) as caught:
        _open(assessment, org_a, groups=groups)
    assert message in " ".join(caught.value.messages)
    assert not BallotSession.objects.exists()
    assert not BallotCode.objects.exists()


def test_one_session_per_assessment(session, assessment, org_a, login):
    with pytest.raises(ValidationError, match="该考核已开启民主测评"):
        _open(assessment, org_a)
    assert BallotCode.objects.count() == 12
    response = login(org_a).get(
        reverse("assessment:ballot_session_open", args=[assessment.pk])
    )
    assert response.status_code == 302


def test_a_session_opens_while_the_round_is_open(world, org_a):
    round_ = make_round(org_a, [world.a.posting], status=Round.Status.OPEN)
    assert _open(round_.assessments.get(), org_a).status == BallotSession.Status.OPEN


def test_a_closed_round_refuses_opening_a_session(world, org_a, login):
    round_ = make_round(org_a, [world.a.posting], status=Round.Status.CLOSED)
    assessment = round_.assessments.get()
    with pytest.raises(ValidationError, match="本轮考核已结束"):
        _open(assessment, org_a)
    url = reverse("assessment:ballot_session_open", args=[assessment.pk])
    page = login(org_a).get(url).content.decode()
    assert "本轮考核已结束" in page
    assert 'name="g0_name"' not in page
    response = login(org_a).post(
        url,
        {"min_turnout_pct": "60", "g0_name": "甲", "g0_weight": "100", "g0_size": "3"},
    )
    assert response.status_code == 200
    assert not BallotSession.objects.exists()


# --- Casting ------------------------------------------------------------------


def test_three_codes_cast_three_ballots(session, login):
    first, second, third = _codes(session, "一般干部/群众")[:3]
    ballots.cast_ballot(code=first, grades=ALL_EXCELLENT, comment="工作扎实")
    ballots.cast_ballot(
        code=second.lower()[:4] + "-" + second.lower()[4:],
        grades=dict.fromkeys(DIMENSION_CODES, "competent"),
    )
    response = _vote(Client(), third, _post_data())
    assert response.status_code == 200
    assert "提交成功" in response.content.decode()
    # Pending until the session closes; turnout counts them already.
    assert PendingBallot.objects.count() == 3
    assert Ballot.objects.count() == 0
    assert set(_codes(session, used=True)) == {first, second, third}
    counts = ballots.turnout(session)
    by_name = {row.group.name: row for row in counts.groups}
    assert (by_name["一般干部/群众"].cast, by_name["一般干部/群众"].issued) == (3, 5)
    assert by_name["一般干部/群众"].pct == 60
    assert (counts.cast, counts.issued) == (3, 12)
    assert str(counts.pct) == "25.0"
    assert not counts.reached


def test_a_code_works_only_once_and_the_second_use_writes_nothing(session):
    code = _codes(session)[0]
    ballots.cast_ballot(code=code, grades=ALL_EXCELLENT)
    with pytest.raises(ValidationError) as caught:
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT, comment="再投一次")
    assert caught.value.messages == ["该测评码已使用，每个测评码只能使用一次。"]
    assert PendingBallot.objects.count() == 1
    assert not PendingBallot.objects.filter(comment="再投一次").exists()
    response = _vote(Client(), code, _post_data(comment="网页再投一次"))
    assert "该测评码已使用" in response.content.decode()
    assert PendingBallot.objects.count() == 1
    response = _show(Client(), code)
    assert "该测评码已使用，每个测评码只能使用一次。" in response.content.decode()
    assert 'name="dim_de"' not in response.content.decode()


def test_simultaneous_use_of_one_code_counts_once(session, monkeypatch):
    """The other submission marks the code used after this one's checks passed:
    the conditional UPDATE finds no unused row, and nothing is written."""
    code = _codes(session)[0]
    checked = ballots.check_open

    def check_then_lose_the_race(ballot_code):
        checked(ballot_code)
        BallotCode.objects.filter(pk=ballot_code.pk).update(used=True)

    monkeypatch.setattr(ballots, "check_open", check_then_lose_the_race)
    with pytest.raises(ValidationError, match="该测评码已使用"):
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT)
    assert PendingBallot.objects.count() == 0


def test_a_guessed_code_is_refused(session):
    issued = set(_codes(session))
    guess = next(
        c for c in ("ABCDEFGH", "HGFEDCBA", "23456789", "ZZZZZZZZ") if c not in issued
    )
    with pytest.raises(ValidationError, match="测评码无效，请核对后重新输入。"):
        ballots.cast_ballot(code=guess, grades=ALL_EXCELLENT)
    response = _show(Client(), guess)
    assert response.status_code == 404
    assert "测评码无效，请核对后重新输入。" in response.content.decode()
    assert CADRE_A_NAME not in response.content.decode()
    assert PendingBallot.objects.count() == 0


@pytest.mark.parametrize(
    ("grades", "message"),
    [
        ({d: "excellent" for d in DIMENSION_CODES if d != "ji"}, "绩"),
        ({**ALL_EXCELLENT, "lian": "great"}, "廉"),
        ({}, "德、能、勤、绩、廉"),
        ({**ALL_EXCELLENT, "extra": "excellent"}, "测评项目不正确"),
    ],
)
def test_invalid_or_missing_grades_are_refused(session, grades, message):
    code = _codes(session)[0]
    with pytest.raises(ValidationError) as caught:
        ballots.cast_ballot(code=code, grades=grades)
    assert message in " ".join(caught.value.messages)
    assert PendingBallot.objects.count() == 0
    assert BallotCode.objects.get(code=code).used is False


def test_a_long_comment_is_refused(session):
    code = _codes(session)[0]
    with pytest.raises(ValidationError, match="不能超过500字"):
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT, comment="好" * 501)
    assert not BallotCode.objects.get(code=code).used
    ballots.cast_ballot(code=code, grades=ALL_EXCELLENT, comment="好" * 500)
    assert PendingBallot.objects.get().comment == "好" * 500


def test_the_ballot_form_refuses_a_missing_grade_and_keeps_the_input(session):
    code = _codes(session)[0]
    data = _post_data({d: "basic" for d in DIMENSION_CODES if d != "neng"}, "留言")
    response = _vote(Client(), code, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请选择等次。" in html
    assert 'value="basic" checked' in html
    assert "留言" in html
    assert PendingBallot.objects.count() == 0
    assert not BallotCode.objects.get(code=code).used


def test_only_weighted_dimensions_are_on_the_ballot(world, org_a):
    config = default_config()
    config["dimensions"] = {"de": 25, "neng": 20, "qin": 20, "ji": 35, "lian": 0}
    round_ = make_round(
        org_a, [world.a.posting], version=make_version(org_a, config=config)
    )
    session = _open(round_.assessments.get(), org_a)
    code = _codes(session)[0]
    html = _show(Client(), code).content.decode()
    assert 'name="dim_de"' in html
    assert 'name="dim_lian"' not in html
    with pytest.raises(ValidationError, match="测评项目不正确"):
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT)
    grades = {d: "competent" for d in DIMENSION_CODES if d != "lian"}
    assert ballots.cast_ballot(code=code, grades=grades).grades == grades


def test_a_ballot_row_holds_nothing_identifying(session, org_a):
    pending = ballots.cast_ballot(code=_codes(session)[0], grades=ALL_EXCELLENT)
    for model in (Ballot, PendingBallot):
        assert {f.name for f in model._meta.concrete_fields} == {
            "id",
            "group",
            "cast_on",
            "grades",
            "comment",
        }
    pending.refresh_from_db()
    assert type(pending.cast_on) is dt.date
    ballots.session_close(session=session, by=org_a)
    ballot = Ballot.objects.get()
    assert type(ballot.cast_on) is dt.date
    assert ballot.pk != pending.pk  # a fresh random id, not the pending row's
    # The code records only that it was used: no link to a ballot, no time.
    code_fields = BallotCode._meta.get_fields()
    assert not [f for f in code_fields if f.is_relation and f.related_model is Ballot]
    assert not [
        f
        for f in code_fields
        if isinstance(f, models.DateField | models.TimeField | models.DurationField)
    ]
    assert {f.name for f in BallotCode._meta.concrete_fields} == {
        "id",
        "group",
        "code",
        "used",
    }
    # None keeps a history (history rows carry timestamps and users).
    assert not hasattr(Ballot, "history")
    assert not hasattr(PendingBallot, "history")
    assert not hasattr(BallotCode, "history")


def test_a_closed_session_refuses_ballots(session, org_a, login):
    code = _codes(session)[0]
    response = login(org_a).post(
        reverse("assessment:ballot_session_close", args=[session.assessment_id])
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == BallotSession.Status.CLOSED
    assert session.closed_at is not None
    with pytest.raises(ValidationError, match="本次测评已结束。"):
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT)
    response = _vote(Client(), code, _post_data())
    assert "本次测评已结束。" in response.content.decode()
    assert not PendingBallot.objects.exists() and not Ballot.objects.exists()
    assert not BallotCode.objects.get(code=code).used
    with pytest.raises(ValidationError, match="本次测评已结束。"):
        ballots.session_close(session=session, by=org_a)


def test_a_closed_round_refuses_ballots(session, round_a):
    code = _codes(session)[0]
    Round.objects.filter(pk=round_a.pk).update(
        status=Round.Status.CLOSED, closed_at=dt.datetime.now(dt.UTC)
    )
    with pytest.raises(ValidationError, match="本次测评已结束。"):
        ballots.cast_ballot(code=code, grades=ALL_EXCELLENT)
    html = _show(Client(), code).content.decode()
    assert "本次测评已结束。" in html
    assert PendingBallot.objects.count() == 0


def test_a_round_not_yet_collecting_refuses_ballots(world, org_a):
    round_ = make_round(org_a, [world.a.posting], status=Round.Status.OPEN)
    session = _open(round_.assessments.get(), org_a)
    with pytest.raises(ValidationError, match="尚未开始"):
        ballots.cast_ballot(code=_codes(session)[0], grades=ALL_EXCELLENT)
    assert PendingBallot.objects.count() == 0


# --- Rate limit ---------------------------------------------------------------


def test_a_valid_code_is_accepted_after_the_address_exhausted_its_limit(
    session, settings
):
    """A meeting room behind one router shares an address: the wrong codes
    some raters typed never lock out the valid codes of the others."""
    settings.GUAZHI_BALLOT_RATE_LIMIT = (3, 600)
    client = Client()
    valid = _codes(session)[:2]
    for i in range(3):
        assert _show(client, "ZZZZZZZ" + "2345"[i]).status_code == 404, i
    response = _show(client, "ZZZZZZZ5")
    assert response.status_code == 429
    assert "次数过多" in response.content.decode()
    # Limited for wrong codes, yet a valid code shows its ballot and counts.
    response = _show(client, valid[0])
    assert response.status_code == 200
    assert 'name="dim_de"' in response.content.decode()
    assert _vote(client, valid[0]).status_code == 200
    assert _vote(client, valid[1]).status_code == 200
    assert PendingBallot.objects.count() == 2
    assert _show(client, "ZZZZZZZ6").status_code == 429
    # Another address is not limited.
    assert _show(Client(REMOTE_ADDR="10.0.0.2"), "ZZZZZZZ6").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_codes_are_each_counted_and_answered_once(settings):
    """50 wrong codes at once from one address, with a limit of 10: exactly
    10 are answered as wrong codes and 40 as too many, every one counted."""
    settings.GUAZHI_BALLOT_RATE_LIMIT = (10, 600)
    n = 50
    start = threading.Barrier(n)

    def post(i):
        try:
            start.wait()
            return _show(
                Client(), "ZZZZ" + f"{i + 2:04d}".translate(DIGITS)
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        statuses = list(pool.map(post, range(n)))
    assert (statuses.count(404), statuses.count(429)) == (10, 40)
    assert cache.get(_failures_key(RequestFactory().post("/"))) == n


@pytest.mark.parametrize("backend", ["locmem", "file", "redis"])
def test_counting_wrong_codes_gives_each_its_own_number(settings, tmp_path, backend):
    """50 simultaneous calls get the numbers 1 to 50, none lost or repeated:
    in the tests' local-memory cache, in the file cache that settings use
    without Redis, and in Redis (when REDIS_URL is set, as in CI's second
    suite)."""
    if backend == "file":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    if backend == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs REDIS_URL")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": f"guazhi-test-{secrets.token_hex(8)}",
            }
        }
    n = 50
    start = threading.Barrier(n)
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.9")

    def count(_i):
        start.wait()
        return count_wrong_code(request)

    try:
        with ThreadPoolExecutor(max_workers=n) as pool:
            numbers = sorted(pool.map(count, range(n)))
    finally:
        cache.delete(_failures_key(request))
    assert numbers == list(range(1, n + 1))


@pytest.mark.parametrize("typed", ["ABCD-EF0H", "abcd-ef1h", "OBCD-EFGH", "ABCI-EFGH"])
def test_a_code_with_a_character_codes_never_use_says_so(session, settings, typed):
    settings.GUAZHI_BALLOT_RATE_LIMIT = (1, 600)
    client = Client()
    for _i in range(2):  # a typo, not a guess: never counted
        response = _show(client, typed)
        html = response.content.decode()
        assert response.status_code == 200
        assert "测评码中不使用数字0、1和字母O、I、L" in html
        assert 'name="dim_de"' not in html
    assert _show(client, _codes(session)[0]).status_code == 200


def test_the_unused_characters_are_not_in_the_alphabet():
    assert not set(ballots.UNUSED_LOOKALIKES) & set(ballots.CODE_ALPHABET)
    assert set("0O1I") <= set(ballots.UNUSED_LOOKALIKES)


def test_valid_codes_do_not_count_towards_the_limit(session, settings):
    settings.GUAZHI_BALLOT_RATE_LIMIT = (2, 600)
    client = Client()
    codes = _codes(session)
    for code in codes[:5]:
        assert _show(client, code).status_code == 200
    ballots.cast_ballot(code=codes[0], grades=ALL_EXCELLENT)
    # A spent code is a real slip scanned twice, not a guess.
    for _i in range(3):
        assert _show(client, codes[0]).status_code == 410
    assert _show(client, codes[1]).status_code == 200


# --- Public pages -------------------------------------------------------------


def test_the_public_pages_work_without_an_account_and_with_csrf(session):
    client = Client(enforce_csrf_checks=True)
    code = _codes(session)[0]
    entry = client.get(reverse("assessment:ballot_entry"))
    assert entry.status_code == 200
    assert 'method="post"' in entry.content.decode()
    assert "csrfmiddlewaretoken" in entry.content.decode()
    token = client.cookies["csrftoken"].value
    typed = code.lower()[:4] + "-" + code.lower()[4:]
    # Without the token the code is refused, and so is the vote.
    assert _show(Client(enforce_csrf_checks=True), typed).status_code == 403
    refused = _vote(Client(enforce_csrf_checks=True), code)
    assert refused.status_code == 403
    page = client.post(
        reverse("assessment:ballot_entry"),
        {"code": typed, "csrfmiddlewaretoken": token},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="dim_de"' in html
    assert "csrfmiddlewaretoken" in html
    assert f'name="code" value="{ballots.display_code(code)}"' in html
    assert "退出" not in html  # no logged-in navigation
    assert "sessionid" not in page.cookies
    assert not BallotCode.objects.get(code=code).used
    done = _vote(client, code, {**_post_data(), "csrfmiddlewaretoken": token})
    assert done.status_code == 200  # rendered, not a redirect to a URL
    assert "提交成功" in done.content.decode()
    assert PendingBallot.objects.count() == 1
    assert BallotCode.objects.get(code=code).used


def test_the_entry_page_refuses_a_malformed_code(session):
    response = _show(Client(), "ABC")
    assert response.status_code == 200
    assert "测评码为8位字母和数字" in response.content.decode()
    assert 'name="dim_de"' not in response.content.decode()


def test_a_code_in_the_query_string_does_not_reach_a_ballot(session):
    code = _codes(session)[0]
    for value in (code, ballots.display_code(code)):
        response = Client().get(reverse("assessment:ballot_entry"), {"code": value})
        html = response.content.decode()
        assert response.status_code == 200  # the empty code form, nothing more
        assert 'name="dim_de"' not in html
        assert CADRE_A_NAME not in html
        assert value not in html


def test_the_ballot_route_takes_no_code_and_no_url_of_the_flow_carries_it(session):
    code = _codes(session)[0]
    with pytest.raises(NoReverseMatch):
        reverse("assessment:ballot", args=[code])
    with pytest.raises(NoReverseMatch):
        reverse("assessment:ballot_entry", args=[code])
    assert Client().get(f"/assessment/b/{code}/").status_code == 404
    entry = reverse("assessment:ballot_entry")
    client = Client()
    page = _show(client, code).content.decode()
    done = _vote(client, _codes(session)[1])
    for html in (page, done.content.decode()):
        for url in re.findall(r'(?:href|action|src)="([^"]*)"', html):
            assert code not in url and ballots.display_code(code) not in url, url
    assert f'action="{entry}"' in page
    assert done.status_code == 200 and "Location" not in done.headers
    assert done["Cache-Control"].startswith("max-age=0")


def test_the_ballot_page_shows_only_the_cadre_post_and_round(session, world, org_a):
    """The code is the credential: whoever holds it sees whom to grade, and
    nothing else — no other ballots, no scores, no other cadre."""
    posting = world.a.posting
    codes = _codes(session)
    ballots.cast_ballot(code=codes[0], grades=ALL_EXCELLENT, comment="独特的评语内容")
    html = _show(Client(), codes[1]).content.decode()
    assert posting.cadre.name in html
    assert posting.receiving_unit.name in html
    assert posting.title in html
    assert session.assessment.round.name in html
    for hidden in [
        "独特的评语内容",
        posting.sending_unit.name,
        posting.cadre.id_number,
        CADRE_B_NAME,
        org_a.username,
        "中层干部",  # the session's groups
        "已投票",
        "参与率",
        *[ballots.display_code(c) for c in codes[2:]],
        *codes[2:],
    ]:
        assert hidden not in html, hidden


def test_an_unissued_code_is_404_for_every_persona(personas, login, session):
    for name, user in [*personas.items(), ("anonymous", None)]:
        client = login(user) if user else Client()
        response = _show(client, "ZZZZ2345", REMOTE_ADDR=f"10.1.0.{len(name)}")
        assert response.status_code == 404, name
        assert CADRE_A_NAME not in response.content.decode()
        assert CADRE_B_NAME not in response.content.decode()


# --- Session page: live turnout, sealed results ---------------------------------


def _cast_all(session, n=None, grade="excellent"):
    for code in _codes(session)[:n]:
        ballots.cast_ballot(code=code, grades=dict.fromkeys(DIMENSION_CODES, grade))


def test_the_session_page_is_sealed_while_open(session, login, org_a):
    _cast_all(session)  # everyone voted, still open
    html = (
        login(org_a)
        .get(reverse("assessment:ballot_session", args=[session.assessment_id]))
        .content.decode()
    )
    assert 'id="results-sealed"' in html
    assert "data-dim=" not in html
    assert "95.00" not in html
    assert 'hx-trigger="every 5s"' in html
    assert "htmx.min.js" in html


def test_the_session_page_stays_sealed_below_the_minimum_turnout(session, login, org_a):
    _cast_all(session, n=7)  # 7 of 12 = 58.3% < 60%
    ballots.session_close(session=session, by=org_a)
    html = (
        login(org_a)
        .get(reverse("assessment:ballot_session", args=[session.assessment_id]))
        .content.decode()
    )
    assert 'id="results-sealed"' in html
    assert "参与率未达到最低要求" in html
    assert "data-dim=" not in html
    assert "hx-trigger" not in html


def test_results_show_after_close_with_turnout_reached(session, login, org_a):
    codes = _codes(session, "一般干部/群众")
    grades = ["excellent", "excellent", "basic", "incompetent"]
    for code, grade in zip(codes[:4], grades, strict=True):
        ballots.cast_ballot(code=code, grades=dict.fromkeys(DIMENSION_CODES, grade))
    _cast_all(session, n=4, grade="competent")  # the other groups' codes
    ballots.session_close(session=session, by=org_a)
    counts = ballots.turnout(session)
    assert (counts.cast, counts.reached) == (8, True)
    html = (
        login(org_a)
        .get(reverse("assessment:ballot_session", args=[session.assessment_id]))
        .content.decode()
    )
    assert 'id="results-sealed"' not in html
    table = re.search(
        r'data-results-group="一般干部/群众">(.*?)</table>', html, re.S
    ).group(1)
    row = re.search(r'data-dim="ji">(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    # 绩: 2 优秀, 0 称职, 1 基本称职, 1 不称职; mean (95+95+65+40)/4 = 73.75
    assert cells == ["绩", "2", "0", "1", "1", "73.75"]


def test_the_turnout_fragment_for_htmx(session, login, org_a):
    _cast_all(session, n=2)
    response = login(org_a).get(
        reverse("assessment:ballot_session", args=[session.assessment_id]),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ballot-turnout"')
    assert "<html" not in html
    assert re.search(r'id="turnout-total"><td>合计</td><td></td><td[^>]*>2</td>', html)


def test_the_session_page_without_a_session_leads_to_opening_one(
    assessment, login, org_a
):
    response = login(org_a).get(
        reverse("assessment:ballot_session", args=[assessment.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "assessment:ballot_session_open", args=[assessment.pk]
    )


def _session_with(org_a, posting, sizes, name):
    round_ = make_round(org_a, [posting], name=name)
    groups = [
        {"name": f"类别{i}", "weight": w, "size": s}
        for i, (w, s) in enumerate(zip([40, 60], sizes, strict=True))
    ]
    session = _open(round_.assessments.get(), org_a, groups=groups)
    _cast_all(session)
    ballots.session_close(session=session, by=org_a)
    return session


def _queries(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **kwargs).status_code == 200
    return len(ctx)


def test_session_page_queries_do_not_grow_with_codes_and_ballots(world, org_a, login):
    small = _session_with(org_a, world.a.posting, [2, 3], "2026年第一次")
    large = _session_with(org_a, world.a.posting, [20, 30], "2026年第二次")
    assert Ballot.objects.filter(group__session=large).count() == 50
    client = login(org_a)
    urls = [
        reverse("assessment:ballot_session", args=[s.assessment_id])
        for s in (small, large)
    ]
    assert "data-dim=" in client.get(urls[1]).content.decode()  # unsealed
    assert _queries(client, urls[0]) == _queries(client, urls[1])
    htmx = {"headers": {"HX-Request": "true"}}
    assert _queries(client, urls[0], **htmx) == _queries(client, urls[1], **htmx)


# --- Slips --------------------------------------------------------------------


def _slips_html(client, session) -> str:
    url = reverse("assessment:ballot_slips", args=[session.assessment_id])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_slips_print_used_and_unused_codes_alike_with_counts(session, login, org_a):
    """Watching the slips page while people vote shows counts, never which
    code went: the page differs only in its counts after a ballot."""
    client = login(org_a)
    before = _slips_html(client, session)
    used = _codes(session, "中层干部")[0]
    ballots.cast_ballot(code=used, grades=ALL_EXCELLENT)
    html = _slips_html(client, session)
    every = list(
        BallotCode.objects.filter(group__session=session).values_list("code", flat=True)
    )
    assert len(every) == 12
    assert html.count('class="slip-qr"') == 12
    for code in every:
        assert ballots.display_code(code) in html
    counts = re.findall(r'<span class="slip-counts">([^<]*)</span>', html)
    assert counts == ["已投 0 / 共 3", "已投 1 / 共 4", "已投 0 / 共 5"]

    def without_counts(page):
        return re.sub(r'<span class="slip-counts">[^<]*</span>', "", page)

    assert before != html
    assert without_counts(before) == without_counts(html)
    assert "已使用，未打印" not in html
    assert CADRE_A_NAME in html
    assert session.assessment.round.name in html
    assert html.count('class="slip-page"') == 3  # one page per group (3, 4, 5)
    assert "http://testserver/assessment/b/" in html  # the entry address


def test_slips_qr_codes_carry_the_code_in_the_fragment_only(session, login, org_a):
    html = _slips_html(login(org_a), session)
    for code in _codes(session):
        url = f"http://testserver/assessment/b/#{ballots.display_code(code)}"
        expected = segno.make(url, error="m", micro=False).svg_data_uri(
            border=2, omitsize=True
        )
        assert f'src="{expected}"' in html
    assert _qr_data_uri("http://testserver/assessment/b/", code) == expected
    # The link's path and query are the bare entry page.
    assert url.split("#")[0] == "http://testserver" + reverse("assessment:ballot_entry")


def test_a_closed_session_prints_no_slips(session, login, org_a):
    ballots.cast_ballot(code=_codes(session)[0], grades=ALL_EXCELLENT)
    ballots.session_close(session=session, by=org_a)
    html = _slips_html(login(org_a), session)
    assert "本次民主测评已结束，测评票不再打印。" in html
    assert 'class="slip-qr"' not in html
    assert "slip-counts" not in html
    for code in BallotCode.objects.values_list("code", flat=True):
        assert ballots.display_code(code) not in html


def test_the_round_slips_leave_out_closed_sessions(world, org_a, login):
    from tests.factories import PostingFactory

    other = PostingFactory(
        sending_unit=world.a.posting.sending_unit,
        receiving_unit=world.a.posting.receiving_unit,
    )
    round_ = make_round(org_a, [world.a.posting, other])
    ballots.sessions_open_all(round_=round_, by=org_a)
    closed = BallotSession.objects.get(assessment__posting=world.a.posting)
    ballots.session_close(session=closed, by=org_a)
    url = reverse("assessment:round_ballot_slips", args=[round_.pk])
    html = login(org_a).get(url).content.decode()
    assert f"{CADRE_A_NAME}：本次民主测评已结束，测评票不再打印。" in html
    open_codes = BallotCode.objects.filter(group__session__status="open")
    assert html.count('class="slip-qr"') == open_codes.count() > 0
    for code in BallotCode.objects.filter(group__session=closed).values_list(
        "code", flat=True
    ):
        assert ballots.display_code(code) not in html


def test_comments_show_with_the_results_and_stay_sealed_with_them(
    session, login, org_a
):
    codes = _codes(session)
    ballots.cast_ballot(
        code=codes[0],
        grades=dict.fromkeys(DIMENSION_CODES, "competent"),
        comment="群众工作扎实",
    )
    url = reverse("assessment:ballot_session", args=[session.assessment_id])
    assert "群众工作扎实" not in login(org_a).get(url).content.decode()
    _cast_all(session, n=None)  # the remaining codes; the used one is skipped
    ballots.session_close(session=session, by=org_a)
    html = login(org_a).get(url).content.decode()
    comments = re.search(r'id="ballot-comments">(.*?)</ul>', html, re.S).group(1)
    assert "群众工作扎实" in comments
    assert comments.count("<li>") == 1  # ballots without a comment are not listed


# --- A whole round at once ------------------------------------------------------


def test_org_staff_open_every_session_of_a_round_at_once(world, org_a, login):
    from tests.factories import PostingFactory

    others = [
        PostingFactory(
            sending_unit=world.a.posting.sending_unit,
            receiving_unit=world.a.posting.receiving_unit,
        )
        for _ in range(2)
    ]
    round_ = make_round(org_a, [world.a.posting, *others])
    first = round_.assessments.get(posting=world.a.posting)
    _open(first, org_a)  # already open: left as it is
    client = login(org_a)
    response = client.post(reverse("assessment:round_ballots_open", args=[round_.pk]))
    assert response.status_code == 302
    sessions = BallotSession.objects.filter(assessment__round=round_)
    assert sessions.count() == 3
    defaults = Rules(round_.template_version.config).rater_groups
    for session in sessions.exclude(assessment=first):
        assert [(g.name, g.weight, g.codes.count()) for g in session.groups.all()] == [
            (g["name"], g["weight"], g["size"]) for g in defaults
        ]
    # Again: nothing more to open, and it says so.
    again = client.post(
        reverse("assessment:round_ballots_open", args=[round_.pk]), follow=True
    )
    assert "均已开启民主测评" in again.content.decode()
    assert BallotSession.objects.filter(assessment__round=round_).count() == 3


def test_a_closed_round_refuses_opening_every_session(world, org_a, login):
    round_ = make_round(org_a, [world.a.posting], status=Round.Status.CLOSED)
    response = login(org_a).post(
        reverse("assessment:round_ballots_open", args=[round_.pk]), follow=True
    )
    assert "本轮考核已结束" in response.content.decode()
    assert not BallotSession.objects.filter(assessment__round=round_).exists()


def test_the_round_slips_print_every_cadre_in_one_run(world, org_a, login):
    from tests.factories import PostingFactory

    def slips_page(n):
        postings = [
            PostingFactory(
                sending_unit=world.a.posting.sending_unit,
                receiving_unit=world.a.posting.receiving_unit,
            )
            for _ in range(n)
        ]
        round_ = make_round(org_a, postings)
        ballots.sessions_open_all(round_=round_, by=org_a)
        client = login(org_a)
        url = reverse("assessment:round_ballot_slips", args=[round_.pk])
        cache.clear()  # both runs count with the menu badge uncached
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        return html, len(ctx.captured_queries), round_

    html, queries_2, round_ = slips_page(2)
    issued = BallotCode.objects.filter(group__session__assessment__round=round_)
    assert html.count('class="slip-qr"') == issued.count()
    for code in issued.values_list("code", flat=True):
        assert ballots.display_code(code) in html
    for a in round_.assessments.select_related("posting__cadre"):
        assert a.posting.cadre.name in html
    _html, queries_6, _round = slips_page(6)
    assert queries_6 == queries_2
