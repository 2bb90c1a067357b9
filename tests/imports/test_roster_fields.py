"""The cadre record's fields that the import template carries (民族, 政治面貌,
学历, 任现职时间, 任现职级时间, 领导职务): editable in the form, on the dossier."""

import datetime as dt

import pytest
from django.urls import reverse

from cadres.models import Cadre, Education, PoliticalStatus, Rank
from tests.imports.files import id_for


@pytest.mark.django_db
def test_the_cadre_form_saves_the_roster_fields_and_the_dossier_shows_them(
    login, org_a, tree
):
    client = login(org_a)
    data = {
        "name": "钱多多",
        "id_number": id_for(3),
        "unit": tree.organ_a.pk,
        "rank": Rank.SECTION,
        "ethnicity": "回族",
        "political_status": PoliticalStatus.CPC_MEMBER,
        "education": Education.MASTER,
        "position_since": "2021-06-01",
        "rank_since": "2022-01-01",
        "is_leader": "on",
    }
    response = client.post(reverse("cadres:create"), data)
    assert response.status_code == 302
    cadre = Cadre.objects.get()
    assert cadre.ethnicity == "回族" and cadre.is_leader
    assert cadre.education == Education.MASTER
    assert cadre.position_since == dt.date(2021, 6, 1)
    assert cadre.rank_since == dt.date(2022, 1, 1)
    page = client.get(cadre.get_absolute_url()).content.decode()
    for shown in ("回族", "中共党员", "硕士研究生", "2021-06-01", "2022-01-01"):
        assert shown in page
    assert 'id="is-leader">是<' in page


@pytest.mark.django_db
def test_the_roster_fields_may_stay_blank(login, org_a, tree):
    data = {
        "name": "孙空",
        "id_number": id_for(4),
        "unit": tree.organ_a.pk,
        "rank": Rank.CLERK,
    }
    assert login(org_a).post(reverse("cadres:create"), data).status_code == 302
    cadre = Cadre.objects.get()
    assert cadre.political_status == "" and cadre.position_since is None
