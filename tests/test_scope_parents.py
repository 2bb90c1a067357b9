"""Scope through every parent (DOMAIN.md, "Who uses it"): an object is visible
only when every object it hangs from is.

tests/test_scope_matrix.py tries every object URL against objects of the other
county, out of scope through their posting *and* every other parent at once.
Here each scenario builds objects that are in scope through all their parents
but one, for each persona that parent decides for, and tries:

- every object URL whose object hangs from that parent, GET and POST: 404;
- the in-scope pages that hold the hidden object (the round, the batch, the
  dossier), every list page, search, the lookup suggestions and the exports:
  200 (or a file), without a trace of it;
- the counts (the dashboard, the unread badge).

A new object URL fails `test_every_object_url_is_classified_by_parent` until
it is given the kind of object it names in URL_OBJECT below.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from types import SimpleNamespace

import openpyxl
import pytest
from django.urls import reverse

from cadres.models import Role, User
from cadres.policy import role_may_use
from postings.models import Batch, Nomination, Posting, Reminder
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, Side
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReminderFactory,
)
from tests.test_scope_matrix import OUT_OF_SCOPE_KWARGS, project_object_urls

# The kind of object each object URL names: the parents that decide its scope
# follow from it (a posting's records hang from the posting).
CADRE_URLS = [
    "cadres:detail",
    "cadres:edit",
    "cadres:dossier_print",
    "cadres:dossier_export",
]
URL_OBJECT: dict[str, str] = {
    **dict.fromkeys(CADRE_URLS, "cadre"),
    **{
        name: "posting"  # the dossier's records, reached through their posting
        for name in OUT_OF_SCOPE_KWARGS
        if name.startswith("cadres:") and name not in CADRE_URLS
    },
    **dict.fromkeys(
        [
            "postings:detail",
            "postings:edit",
            "postings:transition",
            "postings:extend",
            "postings:assignment_add",
        ],
        "posting",
    ),
    "postings:notification_read": "reminder",
    "obligations:waive": "posting",  # an obligation follows its posting
    **dict.fromkeys(
        [
            "postings:batch_detail",
            "postings:batch_edit",
            "postings:nomination_add",
            "postings:open_post_add",
            "postings:placement",
            "postings:batch_export",
        ],
        "batch",
    ),
    # a background export is its requester's alone (tests/exports/)
    "exports:status": "export job",
    "exports:download": "export job",
    # an upload is its uploader's alone (tests/imports/)
    **dict.fromkeys(
        ["imports:preview", "imports:commit", "imports:status", "imports:errors"],
        "import job",
    ),
    # a reminder of the ladder follows its obligation's posting
    "notifications:read": "posting",
    # a cadre's exchange records follow the cadre
    "analytics:exchange_history": "cadre",
    "postings:nomination_score": "nomination",
    "postings:nomination_decide": "nomination",
    "assessment:template_detail": "template",
    "assessment:template_revise": "template",
    **dict.fromkeys(
        [
            "assessment:round_detail",
            "assessment:round_edit",
            "assessment:round_transition",
            "assessment:round_results",
            "assessment:round_export",
            "assessment:round_ballots_open",
            "assessment:round_ballot_slips",
        ],
        "round",
    ),
    **dict.fromkeys(
        [
            "assessment:assessment_detail",
            "assessment:ballot_session_open",
            "assessment:ballot_session",
            "assessment:ballot_session_close",
            "assessment:ballot_slips",
            "assessment:evaluate",
        ],
        "assessment",
    ),
}

LIST_PAGES = [
    "home",
    "cadres:list",
    "postings:list",
    "cadres:note_list",
    "postings:notifications",
    "postings:batch_list",
    "assessment:round_list",
    "assessment:my_tasks",
    "obligations:list",
    "obligations:note_compliance",
    "obligations:compliance",
    "notifications:centre",
    "analytics:structure",
    "analytics:effect",
    "analytics:exchange",
    "exports:list",
]
EXPORTS = [
    "postings:export",
    "obligations:note_compliance_export",
    "cadres:export",
    "obligations:overdue_export",
    "analytics:structure_export",
    "analytics:effect_export",
    "analytics:exchange_export",
]


def test_every_object_url_is_classified_by_parent():
    names = {u.name for u in project_object_urls()}
    assert sorted(names - set(URL_OBJECT)) == []
    assert sorted(set(URL_OBJECT) - names) == []


@dataclass
class Hidden:
    """What one persona must not reach in one scenario."""

    # The kinds of object (URL_OBJECT) out of scope through the parent.
    kinds: set[str]
    # A side-like object for OUT_OF_SCOPE_KWARGS's builders, pointing at them.
    side: object
    # Text that belongs to the hidden objects only.
    marks: list[str]
    # In-scope pages (name, kwargs) that hold the hidden objects.
    holders: list[tuple[str, dict]] = field(default_factory=list)


def _side(**objects) -> SimpleNamespace:
    """A stand-in for conftest.Side: the builders read .cadre, .posting,
    .note, .reminder and the caches they keep in __dict__."""
    return SimpleNamespace(**objects)


def _org_of(county) -> User:
    return User.objects.get(role=Role.ORG_STAFF, unit=county)


def _ballot_session(assessment, by):
    from assessment.ballots import default_groups, session_open

    return session_open(
        assessment=assessment,
        groups=default_groups(assessment),
        min_turnout_pct=60,
        by=by,
    )


# --- Scenarios ------------------------------------------------------------------


def round_out_of_scope(world, personas, tree) -> dict[str, Hidden]:
    """A city round over both counties' postings: county org staff see their
    posting but not the city's round, so not its assessment, its ballot
    session or its slips. Host leaders, home contacts and cadres reach
    assessments through their posting (not a hole: not tried here)."""
    from tests.assessment.factories import make_round

    city_round = make_round(
        personas["org_city"],
        [world.a.posting, world.b.posting],
        name="江州市隐秘中期考核",
    )
    hidden = {}
    for persona, side in (("org_a", world.a), ("org_b", world.b)):
        assessment = city_round.assessments.get(posting=side.posting)
        session = _ballot_session(assessment, personas["org_city"])
        fake = _side(
            cadre=side.cadre,
            posting=side.posting,
            note=side.note,
            reminder=side.reminder,
            assessment_records={
                "round": city_round,
                "assessment": assessment,
                "ballot_session": session,
            },
        )
        hidden[persona] = Hidden(
            kinds={"assessment", "round"},
            side=fake,
            marks=[city_round.name],
            holders=[
                ("cadres:detail", {"pk": side.cadre.pk}),
                ("postings:detail", {"pk": side.posting.pk}),
            ],
        )
    return hidden


def closed_round_out_of_scope(world, personas, tree) -> dict[str, Hidden]:
    """The same city round once closed: its stored results are what the
    dossier and the posting page show of an assessment, so the county staff
    who see the cadre and the posting must find no trace of the round there.
    (The ballot session is opened while the round collects, then it closes.)"""
    from django.utils import timezone

    from assessment.models import Round

    hidden = round_out_of_scope(world, personas, tree)
    city_round = next(iter(hidden.values())).side.assessment_records["round"]
    Round.objects.filter(pk=city_round.pk).update(
        status=Round.Status.CLOSED, closed_at=timezone.now()
    )
    for h in hidden.values():
        h.holders.append(("cadres:dossier_print", {"pk": h.side.cadre.pk}))
        h.holders.append(("cadres:dossier_export", {"pk": h.side.cadre.pk}))
    return hidden


def cadre_out_of_batch_scope(world, personas, tree) -> dict[str, Hidden]:
    """County A's batch holding county B's cadre and posting (added by the
    city's staff, or before a move): org_a sees the batch, not the cadre."""
    hidden = {}
    for persona, own, other in (
        ("org_a", tree.county_a, world.b),
        ("org_b", tree.county_b, world.a),
    ):
        batch = Batch.objects.create(
            name=f"{own.name}混合批次",
            year=2026,
            unit=own,
            kinds=["downward"],
            created_by=personas["org_city"],
        )
        nomination = Nomination.objects.create(
            batch=batch, cadre=other.cadre, source=Nomination.Source.ORGANISATION
        )
        Posting.objects.filter(pk=other.posting.pk).update(batch=batch)
        fake = _side(
            cadre=other.cadre,
            posting=other.posting,
            note=other.note,
            reminder=other.reminder,
            batch_records={"batch": batch, "nomination": nomination},
        )
        hidden[persona] = Hidden(
            kinds={"nomination"},
            side=fake,
            marks=[other.cadre.name],
            holders=[
                ("postings:batch_detail", {"pk": batch.pk}),
                ("postings:placement", {"pk": batch.pk}),
                ("postings:batch_edit", {"pk": batch.pk}),
                ("postings:batch_export", {"pk": batch.pk}),
            ],
        )
    return hidden


def batch_out_of_scope(world, personas, tree) -> dict[str, Hidden]:
    """County B's batch nominating county A's cadre: org_a sees the cadre, not
    the batch, so not the nomination either."""
    hidden = {}
    for persona, own_side, other_county in (
        ("org_a", world.a, tree.county_b),
        ("org_b", world.b, tree.county_a),
    ):
        batch = Batch.objects.create(
            name=f"{other_county.name}外县批次",
            year=2026,
            unit=other_county,
            kinds=["downward"],
            created_by=personas["org_city"],
        )
        nomination = Nomination.objects.create(
            batch=batch, cadre=own_side.cadre, source=Nomination.Source.SELF
        )
        fake = _side(
            cadre=own_side.cadre,
            posting=own_side.posting,
            note=own_side.note,
            reminder=own_side.reminder,
            batch_records={"batch": batch, "nomination": nomination},
        )
        hidden[persona] = Hidden(
            kinds={"batch", "nomination"},
            side=fake,
            marks=[batch.name],
            holders=[("cadres:detail", {"pk": own_side.cadre.pk})],
        )
    return hidden


MOVED_NAME = "东方隐明"


def posting_moved_out(world, personas, tree) -> dict[str, Hidden]:
    """A county A posting in county A's round, with a ballot session and
    reminders to everyone on side A, then moved to county B (cadre, sending and
    receiving unit): side A loses the posting, its records, its assessment and
    its reminders, while the round stays theirs."""
    from tests.assessment.factories import make_round

    cadre = CadreFactory(name=MOVED_NAME, unit=tree.organ_a)
    posting = PostingFactory(
        cadre=cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        start_date=world.a.posting.start_date,
        planned_end_date=world.a.posting.planned_end_date,
        status=Posting.Status.ACTIVE,
    )
    note = MonthlyNoteFactory(
        posting=posting, month=world.a.note.month, author=personas["host_a"]
    )
    county_round = make_round(
        personas["org_a"], [world.a.posting, posting], name="甲县平时考核"
    )
    assessment = county_round.assessments.get(posting=posting)
    session = _ballot_session(assessment, personas["org_a"])
    reminders = {
        persona: ReminderFactory(
            posting=posting,
            recipient=personas[persona],
            message=f"{MOVED_NAME}的中期考核将到期。",
        )
        for persona in ("org_a", "host_a", "home_a", "cadre_user")
    }
    # The move: the cadre transfers to county B and so does the posting.
    type(cadre).objects.filter(pk=cadre.pk).update(unit=tree.organ_b)
    Posting.objects.filter(pk=posting.pk).update(
        sending_unit=tree.organ_b, receiving_unit=tree.township_b1
    )
    cadre.refresh_from_db()
    posting.refresh_from_db()
    hidden = {}
    records: dict = {}  # the posting's dossier records, made once for all
    for persona, reminder in reminders.items():
        fake = _side(
            cadre=cadre,
            posting=posting,
            note=note,
            reminder=reminder,
            dossier_records=records,
            assessment_records={
                "round": county_round,
                "assessment": assessment,
                "ballot_session": session,
            },
        )
        hidden[persona] = Hidden(
            kinds={"cadre", "posting", "reminder", "assessment"},
            side=fake,
            marks=[MOVED_NAME],
            holders=(
                [
                    ("assessment:round_detail", {"pk": county_round.pk}),
                    ("assessment:round_results", {"pk": county_round.pk}),
                    ("assessment:round_export", {"pk": county_round.pk}),
                    ("assessment:round_ballot_slips", {"pk": county_round.pk}),
                ]
                if persona == "org_a"
                else []
            ),
        )
    return hidden


def reminder_of_another(world, personas, tree) -> dict[str, Hidden]:
    """A reminder addressed to each persona about a posting it does not see
    (made by mistake, or before a move): the subject decides."""
    hidden = {}
    for persona, other in (
        ("org_a", world.b),
        ("host_a", world.b),
        ("home_a", world.b),
        ("cadre_user", world.b),
        ("host_b", world.a),
        ("org_b", world.a),
    ):
        reminder = ReminderFactory(
            posting=other.posting,
            recipient=personas[persona],
            message=f"{other.cadre.name}的期满考核将到期。",
        )
        fake = _side(
            cadre=other.cadre, posting=other.posting, note=other.note, reminder=reminder
        )
        hidden[persona] = Hidden(
            kinds={"reminder"}, side=fake, marks=[other.cadre.name]
        )
    return hidden


SCENARIOS: dict[str, Callable] = {
    "assessment via its round": round_out_of_scope,
    "closed assessment via its round": closed_round_out_of_scope,
    "nomination via its cadre": cadre_out_of_batch_scope,
    "nomination via its batch": batch_out_of_scope,
    "posting moved out": posting_moved_out,
    "reminder via its posting": reminder_of_another,
}


# --- The checks ------------------------------------------------------------------


def _text(response) -> str:
    """What a response shows: its HTML, or the cells of a workbook."""
    if response.get("Content-Type", "").startswith("application/vnd.openxml"):
        book = openpyxl.load_workbook(BytesIO(response.content))
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.content.decode()


def _unread_badge(html: str) -> int:
    found = re.search(r'id="unread-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def _object_urls(hidden: Hidden):
    for info in project_object_urls():
        if URL_OBJECT[info.name] in hidden.kinds:
            yield info.name, OUT_OF_SCOPE_KWARGS[info.name](hidden.side)


def _leaks(client, user, hidden: Hidden) -> tuple[list, int]:
    leaks, tried = [], 0

    def shows(text: str) -> str | None:
        return next((m for m in hidden.marks if m in text), None)

    for name, kwargs in _object_urls(hidden):
        url = reverse(name, kwargs=kwargs)
        for method in ("GET", "POST"):
            response = client.generic(method, url)
            tried += 1
            if response.status_code == 405:
                nowhere = reverse(name, kwargs=dict.fromkeys(kwargs, 987654321))
                if client.generic(method, nowhere).status_code == 405:
                    continue
            if response.status_code != 404:
                leaks.append((name, method, response.status_code))
    pages = [(name, {}) for name in LIST_PAGES + EXPORTS]
    for name, kwargs in hidden.holders + pages:
        if not role_may_use(user.role, name):
            continue
        for params in ({}, {"q": hidden.marks[0]}):
            response = client.get(reverse(name, kwargs=kwargs), params)
            tried += 1
            if response.status_code != 200:
                leaks.append((name, params, response.status_code))
                continue
            text = _text(response)
            if params:  # the search box and its links echo the query
                text = re.sub(r'value="[^"]*"|href="[^"]*[?;&]q=[^"]*"', "", text)
            if mark := shows(text):
                leaks.append((name, params, f"shows {mark}"))
    if role_may_use(user.role, "cadres:lookup"):
        for source in ("cadres", "reserve_cadres", "postings"):
            response = client.get(
                reverse("cadres:lookup"), {"source": source, "q": hidden.marks[0]}
            )
            tried += 1
            if mark := shows(response.content.decode()):
                leaks.append(("cadres:lookup", source, f"shows {mark}"))
    return leaks, tried


def _counts_agree(client, user) -> list:
    """The dashboard's and the badge's numbers are those of what `user` sees."""
    html = client.get(reverse("home")).content.decode()
    wrong = []
    expected = Reminder.objects.filter(
        Posting.scope_q(user, prefix="posting__"), recipient=user, read_at=None
    ).count()
    if _unread_badge(html) != expected:
        wrong.append(("unread badge", _unread_badge(html), expected))
    shown = {
        status: int(n) for status, n in re.findall(r'data-status="(\w+)">(\d+)<', html)
    }
    visible = Posting.objects.filter(Posting.scope_q(user))
    for status in Posting.Status.values:
        if shown.get(status, 0) != visible.filter(status=status).count():
            wrong.append(("dashboard", status, shown.get(status)))
    return wrong


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_persona_reaches_an_object_through_a_parent_out_of_scope(
    scenario, login, personas, world, tree, capsys
):
    hidden_for = SCENARIOS[scenario](world, personas, tree)
    assert hidden_for, scenario
    leaks, tried = [], 0
    for persona, hidden in hidden_for.items():
        user = personas[persona]
        client = login(user)
        found, n = _leaks(client, user, hidden)
        leaks += [(persona, *leak) for leak in found]
        leaks += [(persona, *w) for w in _counts_agree(client, user)]
        tried += n
    assert leaks == []
    with capsys.disabled():
        print(f"\n{scenario}: {tried} requests tried, 0 leaks")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_hidden_objects_are_real(scenario, login, personas, world, tree):
    """Each scenario's objects answer for admin (who sees everything), so the
    404s above are the parent's doing, not a broken builder."""
    hidden_for = SCENARIOS[scenario](world, personas, tree)
    client = login(personas["admin"])
    for hidden in hidden_for.values():
        for name, kwargs in _object_urls(hidden):
            # A reminder answers for its recipient only (tried above).
            if URL_OBJECT[name] == "reminder" or not role_may_use(Role.ADMIN, name):
                continue
            status = client.get(reverse(name, kwargs=kwargs)).status_code
            assert status in (200, 302, 405), (name, status)


def test_the_world_names_are_distinct():
    assert len({CADRE_A_NAME, CADRE_B_NAME, MOVED_NAME}) == 3
    assert Side  # the stand-in mirrors conftest.Side's attributes
