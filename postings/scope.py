"""Which cadres a user sees or manages. A cadre's scope follows the cadre's
postings, so it is decided here, above `cadres` (apps point one way): views
and services ask these functions, never a method on the cadre model."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from cadres.models import Cadre, Role, Unit

from .models import Posting


def cadres_in_jurisdiction(unit: Unit, cadres: QuerySet | None = None) -> QuerySet:
    """The cadres the org staff of `unit` manage: the members of its subtree,
    and those with a posting sending or receiving in it. What a batch of
    `unit` may nominate, whoever adds the nomination."""
    cadres = Cadre.objects.all() if cadres is None else cadres
    posted = Posting.objects.filter(Posting.in_subtree_q(unit), cadre=OuterRef("pk"))
    units = Unit.objects.subtree(unit).values("pk")
    return cadres.filter(Q(unit__in=units) | Exists(posted))


def cadres_visible_to(user, cadres: QuerySet | None = None) -> QuerySet:
    """Cadres with a posting the user may see, plus the members of their unit(s).

    Postings are reached through `Posting.scope_q`, so its rules (a host
    leader sees nothing of a posting that is only proposed) hold here too.
    """
    cadres = Cadre.objects.all() if cadres is None else cadres
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or role is None:
        return cadres.none()
    if role == Role.ADMIN:
        return cadres
    if role == Role.CADRE:
        return cadres.filter(pk=user.cadre_id)
    if role == Role.ORG_STAFF:
        return cadres_in_jurisdiction(user.unit, cadres)
    in_scope = Posting.objects.filter(Posting.scope_q(user), cadre=OuterRef("pk"))
    if role == Role.HOST_LEADER:
        return cadres.filter(Exists(in_scope))
    if role == Role.HOME_CONTACT:
        return cadres.filter(unit_id=user.unit_id)
    return cadres.none()
