"""考核 URLs. Each section's views live in their own module."""

from django.urls import path

from . import views_ballots, views_evaluations, views_results, views_rounds

app_name = "assessment"
urlpatterns = [
    # --- templates (考核方案) and rounds (考核轮次): views_rounds ---
    path("templates/", views_rounds.template_list, name="template_list"),
    path("templates/new/", views_rounds.template_create, name="template_create"),
    path("templates/<int:pk>/", views_rounds.template_detail, name="template_detail"),
    path(
        "templates/<int:pk>/revise/",
        views_rounds.template_revise,
        name="template_revise",
    ),
    path("rounds/", views_rounds.round_list, name="round_list"),
    path("rounds/new/", views_rounds.round_create, name="round_create"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views_rounds.round_edit, name="round_edit"),
    path(
        "rounds/<int:pk>/transition/<slug:action>/",
        views_rounds.round_transition,
        name="round_transition",
    ),
    # --- results, ranking, export, one assessment explained: views_results ---
    path("rounds/<int:pk>/results/", views_results.round_results, name="round_results"),
    path(
        "rounds/<int:pk>/results.xlsx",
        views_results.round_export,
        name="round_export",
    ),
    path("a/<int:pk>/", views_results.assessment_detail, name="assessment_detail"),
    # --- host and organisation evaluations: views_evaluations ---
    path("tasks/", views_evaluations.my_tasks, name="my_tasks"),
    path(
        "a/<int:pk>/evaluate/<slug:source>/",
        views_evaluations.evaluate,
        name="evaluate",
    ),
    # --- democratic evaluation (民主测评): views_ballots ---
    path(
        "a/<int:pk>/ballots/new/",
        views_ballots.session_open,
        name="ballot_session_open",
    ),
    path("a/<int:pk>/ballots/", views_ballots.session_detail, name="ballot_session"),
    path(
        "a/<int:pk>/ballots/close/",
        views_ballots.session_close,
        name="ballot_session_close",
    ),
    path("a/<int:pk>/ballots/slips/", views_ballots.slips, name="ballot_slips"),
    path(
        "rounds/<int:pk>/ballots/open/",
        views_ballots.round_sessions_open,
        name="round_ballots_open",
    ),
    path(
        "rounds/<int:pk>/ballots/slips/",
        views_ballots.round_slips,
        name="round_ballot_slips",
    ),
    # The code travels in the POST body only, never in the path or query.
    path("b/", views_ballots.ballot_entry, name="ballot_entry"),
]
