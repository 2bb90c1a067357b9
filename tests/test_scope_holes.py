"""The holes an independent probe found, one test each (each failed before
its fix). The general check is tests/test_scope_parents.py; these pin the
probe's own cases with what a user saw."""

from io import BytesIO

import openpyxl
from django.urls import reverse

from assessment.ballots import default_groups, session_open
from assessment.models import Assessment, BallotCode, BallotSession, Round
from assessment.results import store_results
from postings.models import Batch, Nomination, Posting, Reminder
from tests.assessment.factories import make_round
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME
from tests.factories import CadreFactory, PostingFactory, ReminderFactory


def _open_session(assessment, by) -> BallotSession:
    return session_open(
        assessment=assessment,
        groups=default_groups(assessment),
        min_turnout_pct=60,
        by=by,
    )


def test_county_staff_cannot_reach_the_ballots_of_a_city_round(
    login, org_city, org_a, world
):
    """County staff saw their cadre's assessment in a city round through the
    posting: they could print its unused codes, vote, open and close its
    session. The round is the city's: all of it is 404 for them."""
    city_round = make_round(org_city, [world.a.posting], name="江州市中期考核")
    assessment = city_round.assessments.get()
    session = _open_session(assessment, org_city)
    codes = list(BallotCode.objects.filter(group__session=session))
    client = login(org_a)
    for name in (
        "ballot_slips",
        "ballot_session",
        "ballot_session_open",
        "ballot_session_close",
        "assessment_detail",
    ):
        url = reverse(f"assessment:{name}", args=[assessment.pk])
        for method in ("GET", "POST"):
            assert client.generic(method, url).status_code in (404, 405), name
    slips = client.get(reverse("assessment:ballot_slips", args=[assessment.pk]))
    assert not any(c.code[:4] in slips.content.decode() for c in codes)
    session.refresh_from_db()
    assert session.status == BallotSession.Status.OPEN
    # The city's staff manage it as before.
    assert (
        login(org_city)
        .get(reverse("assessment:ballot_slips", args=[assessment.pk]))
        .status_code
        == 200
    )


def test_a_county_batch_page_hides_a_cadre_and_posting_out_of_the_county(
    login, org_a, org_city, tree, world
):
    """City staff put county B's cadre and posting into county A's batch
    (before adding was limited to the batch's jurisdiction): county A's staff
    saw the cadre's name, unit and rank on the batch page and could score
    them, while the cadre's own page was 404."""
    batch = Batch.objects.create(
        name="甲县2026年第一批",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_city,
    )
    nomination = Nomination.objects.create(
        batch=batch, cadre=world.b.cadre, source=Nomination.Source.ORGANISATION
    )
    Posting.objects.filter(pk=world.b.posting.pk).update(batch=batch)
    client = login(org_a)
    body = client.get(batch.get_absolute_url()).content.decode()
    assert CADRE_B_NAME not in body
    assert world.b.cadre.unit.name not in body
    assert 'data-status="active">0<' in body  # the posting is not counted
    response = client.post(
        reverse("postings:nomination_score", args=[nomination.pk]),
        {"exam_score": "90", "interview_score": "90"},
    )
    assert response.status_code == 404
    nomination.refresh_from_db()
    assert nomination.exam_score is None
    placement = client.get(reverse("postings:placement", args=[batch.pk]))
    assert CADRE_B_NAME not in placement.content.decode()
    # The city's staff, who see county B, see the row.
    city_body = login(org_city).get(batch.get_absolute_url()).content.decode()
    assert CADRE_B_NAME in city_body


def _export_text(response) -> str:
    book = openpyxl.load_workbook(BytesIO(response.content))
    return " ".join(
        str(v)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )


def test_a_posting_moved_out_of_the_county_leaves_its_results_and_export(
    login, org_a, tree, world
):
    """A closed round's results were cached per round, whoever looked: a
    posting moved out of the county stayed in the county's results and
    results.xlsx."""
    moved_cadre = CadreFactory(name="东方调出", unit=tree.organ_a)
    moved = PostingFactory(
        cadre=moved_cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        start_date=world.a.posting.start_date,
    )
    round_ = make_round(org_a, [world.a.posting, moved], status=Round.Status.CLOSED)
    store_results(round_, by=org_a)
    client = login(org_a)
    results_url = reverse("assessment:round_results", args=[round_.pk])
    export_url = reverse("assessment:round_export", args=[round_.pk])
    assert "东方调出" in client.get(results_url).content.decode()  # seen (and cached)
    Posting.objects.filter(pk=moved.pk).update(
        sending_unit=tree.organ_b, receiving_unit=tree.township_b1
    )
    type(moved_cadre).objects.filter(pk=moved_cadre.pk).update(unit=tree.organ_b)
    body = client.get(results_url).content.decode()
    assert "东方调出" not in body
    assert CADRE_A_NAME in body
    exported = _export_text(client.get(export_url))
    assert "东方调出" not in exported
    assert CADRE_A_NAME in exported
    detail = reverse(
        "assessment:assessment_detail",
        args=[Assessment.objects.get(posting=moved).pk],
    )
    assert client.get(detail).status_code == 404


def _badge(response) -> int:
    import re

    return int(re.search(r'id="unread-count">(\d+)<', response.content.decode())[1])


def test_reminders_about_a_posting_leave_with_it(login, org_a, tree, world):
    """A reminder stayed on the list, the home page and the badge after its
    posting left the recipient's scope."""
    client = login(org_a)
    home = client.get(reverse("home"))
    before = _badge(home)
    moving = PostingFactory(
        cadre=CadreFactory(name="东方提醒", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    reminder = ReminderFactory(
        posting=moving, recipient=org_a, message="东方提醒将于下月进行中期考核。"
    )
    assert _badge(client.get(reverse("home"))) == before + 1
    assert "东方提醒" in client.get(reverse("postings:notifications")).content.decode()
    Posting.objects.filter(pk=moving.pk).update(
        sending_unit=tree.organ_b, receiving_unit=tree.township_b1
    )
    home = client.get(reverse("home"))
    assert _badge(home) == before
    assert "东方提醒" not in home.content.decode()
    listing = client.get(reverse("postings:notifications")).content.decode()
    assert "东方提醒" not in listing
    read = client.post(reverse("postings:notification_read", args=[reminder.pk]))
    assert read.status_code == 404
    client.post(reverse("postings:notifications_read_all"))
    reminder.refresh_from_db()
    assert reminder.read_at is None  # "mark all read" does not reach it either
    assert Reminder.objects.visible_to(org_a).filter(pk=reminder.pk).count() == 0


def test_opening_every_session_of_a_round_leaves_out_what_the_user_cannot_see(
    login, org_a, tree, world
):
    """ "Open 民主测评 for the whole round" wrote sessions (and codes) for
    every assessment of the round, a posting moved out of the county too."""
    moved = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    round_ = make_round(org_a, [world.a.posting, moved])
    Posting.objects.filter(pk=moved.pk).update(
        sending_unit=tree.organ_b, receiving_unit=tree.township_b1
    )
    login(org_a).post(reverse("assessment:round_ballots_open", args=[round_.pk]))
    opened = set(
        BallotSession.objects.filter(assessment__round=round_).values_list(
            "assessment__posting", flat=True
        )
    )
    assert opened == {world.a.posting.pk}


# --- Found by an attack on the fixes above, as a user of another unit --------


def _round_with_moved_posting(org_a, tree, world, *, session: bool) -> tuple:
    """County A's open round over cadre A's posting and another, then moved
    to county B (its cadre's name "东方调出")."""
    moved = PostingFactory(
        cadre=CadreFactory(name="东方调出", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        start_date=world.a.posting.start_date,
        planned_end_date=world.a.posting.planned_end_date,
    )
    round_ = make_round(org_a, [world.a.posting, moved], status=Round.Status.OPEN)
    if session:
        _open_session(round_.assessments.get(posting=moved), org_a)
    Posting.objects.filter(pk=moved.pk).update(
        sending_unit=tree.organ_b, receiving_unit=tree.township_b1
    )
    return round_, moved


def _edit_round(client, round_, world):
    return client.post(
        reverse("assessment:round_edit", args=[round_.pk]),
        {
            "name": round_.name + "（改）",
            "period_start": f"{round_.period_start}",
            "period_end": f"{round_.period_end}",
            "postings": [world.a.posting.pk],
        },
    )


def test_editing_a_round_leaves_a_posting_moved_out_alone_and_unnamed(
    login, org_a, tree, world
):
    """The edit form cannot offer a posting moved out of the county, so saving
    it removed that posting's assessment (or, when it had a ballot session,
    refused naming the hidden cadre)."""
    round_, moved = _round_with_moved_posting(org_a, tree, world, session=False)
    response = _edit_round(login(org_a), round_, world)
    assert response.status_code == 302
    assert Assessment.objects.filter(round=round_, posting=moved).exists()
    round_.refresh_from_db()
    assert round_.name.endswith("（改）")
    other, _moved = _round_with_moved_posting(org_a, tree, world, session=True)
    response = _edit_round(login(org_a), other, world)
    assert "东方调出" not in response.content.decode()
    assert response.status_code == 302


def test_a_round_over_a_batch_takes_and_names_only_what_the_user_sees(
    login, org_a, org_city, tree, world
):
    """A round made from a batch read the batch's postings unscoped: county
    B's posting in county A's batch was refused by name (欧阳乙峰)."""
    batch = Batch.objects.create(
        name="甲县批次",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_city,
    )
    Posting.objects.filter(pk__in=[world.a.posting.pk, world.b.posting.pk]).update(
        batch=batch
    )
    template = make_round(org_a, [world.a.posting]).template_version.template
    response = login(org_a).post(
        reverse("assessment:round_create"),
        {
            "name": "按批次考核",
            "kind": "regular",
            "unit": tree.county_a.pk,
            "template": template.pk,
            "period_start": f"{world.a.posting.start_date}",
            "period_end": f"{world.a.posting.start_date.today()}",
            "source": "batch",
            "batch": batch.pk,
        },
    )
    assert CADRE_B_NAME not in response.content.decode()
    created = Round.objects.get(name="按批次考核")
    assert set(created.assessments.values_list("posting", flat=True)) == {
        world.a.posting.pk
    }


def test_a_records_history_hides_a_reference_out_of_scope(
    login, org_a, org_city, tree, world
):
    """A relay into county B names county B's posting as its predecessor:
    the posting's history showed "前任：欧阳乙峰 …" to county A's staff."""
    relay = PostingFactory(
        cadre=CadreFactory(name="接力明", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_b1,
        predecessor=world.b.posting,
    )
    client = login(org_a)
    body = client.get(reverse("cadres:history", args=["posting", relay.pk]))
    assert body.status_code == 200
    assert CADRE_B_NAME not in body.content.decode()
    assert "接力明" in body.content.decode()
    city = login(org_city).get(reverse("cadres:history", args=["posting", relay.pk]))
    assert CADRE_B_NAME in city.content.decode()  # who sees it, sees it


def test_a_top_level_jurisdiction_is_not_reminded_of_a_posting_beyond_it(
    login, org_city, tree, world
):
    """The badge of a top-level jurisdiction counts all its reminders less
    those whose posting lies wholly outside it (Reminder.count_visible): one
    about a posting between two units of another province is not counted."""
    from tests.factories import UnitFactory

    elsewhere = UnitFactory(name="外省厅")
    posting = PostingFactory(
        cadre=CadreFactory(unit=elsewhere),
        sending_unit=elsewhere,
        receiving_unit=UnitFactory(name="外省镇", parent=elsewhere),
    )
    inside = ReminderFactory(recipient=org_city, message="本市的提醒")
    ReminderFactory(posting=posting, recipient=org_city, message="外省的提醒")
    assert Reminder.objects.unread().count_visible(org_city) == 1
    home = login(org_city).get(reverse("home"))
    assert _badge(home) == 1
    assert "外省的提醒" not in home.content.decode()
    assert inside.message in home.content.decode()


def test_a_top_level_jurisdiction_sees_no_record_of_a_posting_beyond_it(
    login, org_city, tree, world
):
    """Records reach a top-level jurisdiction through their posting as its
    postings do: all less those whose posting lies wholly outside it
    (Posting.scope_parts). A note of a posting between two units of another
    province is neither listed nor counted; a note of a posting that merely
    ends outside it is both."""
    from records.models import MonthlyNote
    from tests.factories import MonthlyNoteFactory, UnitFactory

    elsewhere = UnitFactory(name="外省厅")
    beyond = PostingFactory(
        cadre=CadreFactory(name="外省人", unit=elsewhere),
        sending_unit=elsewhere,
        receiving_unit=UnitFactory(name="外省镇", parent=elsewhere),
    )
    outward = PostingFactory(
        cadre=CadreFactory(name="外派人", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=UnitFactory(name="外省村", parent=elsewhere),
    )
    month = world.a.posting.start_date.replace(day=1)
    for posting in (beyond, outward, world.a.posting):
        MonthlyNoteFactory(posting=posting, month=month)
    notes = MonthlyNote.objects.filter(month=month)
    assert notes.count_visible(org_city) == 2
    assert set(notes.visible_to(org_city).values_list("posting_id", flat=True)) == {
        outward.pk,
        world.a.posting.pk,
    }
    page = login(org_city).get(reverse("cadres:note_list"), {"month": f"{month:%Y-%m}"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "外派人" in body and "外省人" not in body
    assert page.context["page_obj"].paginator.count == 2
    dossier = login(org_city).get(reverse("cadres:detail", args=[beyond.cadre_id]))
    assert dossier.status_code == 404
