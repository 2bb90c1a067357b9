"""一人一档 in a real browser: every party files its records, org staff read them."""

import datetime as dt

import pytest
from django.urls import reverse

from cadres import idcard
from cadres.models import Cadre, Role, User
from cadres.services import unit_create
from postings.lookups import posting_label
from postings.models import Posting
from records.models import Attachment, MonthlyNote, Symposium, Talk, WorkLog
from tests.cadres.files import EXE_BYTES, PDF_BYTES
from tests.e2e.pages import PASSWORD, login, logout, nav, pick, submit


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


# The 新增 menu: label -> (URL name, the heading of the form it opens).
RECORD_FORMS = {
    "写日记录": ("cadres:worklog_create", "登记日记录"),
    "提交汇报材料": ("cadres:report_create", "提交汇报材料"),
    "填报月小结": ("cadres:note_create", "填报月小结"),
    "谈心谈话": ("cadres:talk_create", "登记谈心谈话"),
    "培训": ("cadres:training_create", "登记培训"),
    "表扬": ("cadres:commendation_create", "登记表扬"),
    "预警": ("cadres:warning_create", "登记预警"),
    "组织鉴定": ("cadres:appraisal_edit", "组织鉴定"),
    "后勤保障需求": ("cadres:support_create", "登记后勤保障"),
    "回访": ("cadres:visit_create", "登记回访"),
    "座谈会": ("cadres:symposium_create", "登记座谈会"),
}

# Who has which item (portal.views.RECORD_ACTIONS, cadres.policy), on the
# active posting and on one that has ended.
MENUS = {
    "lxw": {
        "active": ["写日记录", "提交汇报材料", "后勤保障需求"],
        "completed": ["提交汇报材料"],
    },
    "lw": {
        "active": [
            "填报月小结",
            "谈心谈话",
            "培训",
            "表扬",
            "预警",
            "组织鉴定",
            "后勤保障需求",
            "座谈会",
        ],
        "completed": ["组织鉴定"],
    },
    "zzb": {
        "active": ["谈心谈话", "培训", "表扬", "预警", "后勤保障需求", "座谈会"],
        "completed": ["谈心谈话", "培训", "表扬", "预警", "回访", "座谈会"],
    },
    "hc": {"active": ["后勤保障需求"], "completed": ["回访"]},
}


@pytest.fixture
def two_postings(posting):
    """The active posting, an earlier one that has ended, and the home
    contact of the cadre's own unit."""
    User.objects.create_user(
        "hc",
        password=PASSWORD,
        role=Role.HOME_CONTACT,
        unit=posting.sending_unit,
        last_name="财政局",
        first_name="联系人",
    )
    today = dt.date.today()
    done = Posting(
        cadre=posting.cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=posting.sending_unit,
        receiving_unit=posting.receiving_unit,
        title="党委委员",
        start_date=today - dt.timedelta(days=900),
        planned_end_date=today - dt.timedelta(days=535),
        ended_on=today - dt.timedelta(days=535),
        status=Posting.Status.COMPLETED,
        created_by=posting.created_by,
    )
    done.set_midterm_date()
    done.save()
    return {"active": posting, "completed": done}


# True when the point at the element's centre is the element itself: a menu
# item clipped by a scrolling box, or under another element, is not.
HIT_AT_CENTRE = """el => {
  const r = el.getBoundingClientRect();
  const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.width > 0 && r.height > 0 && at !== null && (at === el || el.contains(at));
}"""


def open_record_menu(page, posting):
    row = page.locator(f"#posting-table tr[data-posting='{posting.pk}']")
    row.get_by_role("button", name="新增").click()
    menu = row.locator(".dropdown-menu.show")
    menu.wait_for(state="visible")
    return menu


@pytest.mark.parametrize("username", list(MENUS))
def test_every_item_of_the_new_record_menu_opens_its_form_where_it_shows(
    live_server, new_page, two_postings, username
):
    """Each item of each row's 新增 menu is on screen and on top where it
    shows (not clipped by the table's scrolling box), and clicking it there,
    as a user does, opens that record's form for that posting."""
    base = live_server.url
    page = new_page()
    login(page, base, username)
    cadre = two_postings["active"].cadre
    if username == "lxw":
        dossier = f"{base}{reverse('cadres:my_dossier')}"
    else:
        dossier = f"{base}{reverse('cadres:detail', args=[cadre.pk])}"
    for state, labels in MENUS[username].items():
        posting = two_postings[state]
        page.goto(dossier)
        menu = open_record_menu(page, posting)
        shown = menu.get_by_role("link").all_inner_texts()
        assert [label.strip() for label in shown] == labels
        for label in labels:
            page.goto(dossier)
            menu = open_record_menu(page, posting)
            item = menu.get_by_role("link", name=label, exact=True)
            assert item.evaluate(HIT_AT_CENTRE), f"{username}: {label} is hidden"
            item.click(timeout=3_000)
            name, heading = RECORD_FORMS[label]
            if name == "cadres:symposium_create":
                expected = f"{reverse(name)}?posting={posting.pk}"
            else:
                expected = reverse(name, args=[posting.pk])
            page.wait_for_url(f"{base}{expected}")
            assert page.inner_text("main h1") == heading
            assert page.locator("main form button[type=submit]").first.is_visible()


def test_the_new_record_menu_shows_whole_on_a_phone(
    live_server, new_page, two_postings
):
    """On a narrow screen the posting table scrolls sideways; the menu of its
    last column still shows whole, on top, and takes a click."""
    base = live_server.url
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 740})
    login(page, base, "lw")
    posting = two_postings["active"]
    page.goto(f"{base}{reverse('cadres:detail', args=[posting.cadre_id])}")
    menu = open_record_menu(page, posting)
    items = menu.get_by_role("link")
    assert items.count() == len(MENUS["lw"]["active"])
    for item in items.all():
        assert item.evaluate(HIT_AT_CENTRE), item.inner_text()
    items.last.click(timeout=3_000)
    page.wait_for_url(f"{base}{reverse('cadres:symposium_create')}?posting=*")


def test_attendees_of_a_symposium_are_typed_and_picked(live_server, new_page, posting):
    """The host leader opens 座谈会 from a posting (its cadre comes chosen),
    types a second name, picks it from the suggestions, changes their mind
    about a third and saves a symposium with the two."""
    township, organ = posting.receiving_unit, posting.sending_unit
    others = {}
    for name in ("周明远", "郑明德"):
        cadre = Cadre.objects.create(
            name=name,
            id_number=idcard.make("320581", dt.date(1990, 5, 1), len(others) + 11, "M"),
            gender="M",
            birth_date=dt.date(1990, 5, 1),
            unit=organ,
            rank=2,
        )
        others[name] = Posting(
            cadre=cadre,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=organ,
            receiving_unit=township,
            title="村党支部第一书记",
            start_date=posting.start_date,
            planned_end_date=posting.planned_end_date,
            status=Posting.Status.ACTIVE,
            created_by=posting.created_by,
        )
        others[name].set_midterm_date()
        others[name].save()
    base = live_server.url
    page = new_page()
    login(page, base, "lw")
    page.goto(f"{base}{reverse('cadres:detail', args=[posting.cadre_id])}")
    open_record_menu(page, posting).get_by_role("link", name="座谈会").click()
    chips = page.locator(".lookup-chip")
    assert chips.all_inner_texts() == [posting_label(posting)]

    pick(page, "#id_attendees", "周明远")
    pick(page, "#id_attendees", "郑明德")
    assert chips.count() == 3
    assert page.input_value("#id_attendees") == ""
    chips.filter(has_text="郑明德").get_by_role("button").click()
    assert chips.count() == 2
    page.fill("#id_title", "柳湾镇挂职干部座谈会")
    page.fill("#id_host", "柳湾镇党委")
    page.fill("#id_minutes", "交流驻村工作体会。")
    # A name typed but not picked is read on save: unknown, it is refused
    # where it was typed, and what was chosen stays chosen.
    page.fill("#id_attendees", "查无此人")
    submit(page)
    assert page.locator("#id_attendees_error", has_text="“查无此人”").is_visible()
    assert chips.count() == 2
    assert page.input_value("#id_attendees") == "查无此人"
    assert not Symposium.objects.exists()
    page.fill("#id_attendees", "")
    submit(page)
    page.wait_for_selector("text=座谈会“柳湾镇挂职干部座谈会”已登记")
    symposium = Symposium.objects.get()
    assert set(symposium.attendees.all()) == {posting, others["周明远"]}
    assert "柳湾镇挂职干部座谈会" in page.inner_text("#timeline-entries")
