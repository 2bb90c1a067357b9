"""The audit trail of what leaves the building (issue 16, audit/): every export,
attachment download, search by ID number, login, failed login and change of a
user's role or unit writes exactly one row, saying who, when and from which
address; admins read and export it, nobody changes or removes it from the app
(nor, on PostgreSQL, from the database); the retention purge removes only
what is older than AUDIT_RETENTION_DAYS."""

import datetime as dt
from io import BytesIO, StringIO

import openpyxl
import pytest
from constance.test import override_config
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import services
from audit.models import AppendOnlyError, Entry
from audit.tasks import purge_expired
from cadres.models import Role
from records.services import attachment_add
from tests.cadres.files import PNG_BYTES
from tests.factories import ReportFactory, UserFactory, account_for

ADDRESS = "10.1.2.3"
PASSWORD = "Audit-Pass-2026"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(user) -> Client:
    """A signed-in client at ADDRESS (its own login row written already)."""
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(user)
    return client


def _new_rows(before: int) -> list[Entry]:
    return list(Entry.objects.order_by("pk")[before:])


def _one_row(action, before: int) -> Entry:
    rows = _new_rows(before)
    assert [r.action for r in rows] == [action]
    return rows[0]


def _sheet_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


# --- Exports -----------------------------------------------------------------------


def test_the_posting_export_writes_one_row_with_its_filters_and_count(org_a, world):
    client = _client(org_a)
    before = Entry.objects.count()
    response = client.get(reverse("postings:export"), {"status": "active"})
    assert response.status_code == 200
    row = _one_row(Entry.Action.EXPORT, before)
    assert (row.user, row.username, row.address) == (org_a, "org_a", ADDRESS)
    assert row.view == "postings:export"
    assert row.details == {"filters": {"status": "active"}}
    assert row.rows == len(_sheet_rows(response)) - 1 == 1  # header aside


def test_the_dossier_export_and_print_write_one_row_each(org_a, world):
    client = _client(org_a)
    cadre = world.a.cadre
    for name in ["cadres:dossier_export", "cadres:dossier_print"]:
        before = Entry.objects.count()
        assert client.get(reverse(name, args=[cadre.pk])).status_code == 200
        row = _one_row(Entry.Action.EXPORT, before)
        assert row.view == name
        assert cadre.name in row.target
        assert row.rows == 1


def test_an_export_refused_by_scope_writes_nothing(org_b, world):
    client = _client(org_b)
    before = Entry.objects.count()
    url = reverse("cadres:dossier_export", args=[world.a.cadre.pk])
    assert client.get(url).status_code == 404
    assert _new_rows(before) == []


def test_the_results_export_writes_one_row(org_a, round_a):
    client = _client(org_a)
    before = Entry.objects.count()
    url = reverse("assessment:round_export", args=[round_a.pk])
    assert client.get(url).status_code == 200
    row = _one_row(Entry.Action.EXPORT, before)
    assert row.view == "assessment:round_export"
    assert round_a.name in row.target
    assert row.rows == 1


# --- Attachment downloads -------------------------------------------------------------


def test_an_attachment_download_writes_one_row(host_a, world):
    report = ReportFactory(posting=world.a.posting)
    attachment = attachment_add(
        report=report,
        upload=SimpleUploadedFile("汇报.png", PNG_BYTES),
        by=account_for(world.a.cadre),
    )
    client = _client(host_a)
    before = Entry.objects.count()
    response = client.get(reverse("cadres:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    row = _one_row(Entry.Action.DOWNLOAD, before)
    assert (row.user, row.address) == (host_a, ADDRESS)
    assert "汇报.png" in row.target
    assert row.details == {"report": report.pk}
    # A file that is not there is not downloaded, and not recorded.
    before = Entry.objects.count()
    missing = reverse("cadres:attachment", args=[attachment.pk + 1000])
    assert client.get(missing).status_code == 404
    assert _new_rows(before) == []


# --- Searches by ID number ----------------------------------------------------------


def test_a_search_by_id_number_writes_one_row_a_search_by_name_none(org_a, world):
    client = _client(org_a)
    number = world.a.cadre.id_number
    before = Entry.objects.count()
    page = client.get(reverse("cadres:list"), {"q": number[-6:]}).content.decode()
    assert world.a.cadre.name in page
    row = _one_row(Entry.Action.ID_SEARCH, before)
    assert (row.user, row.target, row.rows) == (org_a, number[-6:], 1)
    assert row.details == {"filters": {"q": number[-6:]}}
    before = Entry.objects.count()
    client.get(reverse("cadres:list"), {"q": world.a.cadre.name})
    assert _new_rows(before) == []


def test_digits_from_a_role_without_id_numbers_search_names_and_are_not_recorded(
    home_a, world
):
    client = _client(home_a)
    before = Entry.objects.count()
    page = client.get(reverse("cadres:list"), {"q": world.a.cadre.id_number})
    assert world.a.cadre.name not in page.content.decode()
    assert _new_rows(before) == []


def test_the_admins_cadre_search_by_id_number_writes_one_row(admin, world):
    client = _client(admin)
    before = Entry.objects.count()
    url = reverse("admin:cadres_cadre_changelist")
    assert client.get(url, {"q": world.a.cadre.id_number}).status_code == 200
    row = _one_row(Entry.Action.ID_SEARCH, before)
    assert row.target == world.a.cadre.id_number
    assert row.view == "admin:cadres_cadre_changelist"


def test_the_lookups_never_search_id_numbers_so_there_is_nothing_to_record(
    org_a, world
):
    """The cadre and posting lookups match names only (cadres.lookups)."""
    client = _client(org_a)
    before = Entry.objects.count()
    for source in ["cadres", "reserve_cadres", "postings"]:
        response = client.get(
            reverse("cadres:lookup"),
            {"source": source, "field": "q", "q": world.a.cadre.id_number},
        )
        assert world.a.cadre.name not in response.content.decode()
    assert _new_rows(before) == []


# --- Logins ---------------------------------------------------------------------------


def _account(username: str):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_a_login_writes_one_row_and_a_failed_one_too(db):
    user = _account("zhangsan")
    client = Client(REMOTE_ADDR=ADDRESS)
    before = Entry.objects.count()
    client.post("/login/", {"username": "zhangsan", "password": "wrong"})
    row = _one_row(Entry.Action.LOGIN_FAILED, before)
    assert (row.user, row.username, row.address) == (None, "zhangsan", ADDRESS)
    assert "wrong" not in str(row.details) + row.target  # no password kept

    before = Entry.objects.count()
    response = client.post("/login/", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 302
    row = _one_row(Entry.Action.LOGIN, before)
    assert (row.user, row.username, row.address) == (user, "zhangsan", ADDRESS)


def test_a_failed_login_for_an_unknown_name_is_recorded_with_that_name(db):
    before = Entry.objects.count()
    Client(REMOTE_ADDR=ADDRESS).post("/login/", {"username": "nobody", "password": "x"})
    row = _one_row(Entry.Action.LOGIN_FAILED, before)
    assert (row.username, row.address) == ("nobody", ADDRESS)


# --- Role and unit changes ---------------------------------------------------------------


def _admin_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "unit": user.unit_id or "",
        "cadre": user.cadre_id or "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    return {**data, **changes}


def test_a_role_change_in_the_admin_writes_one_row(admin, host_a):
    client = _client(admin)
    before = Entry.objects.count()
    url = reverse("admin:cadres_user_change", args=[host_a.pk])
    response = client.post(url, _admin_form(host_a, role=Role.HOME_CONTACT))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = _one_row(Entry.Action.ROLE_CHANGE, before)
    assert (row.user, row.address) == (admin, ADDRESS)
    assert row.view == "admin:cadres_user_change"
    assert row.details == {
        "user_id": host_a.pk,
        "old": Role.HOST_LEADER,
        "new": Role.HOME_CONTACT,
    }


def test_a_unit_change_in_the_admin_writes_one_row(admin, host_a, tree):
    client = _client(admin)
    before = Entry.objects.count()
    url = reverse("admin:cadres_user_change", args=[host_a.pk])
    response = client.post(url, _admin_form(host_a, unit=tree.township_b1.pk))
    assert response.status_code == 302
    row = _one_row(Entry.Action.UNIT_CHANGE, before)
    assert row.user == admin
    assert row.details["old_name"] == tree.township_a1.name
    assert row.details["new_name"] == tree.township_b1.name


def test_saving_a_user_without_a_change_of_scope_writes_nothing(host_a):
    before = Entry.objects.count()
    host_a.first_name = "新名"
    host_a.save()
    host_a.last_login = timezone.now()
    host_a.save(update_fields=["last_login"])
    assert _new_rows(before) == []


def test_a_change_outside_any_request_is_recorded_too(host_a):
    before = Entry.objects.count()
    host_a.role = Role.HOME_CONTACT
    host_a.save()
    row = _one_row(Entry.Action.ROLE_CHANGE, before)
    assert (row.user, row.address, row.view) == (None, None, "")


# --- Nobody changes or removes a row -------------------------------------------------------


@pytest.fixture
def entry(db) -> Entry:
    return services.record(None, Entry.Action.EXPORT, target="样例")


def test_the_app_refuses_to_change_or_delete_a_row(entry):
    entry.target = "改过"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(target="改过")
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.target == "样例"


def test_the_database_refuses_an_update(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_entry SET target = 'x' WHERE id = %s", [entry.pk]
            )
    entry.refresh_from_db()
    assert entry.target == "样例"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite leaves DELETE to the app (Django's test flush uses it)",
)
def test_postgresql_refuses_a_delete_outside_the_purge(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entry.pk])
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_the_admin_offers_no_add_change_or_delete(admin, entry):
    client = _client(admin)
    changelist = client.get(reverse("admin:audit_entry_changelist"))
    assert changelist.status_code == 200
    assert "样例" in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    assert client.get(reverse("admin:audit_entry_add")).status_code == 403
    change = reverse("admin:audit_entry_change", args=[entry.pk])
    assert client.get(change).status_code == 200  # read-only view
    assert 'name="_save"' not in client.get(change).content.decode()
    assert client.post(change, {"target": "改过"}).status_code == 403
    delete = reverse("admin:audit_entry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.target == "样例"
    # Not even a permission to grant: the model has "view" only.
    granted = Permission.objects.filter(content_type__app_label="audit")
    assert {p.codename for p in granted} == {"view_entry"}


def test_admins_filter_and_export_the_trail_and_the_export_is_recorded(admin, db):
    services.record(None, Entry.Action.LOGIN_FAILED, username="guess1")
    services.record(None, Entry.Action.LOGIN_FAILED, username="guess2")
    services.record(None, Entry.Action.EXPORT, target="挂职名册")
    client = _client(admin)
    listing = client.get(
        reverse("admin:audit_entry_changelist"), {"action__exact": "login_failed"}
    ).content.decode()
    assert "guess1" in listing and "挂职名册" not in listing
    assert reverse("admin:audit_entry_export") in listing  # the export link
    before = Entry.objects.count()
    response = client.get(
        reverse("admin:audit_entry_export"), {"action__exact": "login_failed"}
    )
    rows = _sheet_rows(response)
    assert [r[2] for r in rows[1:]] == ["guess2", "guess1"]  # newest first
    assert {r[1] for r in rows[1:]} == {"登录失败"}
    row = _one_row(Entry.Action.EXPORT, before)
    assert row.view == "admin:audit_entry_export"
    assert (row.rows, row.details) == (
        2,
        {"filters": {"action__exact": "login_failed"}},
    )


def test_only_admins_reach_the_trail(org_a, db):
    client = _client(org_a)
    for name in ["admin:audit_entry_changelist", "admin:audit_entry_export"]:
        response = client.get(reverse(name))
        assert response.status_code in (302, 403), name
        assert response.status_code != 200


# --- Retention -----------------------------------------------------------------------


def _aged(days: float) -> Entry:
    at = timezone.now() - dt.timedelta(days=days)
    return Entry.objects.create(action=Entry.Action.LOGIN, at=at, target=f"{days}")


@override_config(AUDIT_RETENTION_DAYS=365)
def test_the_purge_removes_rows_past_the_retention_and_keeps_the_rest(db):
    old, older = _aged(366), _aged(2000)
    young, edge = _aged(10), _aged(364.9)
    assert services.purge_expired() == 2
    left = set(Entry.objects.values_list("pk", flat=True))
    assert {young.pk, edge.pk} <= left
    assert not {old.pk, older.pk} & left
    assert services.purge_expired() == 0  # a second run removes nothing


def test_the_task_and_the_command_purge_with_the_setting(db):
    old = _aged(1096)
    kept = _aged(1094)  # the default keeps three years
    assert purge_expired.apply().get() == 1
    assert list(Entry.objects.values_list("pk", flat=True)) == [kept.pk]
    with override_config(AUDIT_RETENTION_DAYS=180):
        out = StringIO()
        call_command("purge_audit", stdout=out)
    assert "1" in out.getvalue()
    assert not Entry.objects.filter(pk__in=[old.pk, kept.pk]).exists()
