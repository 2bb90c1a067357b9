"""guazhi.http.pk_urls: a page's row URLs reversed once, each the same as
reverse() gives."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from guazhi.http import pk_urls

VIEWS = [
    "cadres:detail",
    "postings:detail",
    "postings:nomination_score",
    "postings:nomination_decide",
    "assessment:assessment_detail",
    "cadres:note_edit",
]


@pytest.mark.parametrize("viewname", VIEWS)
@pytest.mark.parametrize("pk", [1, 9, 10, 918273645, 2**40])
def test_each_url_is_what_reverse_gives(viewname, pk):
    assert pk_urls(viewname)(pk) == reverse(viewname, args=[pk])


def test_the_script_prefix_of_the_request_is_kept():
    set_script_prefix("/guazhi/")
    try:
        url = pk_urls("cadres:detail")(7)
    finally:
        set_script_prefix("/")
    assert url == "/guazhi" + reverse("cadres:detail", args=[7])


def test_only_integers_go_in():
    url = pk_urls("cadres:detail")
    with pytest.raises(ValueError):
        url("1/../../admin")


def test_a_view_without_one_integer_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        pk_urls("cadres:list")
