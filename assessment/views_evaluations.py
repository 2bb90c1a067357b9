"""Views: host and organisation evaluations, and the 待评价 task list."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import columns, page_context, paginate, sorted_queryset

from . import evaluations
from .forms_evaluations import EvaluationForm
from .models import Evaluation, Round, Source

TASK_SORTS = {
    "round": "round__name",
    "period": "round__period_end",
    "cadre": "posting__cadre__name",
    "unit": "posting__receiving_unit__name",
}


def my_tasks(request: AuthenticatedHttpRequest):
    """Pending evaluations first, then the submitted ones for reference."""
    qs = evaluations.task_queryset(request.user)
    qs, sort = sorted_queryset(request, qs, TASK_SORTS, "round")
    page = paginate(request, qs.order_by("-pending", *qs.query.order_by))
    head = [
        (_("考核轮次"), "round"),
        (_("考核期"), "period"),
        (_("干部"), "cadre"),
        (_("接收单位"), "unit"),
        (_("挂任职务"), ""),
        (_("评价"), ""),
    ]
    return render(
        request,
        "assessment/my_tasks.html",
        {
            "rows": [(a, evaluations.tasks_of(request.user, a)) for a in page],
            "columns": columns(request, head, sort),
            "pending_count": qs.filter(pending=True).count(),
            **page_context(request, page),
        },
    )


def _assessment_for(request: AuthenticatedHttpRequest, pk: int, source: str):
    """The assessment, if the user scores `source` on it; else 404."""
    assessment = get_object_or_404(
        evaluations.evaluable(request.user).select_related(
            "round__template_version",
            "posting__cadre",
            "posting__sending_unit",
            "posting__receiving_unit",
        ),
        pk=pk,
    )
    if source not in evaluations.sources_for(request.user, assessment):
        raise Http404
    return assessment


@require_http_methods(["GET", "POST"])
def evaluate(request: AuthenticatedHttpRequest, pk: int, source: str):
    assessment = _assessment_for(request, pk, source)
    round_ = assessment.round
    evaluation = (
        Evaluation.objects.filter(assessment=assessment, source=source)
        .select_related("author")
        .first()
    )
    rules = evaluations.rules_of(assessment)
    form = EvaluationForm(request.POST or None, rules=rules, evaluation=evaluation)
    final = "submit" in request.POST

    def save(**data):
        return evaluations.evaluation_save(
            assessment=assessment,
            source=source,
            by=request.user,
            submit=final,
            **form.payload(data),
        )

    if saved := submit(request, form, save):
        if saved.status == Evaluation.Status.SUBMITTED:
            messages.success(request, _("评价已提交。"))
            return redirect("assessment:my_tasks")
        messages.success(request, _("草稿已保存。"))
        return redirect(request.path)
    submitted = evaluation is not None and evaluation.status == "submitted"
    return render(
        request,
        "assessment/evaluate.html",
        {
            "assessment": assessment,
            "round": round_,
            "posting": assessment.posting,
            "source_label": Source(source).label,
            "source_weight": rules.source_weights[source],
            "evaluation": evaluation,
            "editable": round_.status == Round.Status.COLLECTING and not submitted,
            "form": form,
            "rows": evaluations.evaluation_rows(rules, evaluation),
            "thresholds": rules.thresholds,
            "record": evaluations.period_record(
                assessment.posting_id, round_.period_start, round_.period_end
            ),
        },
    )
