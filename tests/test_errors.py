"""Error pages in Chinese, in the product's layout, without a stack trace; the
admin in Chinese."""

import pytest
from django.core.exceptions import BadRequest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse

import guazhi.urls
from cadres.models import Role
from cadres.policy import ANY, URL_POLICY
from tests.factories import UserFactory


def boom(request, status):
    if status == 400:
        raise BadRequest("malformed")
    raise RuntimeError("a bug with a secret in its message: s3cr3t")


urlpatterns = [
    path("boom/<int:status>/", boom, name="boom"),
    *guazhi.urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def _production_like(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setitem(URL_POLICY, "boom", ANY)


def _is_product_page(html: str) -> bool:
    return 'data-testid="error-page"' in html and "挂职干部管理系统" in html


def test_a_missing_page_is_a_chinese_404_in_the_product_layout(login, org_a):
    response = login(org_a).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html and _is_product_page(html)
    assert "Not Found" not in html
    assert "退出" in html  # the navbar: a logged-in user keeps the menu


def test_an_anonymous_visitor_gets_the_chinese_404_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_a_page_the_role_may_not_use_is_a_chinese_403(login, host_a):
    response = login(host_a).get(reverse("cadres:create"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in html and _is_product_page(html)
    assert "Forbidden" not in html


def test_a_failed_csrf_check_is_a_chinese_403(org_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_a)
    response = client.post(reverse("cadres:create"), {})
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in html and _is_product_page(html)
    assert "CSRF" not in html


@pytest.mark.urls(__name__)
def test_a_bad_request_is_a_chinese_400(login, org_a):
    response = login(org_a).get("/boom/400/")
    html = response.content.decode()
    assert response.status_code == 400
    assert "请求有误" in html and _is_product_page(html)
    assert "Bad Request" not in html


@pytest.mark.urls(__name__)
def test_a_server_error_is_a_chinese_500_without_a_stack_trace(login, org_a):
    client = login(org_a)
    client.raise_request_exception = False
    response = client.get("/boom/500/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错" in html and _is_product_page(html)
    assert "Server Error" not in html
    assert "Traceback" not in html and "s3cr3t" not in html


def test_the_500_page_renders_without_a_request_or_the_database():
    # Django renders 500.html with an empty context; this test has no database
    # access, so a query from the layout would fail it.
    html = render_to_string("500.html")
    assert "服务器出错" in html and _is_product_page(html)


@pytest.mark.django_db
def test_the_admin_greets_by_the_whole_chinese_name_under_a_chinese_header():
    admin = UserFactory(
        username="admin",
        last_name="管",
        first_name="理员",
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("admin:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "欢迎，<strong>管理员</strong>" in html
    assert "理员</strong>." not in html
    assert "挂职干部管理系统 · 系统管理" in html  # the site header
    assert "站点管理" in html  # Django's index title, translated
    assert "模型名称" in html and "Model name" not in html
