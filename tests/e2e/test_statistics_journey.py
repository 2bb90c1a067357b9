"""统计分析 in a real browser: open the statistics page, see the charts drawn
from the page's data, click a number, land on the list of exactly those
postings, go back and export the page as .xlsx."""

import datetime as dt
import io

import openpyxl
import pytest

from cadres.models import Role, User
from cadres.services import unit_create
from tests.e2e.pages import PASSWORD, login, nav
from tests.factories import CadreFactory, PostingFactory


@pytest.fixture
def county(transactional_db):
    city = unit_create(name="江州市", kind="region")
    county = unit_create(name="清河县", kind="region", parent=city)
    organ = unit_create(name="清河县财政局", kind="organ", parent=county)
    town = unit_create(name="清河镇", kind="township", parent=county)
    staff = User.objects.create_user(
        "zzb", password=PASSWORD, role=Role.ORG_STAFF, unit=county, last_name="组织部"
    )
    start = dt.date.today().replace(day=1)
    for name, gender in [("林晓雯", "F"), ("周敏", "F"), ("陈立", "M")]:
        cadre = CadreFactory(name=name, gender=gender, unit=organ)
        PostingFactory(
            cadre=cadre,
            sending_unit=organ,
            receiving_unit=town,
            start_date=start,
            created_by=staff,
        )


def test_open_statistics_click_a_number_land_on_the_list_and_export(
    live_server, new_page, county
):
    base = live_server.url
    page = new_page()
    login(page, base, "zzb")
    nav(page, "统计分析")
    page.wait_for_url("**/analytics/")
    # The charts are drawn (ECharts, SVG) from the data the page carries.
    page.locator('[data-chart="kind"] svg').first.wait_for()
    assert page.locator("#total-postings").inner_text() == "3"

    # Women on posting: 2; the number is a link to exactly those postings.
    women = page.locator("#table-cadre_gender tr", has_text="女").locator("a")
    assert women.inner_text() == "2"
    women.click()
    page.wait_for_url("**/postings/**")
    rows = page.locator("#posting-table tbody tr")
    assert rows.count() == 2
    names = rows.all_inner_texts()
    assert any("林晓雯" in r for r in names) and any("周敏" in r for r in names)
    assert "性别：女" in page.locator("#picked-facets").inner_text()

    # Back to the statistics, export the page.
    page.go_back()
    page.wait_for_url("**/analytics/")
    with page.expect_download() as info:
        page.locator("#export-link").click()
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    genders = {
        row[0]: row[1] for row in book["按性别"].iter_rows(values_only=True) if row
    }
    assert genders["女"] == 2 and genders["男"] == 1


def test_each_statistics_page_prints_on_one_a4_page(
    live_server, new_page, transactional_db, settings
):
    """The 统计表 of the demo (its tables, the charts left out) fits one A4
    page: the browser's own print of each page, counted in the PDF."""
    import re
    from concurrent.futures import ThreadPoolExecutor
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    from portal.demo import PASSWORD as DEMO_PASSWORD

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def seed():
        # Off Playwright's event loop, where constance answers with proxies.
        try:
            call_command("seed_demo", stdout=StringIO())
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(seed).result()
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", "zuzhibu")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    page.emulate_media(media="print")
    for path in ("/analytics/", "/analytics/effect/", "/analytics/exchange/"):
        page.goto(f"{base}{path}")
        assert page.locator(".stats-table a.stat-link").count() > 0, path
        pdf = page.pdf(prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1, path

    # Province scale: ~90 rounds a year. 40 more closed rounds with grades:
    # one table each on screen, the summary over them alone in print.
    def more_rounds():
        from assessment.models import Grade, Round
        from postings.models import Posting
        from tests.assessment.factories import make_round, make_version

        try:
            user = User.objects.get(username="zuzhibu")
            postings = list(Posting.objects.visible_to(user)[:6])
            version = make_version(user)
            grades = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC]
            for i in range(40):
                round_ = make_round(
                    user,
                    postings,
                    status=Round.Status.CLOSED,
                    version=version,
                    name=f"第{i + 1}轮平时考核",
                )
                for j, assessment in enumerate(round_.assessments.all()):
                    assessment.grade = grades[(i + j) % 3]
                    assessment.save(update_fields=["grade"])
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(more_rounds).result()
    page.goto(f"{base}/analytics/effect/")
    assert page.locator("[id^=block-grades_]").count() >= 40
    assert page.locator("#block-grades a.stat-link").count() > 0
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
