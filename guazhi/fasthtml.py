"""HTML of the hot list pages built in Python, not by the template engine.

Django's template engine costs a few microseconds for every variable and tag;
a list page of 50 rows with ten cells each, a filter form of nine fields
rendered through crispy's templates and the status pills spent about 30 ms in
it on the bench (issue 3), four times the whole bare page. The hot parts are
therefore plain Python here, every value escaped on the way in:

- `esc`, `ymd`, `labels`, `url_for`: the pieces a row is made of;
- `join_rows`: the table body, with the empty-table row;
- `field`: one form field in the same markup as crispy's bootstrap5
  `as_crispy_field` (wrapper, label, widget, errors, help), for text, number,
  date, lookup and select widgets; any other widget renders as Django renders
  it. Registered as the `fast_field` filter (library `fastforms`).

Layout, headings and anything not repeated per row stay in the templates.
"""

from collections.abc import Callable, Iterable
from html import escape as _escape

from django import forms
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.template import Library
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


def esc(value) -> str:
    """Text for HTML: None is empty, a SafeString stays as it is."""
    if value is None:
        return ""
    if isinstance(value, SafeString):
        return value
    return _escape(str(value), quote=True)


def ymd(value) -> str:
    """A date as 2026-11-21 (the lists' `date:"Y-m-d"`); None is empty."""
    return value.isoformat()[:10] if value is not None else ""


def labels(choices) -> dict:
    """value -> escaped label, translated once per call (once per request)."""
    return {value: esc(label) for value, label in choices}


def url_for(viewname: str) -> Callable[..., str]:
    """A function pk -> reverse(viewname, args=[pk]), reversing only once."""
    marker = 2147480000
    head, _, tail = reverse(viewname, args=[marker]).rpartition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def join_rows(rows: Iterable[str], empty: str, colspan: int) -> SafeString:
    """The <tbody> content: the rows, or one row saying the table is empty."""
    html = "".join(rows)
    if not html:
        html = (
            f'<tr><td colspan="{colspan}" class="text-center '
            f'text-body-secondary py-4">{esc(empty)}</td></tr>'
        )
    return mark_safe(html)  # noqa: S308 - every value above went through esc()


def _attrs(attrs: dict) -> str:
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not False and value is not None:
            out.append(f' {name}="{esc(value)}"')
    return "".join(out)


def _widget(bf: BoundField, widget, attrs: dict) -> str:
    if type(widget) is forms.Select or (
        isinstance(widget, forms.Select)
        and not widget.allow_multiple_selected
        and widget.template_name == forms.Select.template_name
    ):
        ctx = widget.get_context(bf.html_name, bf.value(), attrs)["widget"]
        options = []
        for group, items, _index in ctx["optgroups"]:
            inner = "".join(
                f'<option value="{esc(o["value"])}"'
                f"{' selected' if o['selected'] else ''}>{esc(o['label'])}</option>"
                for o in items
            )
            options.append(
                f'<optgroup label="{esc(group)}">{inner}</optgroup>' if group else inner
            )
        return f'<select name="{esc(bf.html_name)}"{_attrs(ctx["attrs"])}>' + (
            "".join(options) + "</select>"
        )
    if isinstance(widget, Input) and not isinstance(
        widget, forms.CheckboxInput | forms.FileInput
    ):
        ctx = widget.get_context(bf.html_name, bf.value(), attrs)["widget"]
        value = "" if ctx["value"] is None else f' value="{esc(ctx["value"])}"'
        html = (
            f'<input type="{ctx["type"]}" name="{esc(bf.html_name)}"'
            f"{value}{_attrs(ctx['attrs'])}>"
        )
        if options_id := ctx.get("options_id"):  # cadres.lookups.LookupInput
            html += f'<datalist id="{esc(options_id)}"></datalist>'
        return html
    return str(bf.as_widget(attrs=attrs))


def field(bf: BoundField) -> SafeString:
    """One field as crispy's bootstrap5 `as_crispy_field` marks it up."""
    widget = bf.field.widget
    errors = bf.errors if bf.form.is_bound else []
    is_select = isinstance(widget, forms.Select)
    css = [widget.attrs.get("class", ""), type(widget).__name__.lower()]
    css.append("form-select" if is_select else "form-control")
    attrs = bf.build_widget_attrs({}, widget)
    auto_id = bf.auto_id
    if auto_id and "id" not in widget.attrs:
        attrs["id"] = auto_id
    if errors:
        css.append("is-invalid")
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{auto_id}_error"
    attrs["class"] = " ".join(c for c in css if c)
    required = bf.field.required
    label = ""
    if bf.label:
        star = '<span class="asteriskField">*</span>' if required else ""
        label = (
            f'<label for="{esc(attrs.get("id", ""))}" class="form-label'
            f'{" requiredField" if required else ""}">{esc(bf.label)}{star}</label>'
        )
    feedback = ""
    if errors:
        items = "".join(
            f'<p id="error_{i}_{auto_id}"><strong>{esc(e)}</strong></p>'
            for i, e in enumerate(errors, 1)
        )
        feedback = f'<div id="{auto_id}_error" class="invalid-feedback">{items}</div>'
    help_text = ""
    if bf.help_text:
        help_text = (
            f'<div id="{auto_id}_helptext" class="form-text">{esc(bf.help_text)}</div>'
        )
    return mark_safe(  # noqa: S308 - built from escaped parts
        f'<div id="div_{auto_id}" class="mb-3">{label}'
        f"{_widget(bf, widget, attrs)}{feedback}{help_text}</div>"
    )


register = Library()
register.filter("fast_field", field)
