"""Who may use which URL: one policy table, enforced by middleware.

Object scope (which rows a user sees) lives in the querysets' `visible_to`;
this table decides only which roles may reach a view at all. A URL that is not
in the table is refused for everyone, and a test fails until it is listed.
"""

import logging
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cadres.models import Role

log = logging.getLogger(__name__)

PUBLIC = "public"  # reachable without logging in (login page)
ANY = frozenset(Role)  # every logged-in role

ORG = frozenset({Role.ORG_STAFF, Role.ADMIN})
READERS = frozenset(
    {Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT, Role.CADRE, Role.ADMIN}
)
HOST_OR_ORG_STAFF = frozenset({Role.HOST_LEADER, Role.ORG_STAFF})

URL_POLICY: dict[str, frozenset | str] = {
    "login": PUBLIC,
    "logout": ANY,
    "home": ANY,
    "healthz": PUBLIC,
    # cadres
    "cadres:list": frozenset(
        {Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT, Role.ADMIN}
    ),
    "cadres:create": ORG,
    "cadres:detail": READERS,
    "cadres:edit": ORG,
    "cadres:unit_tree": ORG,
    "cadres:lookup": ORG,  # suggestions for the unit and cadre fields of forms
    # the dossier (一人一档): whoever reads a cadre reads their whole file
    "cadres:my_dossier": frozenset({Role.CADRE}),
    "cadres:dossier_print": ORG,
    "cadres:dossier_export": ORG,
    "cadres:history": ORG,
    # dossier records: who files each kind (authors edit their own)
    "cadres:note_list": READERS,
    "cadres:note_create": frozenset({Role.HOST_LEADER}),
    "cadres:note_edit": frozenset({Role.HOST_LEADER}),
    "cadres:note_month_lock": ORG,
    "cadres:worklog_create": frozenset({Role.CADRE}),
    "cadres:worklog_edit": frozenset({Role.CADRE}),
    "cadres:report_create": frozenset({Role.CADRE}),
    "cadres:report_edit": frozenset({Role.CADRE}),
    "cadres:attachment": READERS,
    "cadres:talk_create": HOST_OR_ORG_STAFF,
    "cadres:talk_edit": HOST_OR_ORG_STAFF,
    "cadres:training_create": HOST_OR_ORG_STAFF,
    "cadres:training_edit": HOST_OR_ORG_STAFF,
    "cadres:commendation_create": HOST_OR_ORG_STAFF,
    "cadres:commendation_edit": HOST_OR_ORG_STAFF,
    "cadres:symposium_create": HOST_OR_ORG_STAFF,
    "cadres:warning_create": HOST_OR_ORG_STAFF,
    "cadres:warning_revoke": frozenset({Role.ORG_STAFF}),
    "cadres:appraisal_edit": frozenset({Role.HOST_LEADER}),
    "cadres:visit_create": frozenset({Role.HOME_CONTACT, Role.ORG_STAFF}),
    "cadres:visit_edit": frozenset({Role.HOME_CONTACT, Role.ORG_STAFF}),
    "cadres:support_create": frozenset(
        {Role.CADRE, Role.HOST_LEADER, Role.HOME_CONTACT, Role.ORG_STAFF}
    ),
    "cadres:support_resolve": frozenset(
        {Role.HOST_LEADER, Role.HOME_CONTACT, Role.ORG_STAFF}
    ),
    # postings
    "postings:list": READERS,
    "postings:export": ORG,
    "postings:create": ORG,
    "postings:detail": READERS,
    "postings:edit": ORG,
    "postings:transition": ORG,
    "postings:extend": ORG,
    "postings:assignment_add": ORG,
    "postings:batch_list": ORG,
    "postings:batch_create": ORG,
    "postings:batch_detail": ORG,
    "postings:batch_edit": ORG,
    "postings:nomination_add": ORG,
    "postings:open_post_add": ORG,
    "postings:placement": ORG,
    "postings:nomination_score": ORG,
    "postings:nomination_decide": ORG,
    # assessment (考核): templates and rounds
    "assessment:template_list": ORG,
    "assessment:template_create": ORG,
    "assessment:template_detail": ORG,
    "assessment:template_revise": ORG,
    "assessment:round_list": ORG,
    "assessment:round_create": ORG,
    "assessment:round_detail": ORG,
    "assessment:round_edit": ORG,
    "assessment:round_transition": ORG,
    # assessment: results
    "assessment:round_results": ORG,
    "assessment:round_export": ORG,
    "assessment:assessment_detail": ORG,
    # assessment: evaluations (host leader scores as host, org staff as org/self)
    "assessment:my_tasks": HOST_OR_ORG_STAFF,
    "assessment:evaluate": HOST_OR_ORG_STAFF,
    # assessment: democratic evaluation; raters have no account
    "assessment:ballot_session_open": ORG,
    "assessment:ballot_session": ORG,
    "assessment:ballot_session_close": ORG,
    "assessment:ballot_slips": ORG,
    "assessment:round_ballots_open": ORG,
    "assessment:round_ballot_slips": ORG,
    "assessment:ballot_entry": PUBLIC,
    # reminders
    "postings:notifications": ANY,
    "postings:notification_read": ANY,
    "postings:notifications_read_all": ANY,
}

# Namespaces handed over whole: Django's admin checks staff status itself.
NAMESPACE_POLICY: dict[str, frozenset | str] = {"admin": frozenset({Role.ADMIN})}


def policy_for(view_name: str) -> frozenset | str | None:
    if view_name in URL_POLICY:
        return URL_POLICY[view_name]
    namespace = view_name.split(":", 1)[0] if ":" in view_name else None
    return NAMESPACE_POLICY.get(namespace)


def role_may_use(role: str | None, view_name: str) -> bool:
    policy = policy_for(view_name)
    if policy is None:
        return False
    return policy == PUBLIC or role in policy


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
    ("cadres:unit_tree", _("单位")),
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
    from postings.models import Reminder

    # The badge on every page: a count, never cached (the reminders' scope
    # follows their postings).
    unread = Reminder.objects.unread().count_visible(user)
    return {
        "nav_items": nav_items(request, user.role),
        "unread_reminders": unread,
        "may": UrlPermissions(user.role),
    }
