"""All or nothing: an interrupted commit leaves nothing and runs again; the
command line."""

import io

import pytest
from django.core.management import call_command

from cadres.models import Cadre
from imports import services
from imports.models import ImportJob
from tests.imports.files import cadre_row, id_for, xlsx


class Interrupted(Exception):
    pass


@pytest.mark.django_db
def test_an_interrupted_commit_leaves_nothing_and_can_run_again(
    org_a, tree, monkeypatch
):
    data = xlsx([cadre_row(id_for(n)) for n in range(1200)])
    job = ImportJob.objects.create(
        user=org_a, kind="cadres", filename="干部.xlsx", data=data
    )
    original = Cadre.objects.bulk_create
    calls = []

    def dies_on_the_second_batch(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise Interrupted  # the worker killed half way
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Cadre.objects, "bulk_create", dies_on_the_second_batch)
    with pytest.raises(Interrupted):
        services.job_commit(job_id=job.pk)
    assert Cadre.objects.count() == 0
    monkeypatch.setattr(Cadre.objects, "bulk_create", original)
    job = services.job_commit(job_id=job.pk)
    assert job.status == ImportJob.Status.DONE
    assert Cadre.objects.count() == 1200


@pytest.mark.django_db
def test_a_commit_that_finds_errors_marks_the_job_failed(org_a, tree):
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(2), 职级="x")])
    job = ImportJob.objects.create(
        user=org_a, kind="cadres", filename="干部.xlsx", data=data
    )
    job = services.job_commit(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED and "第3行 职级" in job.message
    assert Cadre.objects.count() == 0


def cli(tmp_path, data: bytes, *args, name="干部.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    code = 0
    try:
        call_command("import_excel", args[0], str(path), *args[1:], stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


@pytest.mark.django_db
def test_cli_prints_errors_and_exits_1(tmp_path, admin, tree):
    data = xlsx([cadre_row(id_for(1)), cadre_row(id_for(2), 职级="大领导")])
    code, out = cli(tmp_path, data, "cadres", "--commit")
    assert code == 1
    assert "第3行 职级: “大领导”不是可选的职级" in out
    assert Cadre.objects.count() == 0


@pytest.mark.django_db
def test_cli_checks_without_commit_then_writes_with_it(tmp_path, admin, tree):
    data = xlsx([cadre_row(id_for(1))])
    code, out = cli(tmp_path, data, "cadres")
    assert code == 0 and "新增1" in out and Cadre.objects.count() == 0
    code, out = cli(tmp_path, data, "cadres", "--commit")
    assert code == 0 and Cadre.objects.count() == 1
    code, out = cli(tmp_path, data, "cadres", "--commit")
    assert "无变化1" in out and Cadre.objects.count() == 1


@pytest.mark.django_db
def test_cli_as_org_staff_uses_their_scope(tmp_path, org_a, tree):
    data = xlsx([cadre_row(id_for(1), unit="乙县农业局")])
    code, out = cli(tmp_path, data, "cadres", "--as", "org_a", "--commit")
    assert code == 1 and "第2行 工作单位: 找不到单位" in out


@pytest.mark.django_db
def test_cli_warnings_need_a_reason(tmp_path, org_a, tree):
    from tests.factories import CadreFactory

    CadreFactory(id_number=id_for(1), name="张伟", unit=tree.organ_a, rank=1)
    headers = [
        "身份证号",
        "姓名",
        "挂职类型",
        "派出单位",
        "接收单位",
        "挂任职务",
        "开始日期",
        "结束日期",
        "批次",
        "挂任职级",
    ]
    row = [
        id_for(1),
        "张伟",
        "下派",
        "甲县财政局",
        "甲一镇",
        "乡镇长助理",
        "2026-03-01",
        "2027-03-01",
        "",
        "正处",
    ]
    data = xlsx([row], headers=headers)
    code, out = cli(tmp_path, data, "postings", "--as", "org_a", "--commit")
    assert code == 1 and "提示 第2行 接收单位:" in out
    code, out = cli(
        tmp_path, data, "postings", "--as", "org_a", "--commit", "--reason", "组织决定"
    )
    assert code == 0 and "新增1" in out
