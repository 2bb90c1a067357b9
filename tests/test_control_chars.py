"""Control characters: stripped from every form on the way in, and from every
cell on the way out (rows can arrive by other roads); text longer than a cell
holds is cut with a visible mark."""

import datetime as dt
from io import BytesIO

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from cadres import idcard
from cadres.models import Cadre, Rank, Role
from guazhi.excel import CELL_MAX_CHARS, ColumnSpec, build_workbook
from tests.factories import TalkFactory, UserFactory

MARK = "…（已截断）"


def _cells(response) -> list[str]:
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(response.content))
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]


def test_a_cadre_registered_with_a_control_character_is_stored_without_it(
    login, org_a, tree
):
    data = {
        "name": "林\x01晓\x7f雯",
        "id_number": idcard.make("320581", dt.date(1988, 3, 14), 37, "F"),
        "unit": tree.organ_a.pk,
        "position": "科员\x0b",
        "rank": Rank.DEPUTY_SECTION,
        "speciality": "农业\x00经济\n（兼）\t信息化",  # tab and line feed stay
        "phone": "13800000000",
    }
    response = login(org_a).post(reverse("cadres:create"), data)
    assert response.status_code == 302
    cadre = Cadre.objects.get(position="科员")
    assert cadre.name == "林晓雯"
    assert cadre.speciality == "农业经济\n（兼）\t信息化"


@pytest.mark.django_db
def test_the_admin_forms_are_cleaned_too():
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(reverse("admin:auth_group_add"), {"name": "审核\x01组"})
    assert response.status_code == 302
    assert Group.objects.filter(name="审核组").exists()


def test_a_control_character_stored_without_a_form_leaves_the_roster_export_working(
    login, org_a, world
):
    Cadre.objects.filter(pk=world.a.cadre.pk).update(name="司马\x01甲明")
    cells = _cells(login(org_a).get(reverse("postings:export")))
    assert "司马甲明" in cells
    assert not any("\x01" in cell for cell in cells)


def test_a_control_character_stored_without_a_form_leaves_the_dossier_export_working(
    login, org_a, world
):
    Cadre.objects.filter(pk=world.a.cadre.pk).update(name="司马\x01甲明")
    TalkFactory(posting=world.a.posting, content="谈心\x01谈话\x1f记录")
    url = reverse("cadres:dossier_export", kwargs={"pk": world.a.cadre.pk})
    cells = _cells(login(org_a).get(url))
    assert "司马甲明" in cells
    assert "谈心谈话记录" in cells
    assert not any("\x01" in cell or "\x1f" in cell for cell in cells)


def test_a_talk_longer_than_a_cell_is_exported_cut_with_a_visible_mark(
    login, org_a, world
):
    TalkFactory(posting=world.a.posting, content="谈" * 40_000)
    url = reverse("cadres:dossier_export", kwargs={"pk": world.a.cadre.pk})
    cut = [cell for cell in _cells(login(org_a).get(url)) if cell.startswith("谈谈")]
    assert len(cut) == 1
    assert len(cut[0]) == CELL_MAX_CHARS
    assert cut[0].endswith(MARK)


def test_a_text_that_would_become_a_formula_once_cleaned_stays_text():
    content = build_workbook(
        title="t", columns=[ColumnSpec("a")], rows=[["\x01=1+1"], ["\x02" * 5]]
    )
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    assert sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"
    assert sheet["A3"].value is None
