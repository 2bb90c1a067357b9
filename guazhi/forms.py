from django.core.exceptions import ValidationError
from django.forms import BaseForm


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, field by field where it can."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
