"""The navbar (guazhi.access.navbar), built in Python for every signed-in page."""

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
