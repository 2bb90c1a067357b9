"""The URL policy's middleware and the navbar: above every app, imported by
none (the table itself is cadres.policy)."""

import logging
from functools import cache, partial
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cadres.policy import PUBLIC, policy_for, role_may_use
from notifications.services import unread_count

log = logging.getLogger(__name__)


class UrlPolicyMiddleware:
    """Refuse a view to roles not listed for it: 404 on object URLs, else 403.

    Object URLs answer 404 so that a refused role learns nothing about whether
    the object exists, exactly as an out-of-scope object does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        view_name = match.view_name if match else ""
        policy = policy_for(view_name)
        if policy is None:
            log.error("URL %s is not in the URL policy table", view_name)
            raise Http404
        if policy == PUBLIC or not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware has already handled anonymous users
        if request.user.role not in policy:
            if view_kwargs:
                raise Http404
            raise PermissionDenied
        return None


NAV_ITEMS = [
    ("home", _("首页")),
    ("cadres:my_dossier", _("我的档案")),
    ("cadres:list", _("干部")),
    ("postings:list", _("挂职")),
    ("postings:batch_list", _("批次选派")),
    ("cadres:note_list", _("月小结")),
    ("assessment:round_list", _("考核")),
    ("assessment:my_tasks", _("待评价")),
    ("analytics:structure", _("统计分析")),
    ("cadres:unit_tree", _("单位")),
    ("imports:index", _("导入")),
    ("exports:list", _("我的导出")),  # no badge: a count would query every page
    ("admin:index", _("系统管理")),
]


class UrlPermissions:
    """`{% if may.postings__create %}` in a template: asks the policy table.

    `__` stands for the namespace colon, which template variables cannot hold.
    """

    def __init__(self, role: str | None):
        self.role = role

    def __getitem__(self, key: str) -> bool:
        return role_may_use(self.role, key.replace("__", ":"))


class NavItem(NamedTuple):
    label: str
    url: str
    active: bool


def nav_items(request: HttpRequest, role: str) -> list[NavItem]:
    """The menu (_navbar.html): the items the role may use, the current page's
    item marked active."""
    current = request.resolver_match.view_name if request.resolver_match else ""
    return [
        NavItem(label, reverse(name), name == current)
        for name, label in NAV_ITEMS
        if role_may_use(role, name)
    ]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The badge on every page: a count, never kept beyond the request (the
    # reminders' scope follows their postings). Counted when the navbar
    # shows it, once; a page that has counted the same reminders already
    # (the home page, with its latest ones) passes its own
    # "unread_reminders", which stands before this one.
    return {
        "nav_items": nav_items(request, user.role),
        "unread_reminders": cache(partial(unread_count, user)),
        "may": UrlPermissions(user.role),
    }
