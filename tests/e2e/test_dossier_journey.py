"""一人一档 in a real browser: every party files its records, org staff read them."""

import datetime as dt

import pytest

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from postings.models import Posting
from records.models import Attachment, MonthlyNote, Talk, WorkLog
from tests.cadres.files import EXE_BYTES, PDF_BYTES
from tests.e2e.pages import PASSWORD, login, logout, nav, submit


@pytest.fixture
def posting(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    township = unit_create(name="柳湾镇", kind="township", parent=county)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    cadre = Cadre.objects.create(
        name="林晓雯",
        id_number=idcard.make("320581", dt.date(1988, 3, 14), 37, "F"),
        gender="F",
        birth_date=dt.date(1988, 3, 14),
        unit=organ,
        rank=2,
    )
    people = [
        ("zzb", Role.ORG_STAFF, county, None, "组织部", "小王"),
        ("lw", Role.HOST_LEADER, township, None, "柳湾镇", "书记"),
        ("lxw", Role.CADRE, None, cadre, "林", "晓雯"),
    ]
    for username, role, unit, who, last, first in people:
        User.objects.create_user(
            username,
            password=PASSWORD,
            role=role,
            unit=unit,
            cadre=who,
            last_name=last,
            first_name=first,
        )
    today = dt.date.today()
    posting = Posting(
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=organ,
        receiving_unit=township,
        title="乡镇长助理",
        start_date=today - dt.timedelta(days=200),
        planned_end_date=today + dt.timedelta(days=165),
        status=Posting.Status.ACTIVE,
        created_by=User.objects.get(username="zzb"),
    )
    posting.set_midterm_date()
    posting.save()
    return posting


def add_record(page, label):
    """Open the posting's "新增" menu on the dossier and pick a record kind."""
    page.locator("#posting-table").get_by_role("button", name="新增").click()
    page.locator("#posting-table").get_by_role("link", name=label, exact=True).click()


def test_every_party_files_its_records_and_org_staff_read_the_dossier(
    live_server, new_page, posting, tmp_path
):
    base = live_server.url
    page = new_page()
    today = dt.date.today()

    # The cadre writes today's log from their own dossier ...
    login(page, base, "lxw")
    nav(page, "我的档案")
    add_record(page, "写日记录")
    page.fill("#id_content", "走访柳湾村脱贫户八户，整理产业发展问题清单。")
    submit(page)
    page.wait_for_selector("text=日记录已保存")
    assert "走访柳湾村脱贫户八户" in page.inner_text("#timeline-entries")

    # ... and hands in the half-year report: a renamed program is refused,
    # the PDF is taken.
    add_record(page, "提交汇报材料")
    page.select_option("#id_kind", index=0)
    page.fill("#id_title", "挂职半年工作汇报")
    page.fill("#id_body", "一、主要工作；二、学习收获；三、下步打算。")
    fake = tmp_path / "半年汇报.pdf"
    fake.write_bytes(EXE_BYTES)
    page.set_input_files("#id_upload", str(fake))
    submit(page)
    assert "类型不允许上传" in page.inner_text("main")
    assert page.input_value("#id_title") == "挂职半年工作汇报"  # input kept
    real = tmp_path / "半年汇报.pdf"
    real.write_bytes(PDF_BYTES)
    page.set_input_files("#id_upload", str(real))
    submit(page)
    page.wait_for_selector("text=汇报材料已提交")
    assert page.locator(".attachment-link", has_text="半年汇报.pdf").is_visible()
    assert Attachment.objects.get().original_name == "半年汇报.pdf"
    logout(page)

    # The host leader files last month's note and a talk.
    login(page, base, "lw")
    page.goto(f"{base}/cadres/{posting.cadre_id}/")
    add_record(page, "填报月小结")
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    page.fill("#id_month", last_month)
    page.fill("#id_days_present", "20")
    page.fill("#id_work_done", "牵头完成人居环境整治验收。")
    page.fill("#id_conduct", "遵守纪律，作风扎实。")
    submit(page)
    page.wait_for_selector("text=月小结已提交")
    page.goto(f"{base}/cadres/{posting.cadre_id}/")
    add_record(page, "谈心谈话")
    assert page.input_value("#id_talkee") == "林晓雯"
    page.fill("#id_content", "了解思想动态和工作困难。")
    page.fill("#id_outcome", "孩子入学问题由镇里协调。")
    submit(page)
    page.wait_for_selector("text=谈心谈话已保存")
    logout(page)
    assert MonthlyNote.objects.get().author.username == "lw"
    assert Talk.objects.get().talkee == "林晓雯"
    assert WorkLog.objects.get().author.username == "lxw"

    # Org staff open the dossier: every party's record in one timeline.
    login(page, base, "zzb")
    nav(page, "干部")
    page.get_by_role("link", name="林晓雯").click()
    timeline = page.inner_text("#timeline-entries")
    for text in (
        "走访柳湾村脱贫户八户",
        "挂职半年工作汇报",
        "人居环境整治验收",
        "孩子入学问题",
    ):
        assert text in timeline
    assert page.inner_text("#summary-notes").startswith("1 /")
    page.select_option("#id_kind", label="谈心谈话")
    page.locator("#timeline-filter button[type=submit]").click()
    page.wait_for_url("**kind=talk**")
    entries = page.locator("#timeline-entries .dossier-entry")
    assert entries.count() == 1
    assert "孩子入学问题" in entries.first.inner_text()

    # ... and its print view, for the paper file.
    page.click("#print-link")
    page.wait_for_selector("h1.print-title")
    assert page.inner_text("#print-name") == "林晓雯"
    printed = page.inner_text("#print-entries")
    for text in (
        "走访柳湾村脱贫户八户",
        "挂职半年工作汇报",
        "人居环境整治验收",
        "孩子入学问题",
    ):
        assert text in printed
    assert not page.locator(".print-toolbar").is_hidden()
    page.emulate_media(media="print")
    assert page.locator(".print-toolbar").is_hidden()  # the toolbar is not printed
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
