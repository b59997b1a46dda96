"""The form pages' one pattern: validate a posted ``SchemaForm``, hand its schema to the
service, put the service's refusal at the form's fields, and answer the form again with a
422 while it has errors (a 200 when first shown). Edit pages of every app use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpResponse
from pydantic import BaseModel

from opportune.errors import DomainError

from .forms import SchemaForm
from .http import AuthedRequest, render_page

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")


def submitted(
    request: AuthedRequest, form: SchemaForm, schema: type[S], save: Callable[[S], T]
) -> T | None:
    """What ``save`` answered for a valid POST of ``form``; ``None`` when there was nothing
    to save (a GET) or the form or the service refused (the errors are then on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    assert isinstance(form.validated, schema)
    try:
        return save(form.validated)
    except DomainError as error:
        form.add_domain_error(error)
        return None


def form_page(
    request: AuthedRequest,
    template: str,
    form: SchemaForm,
    context: dict[str, Any],
    fragment: str | None = None,
) -> HttpResponse:
    """The form's page (or its ``fragment`` for htmx): a 422 while the form has errors."""
    status = 422 if form.errors else 200
    return render_page(request, template, {"form": form, **context}, fragment, status)
