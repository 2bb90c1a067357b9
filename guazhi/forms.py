from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest

T = TypeVar("T")


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it can."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def submit(request: HttpRequest, form: BaseForm, action: Callable[..., T]) -> T | None:
    """On a valid POST run `action(**form.cleaned_data)` and return its result.

    A rule the service refuses lands on the form, which then re-renders with the
    user's input kept; nothing is written.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return action(**form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
