import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from cadres import idcard
from cadres.models import Cadre, Role, Unit, User
from obligations.models import Obligation
from portal.demo import PASSWORD
from postings.models import Posting, Reminder
from records.models import MonthlyNote


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Unit, User, Cadre, Posting, MonthlyNote, Reminder)
    }


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_twice_creates_data_once():
    first_output = seed()
    first = counts()
    second_output = seed()
    assert counts() == first
    assert "演示数据已存在" in second_output
    for output in (first_output, second_output):
        for username in ("admin", "zuzhibu", "jieshou", "paichu", "ganbu"):
            assert username in output
        assert PASSWORD in output
    assert 180 <= first["Cadre"] <= 220
    assert 70 <= first["Posting"] <= 90


@pytest.mark.django_db
def test_seed_demo_content():
    seed()
    for cadre in Cadre.objects.all():
        birth, gender = idcard.parse(cadre.id_number)
        assert (birth, gender) == (cadre.birth_date, cadre.gender), cadre.name

    combos = set(Posting.objects.values_list("kind", "status").distinct())
    assert combos == {(k, s) for k in Posting.Kind for s in Posting.Status}
    for posting in Posting.objects.all():
        assert posting.planned_end_date > posting.start_date
        assert (
            posting.midterm_date
            == posting.start_date + (posting.planned_end_date - posting.start_date) / 2
        )
    assert not (
        Posting.objects.active()
        .values("cadre")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )

    for role in Role:
        assert User.objects.filter(role=role).exists(), role
    jieshou = User.objects.get(username="jieshou")
    ganbu = User.objects.get(username="ganbu")
    assert ganbu.cadre.postings.active().get().receiving_unit == jieshou.unit
    assert User.objects.get(username="zuzhibu").unit.name == "江州市"
    assert User.objects.get(username="admin").is_superuser
    for username in ("admin", "zuzhibu", "qinghe_zzb", "jieshou", "paichu", "ganbu"):
        assert User.objects.get(username=username).check_password(PASSWORD)

    today = timezone.localdate()
    soon = Posting.objects.active().filter(
        midterm_date__gte=today, midterm_date__lte=today + dt.timedelta(days=14)
    )
    assert soon.filter(receiving_unit=jieshou.unit).count() >= 2
    assert Reminder.objects.exists()
    assert Reminder.objects.filter(recipient=jieshou).exists()

    current = today.replace(day=1)
    assert MonthlyNote.objects.exists()
    for note in MonthlyNote.objects.select_related("posting", "author"):
        assert note.month.day == 1 and note.month <= current
        assert note.posting.start_date.replace(day=1) <= note.month
        assert note.month <= note.posting.planned_end_date
        assert note.author.role == Role.HOST_LEADER
        assert note.author.unit_id == note.posting.receiving_unit_id


@pytest.mark.django_db
def test_seed_demo_resets_demo_passwords():
    seed()
    user = User.objects.get(username="jieshou")
    user.set_password("something-else-123")
    user.save()
    seed()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_cadre_a_lived_in_dossier():
    from portal.dossier import load_dossier
    from records.models import Appraisal, Symposium, WorkLog

    seed()
    ganbu = User.objects.get(username="ganbu")
    file = load_dossier(ganbu.cadre, ganbu)
    kinds = {key for key, rows in file.records.items() if rows}
    assert {"worklog", "note", "talk", "training", "commendation", "support"} <= kinds
    assert file.summary().open_needs == 1
    assert WorkLog.objects.filter(author=ganbu).count() >= 10
    assert Appraisal.objects.filter(status="submitted").exists()
    assert Symposium.objects.get().attendees.count() >= 2


@pytest.mark.django_db
def test_seed_demo_leaves_the_obligations_current():
    """`make run` shows home pages with what each party owes from the start,
    not only after the first nightly sweep; a rerun adds nothing."""
    output = seed()
    assert "待办事项已更新" in output
    owed = Obligation.objects.count()
    assert owed > 0
    assert Obligation.objects.filter(kind="monthly_note", status="open").exists()
    assert Obligation.objects.filter(status="done").exists()
    seed()
    assert Obligation.objects.count() == owed


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_accounts_reminders_at_once():
    """The reminder ladder's sweep runs after the obligations' catch-up: a demo
    login sees reminders in the notification centre and the header badge
    before the first nightly sweep; a rerun claims nothing new."""
    from notifications.models import Notification
    from notifications.services import unread_count

    output = seed()
    assert "提醒已更新" in output
    for username in ("zuzhibu", "jieshou"):
        user = User.objects.get(username=username)
        assert Notification.objects.visible_to(user).exists(), username
        assert unread_count(user) > Reminder.objects.filter(recipient=user).count()
    claimed = Notification.objects.count()
    seed()
    assert Notification.objects.count() == claimed
