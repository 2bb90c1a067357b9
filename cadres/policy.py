"""Who may use which URL: one policy table (enforced by guazhi.access's
middleware; asked by pages that show a link only to those who may follow it).

It lives with the roles, at the bottom of the apps, so that every app may ask
it; the URL names it lists are plain strings and import nothing.

Object scope (which rows a user sees) lives in the querysets' `visible_to`;
this table decides only which roles may reach a view at all. A URL that is not
in the table is refused for everyone, and a test fails until it is listed.
"""

from .models import Role

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
    # the second factor (cadres/otp.py): reachable before it is verified, the
    # gate of cadres.otp lets exactly these through
    "otp_enrol": ANY,
    "otp_verify": ANY,
    "otp_recovery": ANY,
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
    # obligations (待办事项): the list for everyone in scope, waiving for org
    # staff; compliance: the monthly notes for those who file or oversee them,
    # the share met on time for org staff
    "obligations:list": READERS,
    "obligations:waive": frozenset({Role.ORG_STAFF}),
    "obligations:note_compliance": frozenset(
        {Role.ORG_STAFF, Role.HOST_LEADER, Role.HOME_CONTACT, Role.ADMIN}
    ),
    "obligations:note_compliance_export": ORG,
    "obligations:compliance": ORG,
    # reminders
    "postings:notifications": ANY,
    "postings:notification_read": ANY,
    "postings:notifications_read_all": ANY,
    # the notification centre (issue 18): each user's own
    "notifications:centre": ANY,
    "notifications:read": ANY,
    "notifications:read_all": ANY,
    "notifications:preferences": ANY,
}

# Excel import (issue 19): org staff within their jurisdiction, admins
URL_POLICY.update(
    {
        "imports:index": ORG,
        "imports:template": ORG,
        "imports:preview": ORG,
        "imports:commit": ORG,
        "imports:status": ORG,
        "imports:errors": ORG,
        # an imported account's one-time link to set its first password
        "imports:first_password": PUBLIC,
    }
)

# Exports (issue 20): the cadre list, a batch's summary, overdue obligations;
# large ones run in the background, their pages for whoever may export
URL_POLICY.update(
    {
        "cadres:export": ORG,
        "postings:batch_export": ORG,
        "obligations:overdue_export": ORG,
        "exports:list": ORG,
        "exports:status": ORG,
        "exports:download": ORG,
    }
)

# Statistics (issue 21): org staff within their jurisdiction, admins
URL_POLICY.update(
    {
        "analytics:structure": ORG,
        "analytics:structure_export": ORG,
        "analytics:effect": ORG,
        "analytics:effect_export": ORG,
        "analytics:records": ORG,
        "analytics:exchange": ORG,
        "analytics:exchange_export": ORG,
        "analytics:exchange_names": ORG,
        "analytics:exchange_create": ORG,
        "analytics:exchange_history": ORG,
    }
)

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
