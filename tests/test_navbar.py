"""The navbar (templates/_navbar.html, its menu from guazhi.access.nav_items) on
every signed-in page."""

import re

from django.test import Client
from django.urls import reverse


def test_the_current_page_is_marked_and_the_user_line_is_escaped(login, org_city):
    org_city.last_name, org_city.first_name = "<b>王", "</b>"
    org_city.save()
    html = login(org_city).get(reverse("postings:list")).content.decode()
    active = re.findall(r'<a class="nav-link active" href="([^"]+)"', html)
    assert active == [reverse("postings:list")]
    assert "&lt;b&gt;王&lt;/b&gt; · 组织部工作人员 · 江州市" in html
    assert "<b>王" not in html


def test_logout_from_the_navbar_passes_the_csrf_check(org_city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_city)
    html = client.get(reverse("home")).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)".*?</form>', html, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert form.group(1) == reverse("logout")
    response = client.post(form.group(1), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed out


def test_anonymous_pages_have_no_navbar(db):
    html = Client().get(reverse("login")).content.decode()
    assert "navbar" not in html


def _badge(body: str) -> int:
    return int(re.search(r'id="unread-count">(\d+)<', body).group(1))


def test_the_unread_badge_follows_the_sweep_and_mark_all_read(login, tree, org_a):
    """The sweep (raw SQL) and "all read" (an UPDATE) both send no model
    signal; both show on the next page."""
    import datetime as dt

    from postings.services import reminders_sweep_midterm
    from tests.factories import PostingFactory

    today = dt.date(2026, 6, 1)
    PostingFactory(
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        start_date=today - dt.timedelta(days=180),
        planned_end_date=today + dt.timedelta(days=190),
    )
    client = login(org_a)
    url = reverse("postings:list")
    assert _badge(client.get(url).content.decode()) == 0
    assert reminders_sweep_midterm(today=today) >= 1
    assert _badge(client.get(url).content.decode()) == 1
    client.post(reverse("postings:notifications_read_all"))
    assert _badge(client.get(url).content.decode()) == 0


def test_the_menu_offers_only_what_the_role_may_use(login, host_a, admin):
    html = login(host_a).get(reverse("home")).content.decode()
    menu = re.findall(r'<a class="nav-link(?: active)?" href="([^"]+)">', html)
    assert reverse("postings:list") in menu
    assert reverse("cadres:unit_tree") not in menu  # org staff only
    assert reverse("admin:index") not in menu
    html = login(admin).get(reverse("home")).content.decode()
    assert f'<a class="nav-link" href="{reverse("admin:index")}">系统管理</a>' in html


def test_the_menu_links_my_exports_for_those_who_may_export(login, org_a, host_a):
    html = login(org_a).get(reverse("home")).content.decode()
    link = f'<a class="nav-link" href="{reverse("exports:list")}">我的导出</a>'
    assert link in html
    html = login(host_a).get(reverse("home")).content.decode()
    assert reverse("exports:list") not in html  # host leaders export nothing
