"""Pick a unit, a cadre or a posting by typing, not from a <select> of thousands.

A lookup field is a text box. While the user types, htmx asks the lookup view
for at most SUGGESTIONS matches and fills the box's <datalist>; without
JavaScript the user types the name. The form resolves what was typed against
the field's queryset, the one that decides what the user may pick: a pk, a
suggestion ("name（unit）", "… #pk" when two read alike) or an exact name (a
posting's is its cadre's), and anything outside it is an invalid choice.

A multi lookup (LookupMultipleField) picks several: each pick becomes a chip
carrying its pk; its page may answer the box's suggestions itself, from the
form's own choices (`suggestions`).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Role, Unit

SUGGESTIONS = 20
_PK_SUFFIX = re.compile(r"#(\d+)\s*$")
_NAME_END = re.compile(r"（| · ")


def units_for(user):
    """Units a user may pick when entering data: their jurisdiction, or all."""
    if user.role == Role.ADMIN:
        return Unit.objects.all()
    return Unit.objects.subtree(user.unit)


def unit_label(unit: Unit) -> str:
    return f"{unit.name}（{unit.parent.name}）" if unit.parent_id else unit.name


@dataclass(frozen=True)
class Source:
    """What a lookup offers a user: the queryset, how it reads, how it is searched."""

    queryset: Callable  # user -> the choices, already scoped
    label: Callable[[Model], str]
    related: tuple[str, ...]  # select_related for the label
    order: tuple[str, ...]
    name: str = "name"  # the field a typed name is matched against

    def choices(self, user) -> QuerySet:
        return self.queryset(user).select_related(*self.related)

    def suggest(self, user, text: str) -> list[tuple[str, str]]:
        """(value, label) of the first matches; values are what the form accepts."""
        name = _name_part(text)
        if not name:
            return []
        rows = list(
            self.choices(user)
            .filter(**{f"{self.name}__icontains": name})
            .order_by(*self.order)[:SUGGESTIONS]
        )
        labels = [self.label(row) for row in rows]
        return [
            (f"{label} #{row.pk}" if labels.count(label) > 1 else label, label)
            for row, label in zip(rows, labels, strict=True)
        ]


SOURCES = {
    # any unit: receiving units (outward postings leave the jurisdiction)
    "units": Source(
        lambda user: Unit.objects.all(), unit_label, ("parent",), ("path",)
    ),
    "jurisdiction": Source(units_for, unit_label, ("parent",), ("path",)),
}


def register(name: str, source: Source) -> None:
    """Add a source from an app above cadres (postings adds cadres and
    postings, whose scope it decides, in its AppConfig.ready)."""
    if name in SOURCES:
        raise ValueError(f"lookup source {name!r} registered twice")
    SOURCES[name] = source


def _name_part(text: str) -> str:
    """ "林晓雯（财政局） #12" -> "林晓雯"; "林晓雯 · 甲一镇 …" -> "林晓雯"."""
    return _NAME_END.split(_PK_SUFFIX.sub("", text))[0].strip()


class LookupInput(forms.TextInput):
    """A text box with a <datalist> that htmx fills with suggestions."""

    def __init__(self, source: str = "", attrs=None):
        super().__init__(attrs)
        self.source = source

    class Media:
        js = ["vendor/htmx-2.0.11/htmx.min.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        options = f"{widget['attrs'].get('id') or 'id_' + name}-options"
        widget["attrs"].update(
            {
                "list": options,
                "autocomplete": "off",
                "hx-get": f"{reverse('cadres:lookup')}?source={self.source}"
                f"&field={name}",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{options}",
                "hx-sync": "this:replace",
            }
        )
        widget["options_id"] = options
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        box = self._render(self.template_name, context, renderer)
        options = context["widget"]["options_id"]
        return format_html('{}<datalist id="{}"></datalist>', box, options)

    def format_value(self, value):
        if isinstance(value, Model):
            return SOURCES[self.source].label(value) if self.source else str(value)
        return super().format_value(value)


def options_html(options: list[tuple[str, str]]) -> str:
    return format_html_join(
        "", '<option value="{}"></option>', ((v,) for v, _l in options)
    )


class LookupField(forms.ModelChoiceField):
    """A ModelChoiceField typed into a LookupInput; see the module docstring."""

    widget = LookupInput
    default_error_messages = {
        "ambiguous": _("有多个同名的选项，请从输入时出现的列表中选择。"),
    }

    def __init__(self, source: str, *, queryset=None, **kwargs):
        # The form sets the queryset for its user (the source's `choices`).
        super().__init__(queryset=queryset, **kwargs)
        self.source_name = source
        self.widget.source = source

    @property
    def source(self) -> Source:
        # Looked up when used: apps above cadres register theirs when ready.
        return SOURCES[self.source_name]

    def label_from_instance(self, obj):
        return self.source.label(obj)

    def prepare_value(self, value):
        """Initial pks show as their label; typed text (a number out of scope
        included) stays as typed."""
        if isinstance(value, Model):
            return value
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            found = (
                self.queryset.select_related(*self.source.related)
                .filter(pk=value)
                .first()
            )
            return found if found is not None else str(value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Model):
            value = value.pk
        text = str(value).strip()
        choices = self.queryset.select_related(*self.source.related)
        pk = text if text.isdigit() else None
        if match := _PK_SUFFIX.search(text):
            pk = match.group(1)
        if pk is not None:
            found = choices.filter(pk=pk).first()
            if found is None:
                raise self._invalid(text)
            return found
        same_name = list(choices.filter(**{self.source.name: _name_part(text)})[:50])
        exact = [row for row in same_name if self.source.label(row) == text]
        matches = exact or same_name
        if not matches:
            raise self._invalid(text)
        if len(matches) > 1:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        return matches[0]

    def _invalid(self, text: str) -> ValidationError:
        return ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": text},
        )

    def has_changed(self, initial, data):
        initial_pk = getattr(initial, "pk", initial)
        try:
            value = self.to_python(data)
        except ValidationError:
            return True
        return str(getattr(value, "pk", "") or "") != str(initial_pk or "")


_SEPARATORS = re.compile(r"[、，,；;\n]+")


class LookupMultipleInput(LookupInput):
    """Several picks: chips for those chosen, each a hidden input carrying its
    pk and a button that removes it, then the lookup box for the next one
    (static/js/lookup_multiple.js turns a picked suggestion into a chip).
    Without JavaScript the box takes names separated by 、.

    `suggest_url`: the page that answers for the box (`suggestions`), so that
    the suggestions come from the form's own choices; else cadres:lookup.
    """

    allow_multiple_selected = True
    chips_template = "cadres/_lookup_multiple.html"

    def __init__(self, source: str = "", attrs=None, suggest_url=""):
        super().__init__(source, attrs)
        self.suggest_url = suggest_url

    class Media:
        js = ["js/lookup_multiple.js"]

    def get_context(self, name, value, attrs):
        items = value if isinstance(value, list | tuple) else [value]
        chosen = [item for item in items if isinstance(item, Model)]
        typed = [str(item) for item in items if item and not isinstance(item, Model)]
        context = super().get_context(name, "、".join(typed), attrs)
        widget = context["widget"]
        if self.suggest_url:
            widget["attrs"]["hx-get"] = f"{self.suggest_url}?suggest={name}"
        label = SOURCES[self.source].label if self.source else str
        widget["chips"] = [(item.pk, label(item)) for item in chosen]
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        box = self._render(self.template_name, context, renderer)
        return render_to_string(self.chips_template, {**context, "box": box})

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty box and no chips is "none chosen"

    def use_required_attribute(self, initial):
        return False  # the box stays empty once chips are chosen


class LookupMultipleField(forms.ModelMultipleChoiceField):
    """Several choices typed into a LookupMultipleInput. Each value is a pk
    (a chip), a suggestion or a name, read as LookupField reads one; anything
    outside the queryset is refused, named as it was typed."""

    widget = LookupMultipleInput
    default_error_messages = {
        "invalid_choice": _("“%(value)s”不在可选范围内，请从输入时出现的列表中选择。"),
        "ambiguous": _("“%(value)s”有多个同名的选项，请从输入时出现的列表中选择。"),
    }

    def __init__(self, source: str, *, queryset=None, suggest_url="", **kwargs):
        super().__init__(queryset=queryset, **kwargs)
        self.source_name = source
        self.widget.source = source
        self.widget.suggest_url = suggest_url

    @property
    def source(self) -> Source:
        return SOURCES[self.source_name]

    def label_from_instance(self, obj):
        return self.source.label(obj)

    def _texts(self, value) -> list[str]:
        """The values one by one: a pk each, or names split at 、."""
        if value in self.empty_values:
            return []
        items = value if isinstance(value, list | tuple) else [value]
        texts = [str(getattr(item, "pk", item)) for item in items]
        return [part.strip() for t in texts for part in _SEPARATORS.split(t)]

    def _by_pk(self, texts: list[str]) -> dict[int, Model]:
        pks = [int(text) for text in texts if text.isdigit()]
        choices = self.queryset.select_related(*self.source.related)
        return choices.in_bulk(pks) if pks else {}

    def prepare_value(self, value):
        """Chosen pks in the queryset show as chips; the rest stays as typed."""
        texts = [text for text in self._texts(value) if text]
        found = self._by_pk(texts)
        return [found.get(int(t), f"#{t}") if t.isdigit() else t for t in texts]

    def clean(self, value):
        texts = [text for text in self._texts(value) if text]
        if not texts:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        found = self._by_pk(texts)
        # One typed name is read as a LookupField over the same choices reads it.
        one = LookupField(
            self.source_name, queryset=self.queryset, error_messages=self.error_messages
        )
        chosen: dict[int, Model] = {}
        errors = []
        for text in texts:
            code = "invalid_choice"
            try:
                row = found.get(int(text)) if text.isdigit() else one.clean(text)
            except ValidationError as error:
                row, code = None, error.error_list[0].code
            if row is None:
                shown = f"#{text}" if text.isdigit() else text
                errors.append(
                    ValidationError(
                        self.error_messages[code], code=code, params={"value": shown}
                    )
                )
            else:
                chosen.setdefault(row.pk, row)
        if errors:
            raise ValidationError(errors)
        return list(chosen.values())

    def has_changed(self, initial, data):
        initial_pks = {str(getattr(i, "pk", i)) for i in self._texts(initial) if i}
        return initial_pks != {t for t in self._texts(data) if t}

    def options_html(self, text: str) -> str:
        """The box's <option>s: the first matches among the field's own choices,
        each with the pk its chip carries."""
        name = _name_part(text)
        if not name:
            return ""
        source = self.source
        rows = list(
            self.queryset.select_related(*source.related)
            .filter(**{f"{source.name}__icontains": name})
            .order_by(*source.order)[:SUGGESTIONS]
        )
        labels = [source.label(row) for row in rows]
        return format_html_join(
            "",
            '<option value="{}" data-pk="{}"></option>',
            (
                (f"{label} #{row.pk}" if labels.count(label) > 1 else label, row.pk)
                for row, label in zip(rows, labels, strict=True)
            ),
        )


def suggestions(request, form) -> HttpResponse | None:
    """The answer when a multi lookup box asks its own page for suggestions
    (`?suggest=<field>&<field>=<typed>`): from the form's field, so scoped as
    the form's choices are. None for any other request."""
    name = request.GET.get("suggest", "")
    field = form.fields.get(name)
    if not isinstance(field, LookupMultipleField):
        return None
    return HttpResponse(field.options_html(request.GET.get(name, "")))
