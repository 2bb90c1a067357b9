"""List-page helpers shared by every table: sorting, pagination, query strings."""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class Column:
    label: str
    sort_key: str = ""  # key in the view's sort map; blank = not sortable
    url: str = ""
    active: str = ""  # "asc" / "desc" when this column sorts the table


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


def paginate(request: HttpRequest, qs, per_page: int | None = None) -> Page:
    paginator = Paginator(qs, per_page or settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def page_context(request: HttpRequest, page: Page) -> dict:
    """What _pagination.html needs: the page and a query string without `page`."""
    return {"page_obj": page, "page_query": querystring(request, page=None)}
