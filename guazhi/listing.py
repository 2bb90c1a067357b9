"""List-page helpers shared by every table: sorting, pagination, query strings."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class Column:
    label: str
    sort_key: str = ""  # key in the view's sort map; blank = not sortable
    url: str = ""
    active: str = ""  # "asc" / "desc" when this column sorts the table


def get_param(request: HttpRequest, name: str, field: forms.Field) -> Any:
    """?<name>= as `field` cleans it; None when it is missing or malformed. A
    filter a page reads by itself (outside a filter form) goes through here,
    so that a value it cannot read is no filter rather than a 500."""
    try:
        return field.clean(request.GET.get(name, ""))
    except ValidationError:
        return None


def sorted_queryset(request: HttpRequest, qs, sorts: dict[str, str], default: str):
    """Order by the whitelisted ?sort=key or ?sort=-key; pk breaks ties."""
    raw = request.GET.get("sort", default)
    key = raw.lstrip("-")
    if key not in sorts:
        raw, key = default, default.lstrip("-")
    field = sorts[key]
    desc = raw.startswith("-")
    return qs.order_by(f"-{field}" if desc else field, "-pk" if desc else "pk"), raw


def columns(
    request: HttpRequest, spec: list[tuple[str, str]], current: str
) -> list[Column]:
    out = []
    for label, key in spec:
        if not key:
            out.append(Column(label))
            continue
        active = ""
        if current.lstrip("-") == key:
            active = "desc" if current.startswith("-") else "asc"
        next_sort = key if active == "desc" else (f"-{key}" if active else key)
        out.append(
            Column(
                label,
                key,
                "?" + querystring(request, sort=next_sort, page=None),
                active,
            )
        )
    return out


def querystring(request: HttpRequest, **changes) -> str:
    params = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params.urlencode()


def status_tabs(
    request: HttpRequest, choices, counts: dict, selected: str = ""
) -> dict:
    """The status pills above a list (_status_tabs.html): each status with its
    count under the other filters and a link to it; the total is the selected
    status's count, or all of them, so it doubles as the paginator's count."""
    total = counts.get(selected, 0) if selected else sum(counts.values())
    return {
        "total": total,
        "status_counts": [
            (
                value,
                label,
                counts.get(value, 0),
                querystring(request, status=value, page=None),
            )
            for value, label in choices
        ],
    }


def paginate(
    request: HttpRequest,
    qs,
    per_page: int | None = None,
    *,
    count: int | None = None,
    param: str = "page",
) -> Page:
    """The page that ?<param>= asks for; `count`, when the view has counted the
    rows already, spares the paginator its own COUNT query."""
    paginator = Paginator(qs, per_page or settings.PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    return paginator.get_page(request.GET.get(param))


def page_context(request: HttpRequest, page: Page, param: str = "page") -> dict:
    """What _pagination.html needs: the page, its parameter and a query string
    without it (a page with several tables pages each by its own parameter)."""
    return {
        "page_obj": page,
        "page_param": param,
        "page_query": querystring(request, **{param: None}),
    }
