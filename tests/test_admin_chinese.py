"""The admin fully in Chinese (issue 14): every model and field of the project's
apps has a Chinese name, and no column of an admin list is headed in English.

Django's own strings (permission names "Can add …") and those of third-party
apps (django_celery_beat) are theirs and not checked here.
"""

import datetime as dt
import html
import re

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from cadres.models import Role
from portal.demo import seed_small
from postings.models import Assignment, Extension, Posting, RuleOverride, StatusChange
from records.models import Attachment
from siteconfig.models import SettingChange
from tests.factories import ReportFactory, UserFactory

PROJECT_APPS = ["siteconfig", "cadres", "postings", "records", "assessment"]
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9 _.()-]*")


def _project_models():
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


def _unnamed() -> list[str]:
    """Models and concrete fields whose verbose name has no Chinese: the auto
    `id` and reverse relations are Django's, an explicitly declared id is ours."""
    missing = []
    for model in _project_models():
        where = f"{model._meta.label}"
        for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
            if not CJK.search(str(name)):
                missing.append(f"{where} (model): {name}")
        for field in model._meta.get_fields():
            if field.auto_created or not hasattr(field, "verbose_name"):
                continue
            if not CJK.search(str(field.verbose_name)):
                missing.append(f"{where}.{field.name}: {field.verbose_name}")
    return missing


def test_every_model_and_field_of_the_project_has_a_chinese_name():
    assert _unnamed() == []


def test_the_check_sees_an_explicitly_declared_id():
    """PendingBallot declares its own id: the check must look at it."""
    fields = {
        f.name
        for f in apps.get_model("assessment", "PendingBallot")._meta.get_fields()
        if not f.auto_created and hasattr(f, "verbose_name")
    }
    assert "id" in fields


def _column_headers(page: str) -> list[str]:
    """The text of each column header of the admin's result list."""
    table = re.search(r'<table id="result_list">.*?</thead>', page, re.S)
    assert table, "no result list on the changelist"
    cells = re.findall(r"<th\b[^>]*>(.*?)</th>", table.group(0), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]


def _registered_project_admins():
    return [
        (model, model_admin)
        for model, model_admin in django_admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


@pytest.fixture
def superuser(db):
    """A superuser, with the small demo and one setting change: a row of
    every model the admin lists, so that each list shows its headers."""
    seed_small(today=dt.date(2026, 5, 15))
    user = UserFactory(username="root_admin", role=Role.ADMIN)
    assert user.is_superuser
    SettingChange.objects.create(
        key="APPRAISAL_DAYS", old_value="30", new_value="45", changed_by=user
    )
    # What the demo leaves out.
    posting = Posting.objects.filter(status=Posting.Status.ACTIVE).first()
    StatusChange.objects.create(
        posting=posting,
        from_status=Posting.Status.PROPOSED,
        to_status=Posting.Status.ACTIVE,
        on=posting.start_date,
        by=user,
    )
    Extension.objects.create(
        posting=posting,
        old_end_date=posting.planned_end_date,
        new_end_date=posting.planned_end_date + dt.timedelta(days=90),
        reason="工作需要",
        approver="市委组织部",
        by=user,
    )
    Assignment.objects.create(
        posting=posting,
        kind=Assignment.Kind.CONCURRENT,
        unit=posting.receiving_unit,
        title="第一书记",
        start_date=posting.start_date,
        by=user,
    )
    RuleOverride.objects.create(
        posting=posting,
        rule=RuleOverride.Rule.RANK_FIT,
        detail="高一职安排",
        reason="岗位需要",
        by=user,
    )
    report = ReportFactory(posting=posting)
    Attachment.objects.create(
        report=report,
        original_name="汇报.pdf",
        stored_name="0" * 32,
        content_type="application/pdf",
        size=1024,
        uploaded_by=user,
    )
    return user


def test_the_admin_pages_of_the_project_are_headed_in_chinese(superuser, login):
    client = login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    assert client.get(reverse("admin:index")).status_code == 200

    english, checked, empty = [], [], []
    for model, model_admin in _registered_project_admins():
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        obj = model_admin.get_queryset(request).first()
        if obj is None:
            empty.append(model._meta.label)
            continue
        for header in _column_headers(response.content.decode()):
            if ASCII_WORDS.fullmatch(header):
                english.append(f"{model._meta.label}: {header}")
        checked.append(model._meta.label)

        if model_admin.has_add_permission(request):
            url = reverse("admin:{}_{}_add".format(*info))
            assert client.get(url).status_code == 200, url
        try:
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        except NoReverseMatch:  # a list-only admin (SettingChange)
            continue
        assert client.get(url).status_code == 200, url

    assert not empty, empty
    assert not english, english
    assert "cadres.User" in checked and "postings.StatusChange" in checked
