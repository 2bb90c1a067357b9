"""The dossier's 考核结果 entries: assessment hands its kind down to the
dossier through `records.kinds.register` (see AssessmentConfig.ready)."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessment.models import Assessment, Round
from cadres.policy import role_may_use
from records.kinds import Kind


def _assessments(posting_ids: list[int], user) -> QuerySet:
    """考核结果: the assessments `user` may see (for org staff: their round
    too) of the postings whose round has closed (their results are stored),
    each with `ranked` (how many were ranked in the round). The postings are
    the dossier's, already scoped (Kind.records): only the round's part of
    Assessment.visible_to is left to test, as for an assessment's
    obligations; testing the postings' scope again cost 2 ms a dossier."""
    ranked = (
        Assessment.objects.filter(round=OuterRef("round_id"), rank__isnull=False)
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Assessment.objects.in_round_scope(user)
        .filter(posting_id__in=posting_ids, round__status=Round.Status.CLOSED)
        .select_related("round__unit")
        .defer("detail")
        .annotate(ranked=Subquery(ranked, output_field=IntegerField()))
    )


def _finish_assessments(rows, user) -> None:
    """Each assessment gets `author` (the round's unit) and `created_at` (the
    close) for the timeline, and `detail_url` when `user` may open the
    explanation (whoever may open it sees the round: `_assessments`)."""
    may_open = role_may_use(user.role, "assessment:assessment_detail")
    for a in rows:
        a.author, a.created_at = a.round.unit, a.round.closed_at
        a.detail_url = (
            reverse("assessment:assessment_detail", args=[a.pk]) if may_open else ""
        )


def _assessment_title(a) -> str:
    text = _("%(round)s（%(kind)s）：%(grade)s") % {
        "round": a.round.name,
        "kind": a.round.get_kind_display(),
        "grade": a.get_grade_display() or _("未评定"),
    }
    if a.score is not None:
        text += _("，%(score)s分") % {"score": a.score}
    if a.rank:
        text += _("，第%(rank)s名/共%(n)s人") % {"rank": a.rank, "n": a.ranked}
    return text


ASSESSMENT_KIND = Kind(
    "assessment",
    Assessment,
    date=lambda r: r.round.period_end,
    title=_assessment_title,
    fields=("score", "raw_grade", "grade", "grade_reason"),
    name=_("考核结果"),
    queryset=_assessments,
    finish=_finish_assessments,
)
