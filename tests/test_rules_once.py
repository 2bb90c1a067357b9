"""Each seed rule has one definition (issue 13): month arithmetic, rank fit,
the 副处 reserve rank and the two-per-team limit."""

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from cadres.models import Rank
from cadres.ranks import (
    FIT_OFFSETS,
    REMOTE_TOWNSHIP_RESERVE_RANK,
    Fit,
    rank_fit,
)
from guazhi.dates import add_months, month_days
from postings import placement
from postings.models import Posting, RuleOverride
from postings.rules import TEAM_LIMIT
from postings.services import soft_violations
from tests.factories import CadreFactory, UnitFactory

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "tests", "migrations", "node_modules", "var", "static"}


def _sources(suffixes=(".py",)):
    for path in sorted(ROOT.rglob("*")):
        parts = set(path.relative_to(ROOT).parts)
        if path.suffix in suffixes and not parts & SKIP_DIRS:
            yield path


# --- Month arithmetic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),  # clamped to Feb's end
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),  # half a year, rollover
        (dt.date(2025, 3, 31), 1, dt.date(2025, 4, 30)),
        (dt.date(2025, 11, 15), 2, dt.date(2026, 1, 15)),  # year rollover
        (dt.date(2025, 3, 1), 12, dt.date(2026, 3, 1)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 28)),  # negative, clamped
        (dt.date(2025, 1, 15), -1, dt.date(2024, 12, 15)),  # negative rollover
        (dt.date(2025, 1, 15), -25, dt.date(2022, 12, 15)),
        (dt.date(2025, 5, 20), 0, dt.date(2025, 5, 20)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("month", "days"),
    [
        (dt.date(2024, 2, 1), 29),
        (dt.date(2025, 2, 14), 28),
        (dt.date(2000, 2, 1), 29),
        (dt.date(1900, 2, 1), 28),
        (dt.date(2025, 4, 30), 30),
        (dt.date(2025, 12, 1), 31),
    ],
)
def test_month_days(month, days):
    assert month_days(month) == days


def test_month_arithmetic_is_defined_once():
    pattern = re.compile(r"^\s*def (add_months|month_days)\b", re.MULTILINE)
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources()
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    ]
    assert sorted(found) == [
        "guazhi/dates.py: add_months",
        "guazhi/dates.py: month_days",
    ]


def test_guazhi_dates_imports_no_app():
    source = (ROOT / "guazhi" / "dates.py").read_text(encoding="utf-8")
    imported = re.findall(r"^(?:from|import) (\w+)", source, re.MULTILINE)
    assert set(imported) <= {"calendar", "datetime", "django"}


# --- Rank fit (平职或低一职) --------------------------------------------------


def test_rank_fit():
    assert rank_fit(Rank.SECTION, Rank.SECTION) is Fit.SAME
    assert rank_fit(Rank.SECTION, Rank.DEPUTY_SECTION) is Fit.ONE_BELOW
    assert rank_fit(Rank.SECTION, Rank.CLERK) is Fit.UNFIT  # two below
    assert rank_fit(Rank.SECTION, Rank.DEPUTY_DIVISION) is Fit.UNFIT  # above
    assert rank_fit(Rank.CLERK, Rank.CLERK) is Fit.SAME


def test_fit_offsets_are_the_fitting_steps():
    assert FIT_OFFSETS == {0: Fit.SAME, -1: Fit.ONE_BELOW}


RANK_PAIRS = [(c, p) for c in Rank.values for p in Rank.values]


@pytest.mark.django_db
def test_soft_violations_agree_with_rank_fit_for_every_pair_of_ranks():
    cadre = CadreFactory()
    host = UnitFactory(kind="township")
    for cadre_rank, post_rank in RANK_PAIRS:
        cadre.rank = cadre_rank
        posting = Posting(
            cadre=cadre,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=cadre.unit,
            receiving_unit=host,
            title="乡镇长助理",
            post_rank=post_rank,
            start_date=dt.date(2026, 3, 1),
            planned_end_date=dt.date(2027, 3, 1),
        )
        flagged = any(
            v.rule == RuleOverride.Rule.RANK_FIT for v in soft_violations(posting)
        )
        unfit = rank_fit(cadre_rank, post_rank) is Fit.UNFIT
        assert flagged == unfit, (cadre_rank, post_rank)


def _candidate(rank, *, reserve=False):
    return placement.Candidate(
        id=rank,
        name=f"人选{rank}",
        rank=rank,
        female=False,
        reserve=reserve,
        speciality="",
        home_unit_id=0,
    )


def _post(rank, *, township=False, km=0):
    return placement.Post(
        id=rank,
        label=f"岗位{rank}",
        unit_id=100 + rank,
        unit_is_township=township,
        distance_km=km,
        rank=rank,
        speciality="",
        capacity=1,
        team_free=TEAM_LIMIT,
    )


def test_placement_fit_and_fit_matrix_agree_with_rank_fit_for_every_pair_of_ranks():
    points = {
        Fit.SAME: placement.RANK_EXACT,
        Fit.ONE_BELOW: placement.RANK_ONE_BELOW,
        Fit.UNFIT: 0.0,
    }
    candidates = [_candidate(r) for r in Rank.values]
    posts = [_post(r) for r in Rank.values]
    matrix = placement.fit_matrix(candidates, posts, max_km=0)
    for i, c in enumerate(candidates):
        for j, p in enumerate(posts):
            expected = placement.SPECIALITY_NEUTRAL + points[rank_fit(c.rank, p.rank)]
            assert placement.fit(c, p, 0)[0] == pytest.approx(expected)
            assert matrix[i, j] == pytest.approx(expected)


@pytest.mark.django_db
def test_every_caller_follows_the_one_definition_of_rank_fit(monkeypatch):
    # Were the rule "same rank only", every caller would follow at once.
    monkeypatch.delitem(FIT_OFFSETS, -1)
    assert rank_fit(Rank.SECTION, Rank.DEPUTY_SECTION) is Fit.UNFIT
    cadre = CadreFactory(rank=Rank.SECTION)
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=cadre.unit,
        receiving_unit=UnitFactory(kind="township"),
        title="乡镇长助理",
        post_rank=Rank.DEPUTY_SECTION,
        start_date=dt.date(2026, 3, 1),
        planned_end_date=dt.date(2027, 3, 1),
    )
    assert [v.rule for v in soft_violations(posting)] == [RuleOverride.Rule.RANK_FIT]
    c, p = _candidate(Rank.SECTION), _post(Rank.DEPUTY_SECTION)
    assert placement.fit(c, p, 0)[0] == placement.SPECIALITY_NEUTRAL
    assert placement.fit_matrix([c], [p], 0)[0, 0] == placement.SPECIALITY_NEUTRAL


# --- 副处 reserve cadres to remote townships ---------------------------------


def test_only_deputy_division_reserve_cadres_score_for_remote_townships():
    assert REMOTE_TOWNSHIP_RESERVE_RANK == Rank.DEPUTY_DIVISION
    remote = _post(Rank.DEPUTY_DIVISION, township=True, km=50)
    near = _post(Rank.DEPUTY_DIVISION, township=True, km=0)
    bonus = {}
    for rank in Rank.values:
        c = _candidate(rank, reserve=True)
        row = placement.fit_matrix([c], [remote, near], max_km=50)[0]
        bonus[rank] = row[0] - row[1]
        assert bonus[rank] == pytest.approx(
            placement.fit(c, remote, 50)[0] - placement.fit(c, near, 50)[0]
        )
    assert bonus.pop(Rank.DEPUTY_DIVISION) == pytest.approx(placement.PREFERENCE_MAX)
    assert np.allclose(list(bonus.values()), 0.0)
    assert "rank == 4" not in (ROOT / "postings" / "placement.py").read_text()


# --- Two cadres per team --------------------------------------------------------


def test_the_team_limit_is_never_written_as_a_bare_number():
    paths = _sources((".py", ".html"))
    bare = re.compile(r"(超过|不超过)\s*2\s*名")
    found = [
        str(path.relative_to(ROOT))
        for path in paths
        if bare.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_team_limit_labels_show_the_constant():
    from postings.forms import OVERRIDE_HELP

    assert f"{TEAM_LIMIT}名" in str(RuleOverride.Rule.TEAM_LIMIT.label)
    assert f"{TEAM_LIMIT}名" in str(OVERRIDE_HELP)


# --- Warning levels ---------------------------------------------------------------


def test_warning_levels_run_from_the_mildest_to_red():
    from records.rules import SERIOUS_WARNING_LEVELS, warning_severity

    order = ["none", "blue", "yellow", "red"]
    assert sorted(order, key=warning_severity) == order
    assert SERIOUS_WARNING_LEVELS == ("yellow", "red")


def test_the_warning_order_is_written_once():
    """The level order is Warning.Level's; nobody lists the levels again."""
    listed = re.compile(
        r"""["']blue["']\s*,\s*["']yellow["']|["']red["']\s*,\s*["']yellow["']\]"""
    )
    found = [
        str(path.relative_to(ROOT))
        for path in _sources((".py",))
        if listed.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_red_warning_without_a_red_cap_takes_the_yellow_one():
    from assessment.config import Rules, default_config
    from assessment.scoring import cap_for

    config = default_config()
    config["caps"] = {"yellow": "competent"}
    rules = Rules(config)
    assert cap_for("red", rules) == "competent"
    assert cap_for("yellow", rules) == "competent"
    assert cap_for("blue", rules) is None
    config["caps"] = {"red": "basic", "yellow": "competent"}
    assert cap_for("red", Rules(config)) == "basic"
