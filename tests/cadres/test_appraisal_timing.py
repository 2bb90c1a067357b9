"""组织鉴定 (issue 14): submitted only from N days before the planned end (a
setting), and a draft is its author's until submitted: no one else sees it,
on the dossier page, the print view, the export or its history."""

import datetime as dt
from io import BytesIO

import openpyxl
import pytest
from constance.test import override_config
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from postings.models import Posting
from records.models import Appraisal
from records.services import appraisal_save, appraisal_submit_from
from tests.conftest import form_errors
from tests.factories import UserFactory

DRAFT_TEXT = "草稿中的鉴定意见，尚未定稿。"


def _appraisal(**changes) -> dict:
    data = {
        "political": "政治坚定。",
        "performance": "完成招商引资任务。",
        "conduct": "遵规守纪。",
        "overall": DRAFT_TEXT,
    }
    data.update(changes)
    return data


def _ending_in(posting: Posting, days: int) -> Posting:
    posting.planned_end_date = timezone.localdate() + dt.timedelta(days=days)
    posting.set_midterm_date()
    posting.save(update_fields=["planned_end_date", "midterm_date"])
    return posting


# --- When it may be submitted ---------------------------------------------------


def test_submitting_mid_term_is_refused_naming_the_day_it_opens(login, host_a, world):
    posting = world.a.posting  # planned to end in 400 days
    opens = posting.planned_end_date - dt.timedelta(days=30)
    url = reverse("cadres:appraisal_edit", args=[posting.pk])
    response = login(host_a).post(url, _appraisal(final=""))
    assert response.status_code == 200
    errors = form_errors(response)
    assert f"组织鉴定自{opens:%Y年%m月%d日}起才能提交" in errors
    assert "前30天" in errors
    assert DRAFT_TEXT in response.content.decode()  # the input is kept
    assert not Appraisal.objects.exists()  # nothing written, not even a draft


def test_the_page_says_from_when_it_may_be_submitted(login, host_a, world):
    posting = world.a.posting
    opens = posting.planned_end_date - dt.timedelta(days=30)
    page = login(host_a).get(reverse("cadres:appraisal_edit", args=[posting.pk]))
    assert f"组织鉴定自 {opens:%Y-%m-%d} 起可以提交（挂职期满前 30 天）" in (
        page.content.decode()
    )


def test_a_draft_may_be_saved_mid_term_and_submitted_once_it_opens(host_a, world):
    posting = world.a.posting
    draft = appraisal_save(posting=posting, author=host_a, **_appraisal())
    assert draft.status == Appraisal.Status.DRAFT
    with pytest.raises(ValidationError) as refused:
        appraisal_save(posting=posting, author=host_a, submit=True, **_appraisal())
    assert refused.value.code == "too_early"
    _ending_in(posting, 30)
    done = appraisal_save(posting=posting, author=host_a, submit=True, **_appraisal())
    assert done.status == Appraisal.Status.SUBMITTED


def test_the_day_it_opens_follows_the_setting(host_a, world):
    posting = _ending_in(world.a.posting, 11)
    with override_config(APPRAISAL_SUBMIT_DAYS_BEFORE_END=10):
        assert appraisal_submit_from(posting) == (
            timezone.localdate() + dt.timedelta(days=1)
        )
        with pytest.raises(ValidationError, match="前10天"):
            appraisal_save(posting=posting, author=host_a, submit=True, **_appraisal())
        _ending_in(posting, 10)
        appraisal_save(posting=posting, author=host_a, submit=True, **_appraisal())
    assert Appraisal.objects.get().status == Appraisal.Status.SUBMITTED


def test_a_posting_ended_early_may_be_appraised_at_once(host_a, world):
    posting = world.a.posting  # planned to end in 400 days, but ended early
    Posting.objects.filter(pk=posting.pk).update(
        status=Posting.Status.ENDED_EARLY,
        ended_on=timezone.localdate() - dt.timedelta(days=3),
    )
    posting.refresh_from_db()
    done = appraisal_save(posting=posting, author=host_a, submit=True, **_appraisal())
    assert done.status == Appraisal.Status.SUBMITTED


# --- A draft is its author's ----------------------------------------------------


@pytest.fixture
def draft(host_a, world) -> Appraisal:
    return appraisal_save(posting=world.a.posting, author=host_a, **_appraisal())


def _dossier(client, cadre) -> str:
    return client.get(reverse("cadres:detail", args=[cadre.pk])).content.decode()


def _export_text(client, cadre) -> str:
    response = client.get(reverse("cadres:dossier_export", args=[cadre.pk]))
    book = openpyxl.load_workbook(BytesIO(response.content))
    return " ".join(
        str(cell)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def test_the_cadre_does_not_see_the_host_leaders_draft(login, cadre_user, draft):
    page = login(cadre_user).get(reverse("cadres:my_dossier")).content.decode()
    assert DRAFT_TEXT not in page
    assert "组织鉴定（草稿）" not in page


def test_org_staff_see_no_draft_on_the_page_the_print_view_or_the_export(
    login, org_a, world, draft
):
    client = login(org_a)
    assert DRAFT_TEXT not in _dossier(client, world.a.cadre)
    printed = client.get(reverse("cadres:dossier_print", args=[world.a.cadre.pk]))
    assert printed.status_code == 200
    assert DRAFT_TEXT not in printed.content.decode()
    exported = _export_text(client, world.a.cadre)
    assert "政治坚定" not in exported and DRAFT_TEXT not in exported
    # Nor its history.
    history = reverse("cadres:history", args=["appraisal", draft.pk])
    assert client.get(history).status_code == 404


def test_the_author_sees_their_draft(login, host_a, world, draft):
    page = _dossier(login(host_a), world.a.cadre)
    assert DRAFT_TEXT in page and "组织鉴定（草稿）" in page


def test_another_host_leader_of_the_unit_neither_sees_nor_changes_the_draft(
    login, host_a, world, draft
):
    other = UserFactory(role="host_leader", unit=world.a.posting.receiving_unit)
    client = login(other)
    assert DRAFT_TEXT not in _dossier(client, world.a.cadre)
    url = reverse("cadres:appraisal_edit", args=[world.a.posting.pk])
    response = client.get(url, follow=True)
    body = response.content.decode()
    assert "提交前只有起草人本人可以查看和修改" in body and DRAFT_TEXT not in body
    client.post(url, _appraisal(overall="改写"))
    draft.refresh_from_db()
    assert draft.overall == DRAFT_TEXT and draft.author == host_a
    with pytest.raises(ValidationError) as refused:
        appraisal_save(posting=world.a.posting, author=other, **_appraisal())
    assert refused.value.code == "not_author"


def test_once_submitted_everyone_in_scope_sees_it(
    login, host_a, org_a, home_a, cadre_user, world, draft
):
    _ending_in(world.a.posting, 5)
    appraisal_save(posting=world.a.posting, author=host_a, submit=True, **_appraisal())
    assert (
        DRAFT_TEXT
        in login(cadre_user).get(reverse("cadres:my_dossier")).content.decode()
    )
    for user in (org_a, home_a, host_a):
        assert DRAFT_TEXT in _dossier(login(user), world.a.cadre), user
    assert DRAFT_TEXT in _export_text(login(org_a), world.a.cadre)
    history = reverse("cadres:history", args=["appraisal", draft.pk])
    assert login(org_a).get(history).status_code == 200
