"""Login throttling (issue 15, cadres/throttling.py): failures counted per
username + address (5) and per address (30, whatever the usernames), a
15-minute cool-off, refused attempts refused before any password is hashed,
and colleagues behind the same router who sign in from it still getting in."""

import time
from datetime import timedelta

import pytest
from constance.test import override_config
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory

RIGHT = "Right-Pass-2026"
OFFICE = "10.20.30.40"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """A cheap hasher: the tests count its calls, not its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password was hashed (checked or made) so far."""
    hasher = type(get_hasher())
    calls = []
    for name in ("encode", "verify"):
        original = getattr(hasher, name)

        def counting(self, *args, _original=original, **kwargs):
            calls.append(1)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(hasher, name, counting)
    return calls


def _account(username: str):
    user = UserFactory(username=username)
    user.set_password(RIGHT)
    user.save()
    return user


@pytest.fixture
def zhang(db):
    return _account("zhangsan")


@pytest.fixture
def li(db):
    return _account("lisi")


def _try(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def _at(address: str = OFFICE) -> Client:
    return Client(REMOTE_ADDR=address)


def test_the_fifth_wrong_password_locks_the_username_from_that_address(zhang):
    client = _at()
    statuses = [_try(client, "zhangsan", f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # Locked from this address, even with the right password ...
    assert _try(client, "zhangsan", RIGHT).status_code == 429
    # ... but not from another one.
    assert _try(_at("10.99.0.1"), "zhangsan", RIGHT).status_code == 302
    print(f"login throttling: {len(statuses) + 2} attempts tried")


def test_the_30th_wrong_password_from_one_address_is_refused(db, hashes):
    client = _at()
    statuses = [_try(client, "zhangsan", f"wrong-{i}").status_code for i in range(30)]
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}
    # Only the first five were checked at all.
    assert len(hashes) == 5
    print(f"login throttling: {len(statuses)} attempts tried, {len(hashes)} hashed")


def test_rotating_usernames_hits_the_per_address_limit(db, hashes):
    client = _at()
    statuses = [_try(client, f"guess{i}", "123456").status_code for i in range(31)]
    assert statuses[:29] == [200] * 29
    assert statuses[29:] == [429, 429]  # the 30th and what follows
    assert len(hashes) == 30  # the 31st was refused before hashing
    page = _try(client, "guess99", "123456").content.decode()
    assert "您所在的网络地址登录失败次数过多" in page
    print(
        f"login throttling: {len(statuses) + 1} attempts tried with rotating usernames"
    )


def test_a_colleague_on_the_same_address_with_the_right_password_gets_in(zhang, li):
    # Both have signed in from the office before.
    for username in ("zhangsan", "lisi"):
        assert _try(_at(), username, RIGHT).status_code == 302
    attacker = _at()
    statuses = [
        _try(attacker, f"guess{i}", "woaini1314").status_code for i in range(31)
    ]
    assert statuses[28:] == [200, 429, 429]  # locked at the address's 30th failure
    # The office keeps working, with its own right passwords.
    assert _try(_at(), "zhangsan", RIGHT).status_code == 302
    # Its wrong passwords are still counted: lisi's own limit applies to lisi.
    typos = [_try(_at(), "lisi", f"typo-{i}").status_code for i in range(5)]
    assert typos == [200, 200, 200, 200, 429]
    print(f"login throttling: {2 + len(statuses) + 1 + len(typos)} attempts tried")


def test_an_account_that_never_signed_in_from_a_locked_address_waits(zhang):
    client = _at()
    for i in range(30):
        _try(client, f"guess{i}", "x")
    answer = _try(_at(), "zhangsan", RIGHT)
    assert answer.status_code == 429
    assert "近期在本网络成功登录过的账号不受影响" in answer.content.decode()
    assert _try(_at("10.99.0.1"), "zhangsan", RIGHT).status_code == 302
    print("login throttling: 32 attempts tried")


def test_a_success_resets_the_username_count_but_not_the_address_count(zhang):
    client = _at()
    tried = 0
    for _round in range(2):
        for i in range(4):
            assert _try(client, "zhangsan", f"wrong-{i}").status_code == 200
            tried += 1
        assert _try(client, "zhangsan", RIGHT).status_code == 302
        client.post("/logout/")
        tried += 1
    # 8 failures from this address so far; a 5th in a row for zhangsan locks.
    statuses = [_try(client, "zhangsan", f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # 13 failures: the 17th other one is the address's 30th.
    statuses = [_try(client, f"guess{i}", "x").status_code for i in range(17)]
    assert statuses == [200] * 16 + [429]
    print(f"login throttling: {tried + 5 + 17} attempts tried")


def test_the_page_says_what_happened_and_when_to_try_again(zhang):
    client = _at()
    for i in range(4):
        _try(client, "zhangsan", f"wrong-{i}")
    answer = _try(client, "zhangsan", "wrong-5")
    page = answer.content.decode()
    until = timezone.localtime(timezone.now() + timedelta(minutes=15))
    assert answer.status_code == 429
    assert "该账号在您所在的网络登录失败次数过多，已暂停登录" in page
    assert f"请在 {until:%H:%M} 以后（约 15 分钟后）再试" in page
    assert 'value="zhangsan"' in page  # the form keeps what was typed
    assert "用户名或密码不正确" not in page
    print("login throttling: 5 attempts tried")


def test_the_lock_ends_after_the_cool_off(zhang, monkeypatch):
    client = _at()
    for i in range(5):
        _try(client, "zhangsan", f"wrong-{i}")
    assert _try(client, "zhangsan", RIGHT).status_code == 429
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert _try(client, "zhangsan", RIGHT).status_code == 302
    print("login throttling: 7 attempts tried")


def test_admins_set_the_limits_and_the_cool_off(zhang):
    client = _at()
    with override_config(
        LOGIN_FAILURES_PER_USER=2,
        LOGIN_FAILURES_PER_ADDRESS=3,
        LOGIN_COOLOFF_MINUTES=60,
    ):
        statuses = [_try(client, "zhangsan", f"w{i}").status_code for i in range(2)]
        assert statuses == [200, 429]
        assert "约 60 分钟后" in _try(client, "zhangsan", "w").content.decode()
        # Two failures counted (the refused one is not): the next is the third.
        assert _try(client, "other", "w").status_code == 429
    print("login throttling: 4 attempts tried")


def test_a_spoofed_x_forwarded_for_does_not_escape_the_address_limit(db):
    statuses = [
        Client(REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        .post("/login/", {"username": f"guess{i}", "password": "x"})
        .status_code
        for i in range(31)
    ]
    assert statuses[29:] == [429, 429]
    print(f"login throttling: {len(statuses)} attempts tried with spoofed addresses")


def test_a_refused_attempt_does_not_extend_the_cool_off(zhang):
    from cadres.throttling import login_lock

    client = _at()
    for i in range(5):
        _try(client, "zhangsan", f"wrong-{i}")
    before = login_lock(username="zhangsan", address=OFFICE)
    for i in range(10):
        assert _try(client, "zhangsan", f"again-{i}").status_code == 429
    assert login_lock(username="zhangsan", address=OFFICE) == before
    print("login throttling: 15 attempts tried")


def test_the_admin_login_is_throttled_too(db, hashes):
    client = _at()
    for i in range(30):
        client.post("/admin/login/", {"username": f"guess{i}", "password": "x"})
    answer = client.post("/admin/login/", {"username": "guess-more", "password": "x"})
    assert answer.status_code == 429
    assert len(hashes) == 30
    print("login throttling: 31 admin attempts tried")
