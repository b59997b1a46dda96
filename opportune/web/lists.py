"""A web list page: the list's FilterSet (the one the API and the exports use) narrows what
the user sees, sorted and keyset-paged; invalid filters answer 422 and say which ones."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.http import urlencode

from opportune.customfields.columns import custom_columns
from opportune.errors import RuleViolation
from opportune.filtering import PAGING_PARAMS, ListFilterSet
from opportune.paging import KeysetPage

from .http import AuthedRequest
from .pagination import keyset_page

UI_PARAMS = PAGING_PARAMS | {"page", "columns"}


def list_context(
    request: AuthedRequest,
    filterset_class: type[ListFilterSet],
    visible: QuerySet[Any],
    *,
    defaults: dict[str, str] | None = None,
    shown: tuple[str, ...] = (),
    page_size: int = 50,
) -> tuple[dict[str, Any], int]:
    """(template context, HTTP status) of one page of the list.

    ``defaults`` are filter values the page opens with (e.g. open leads); ``list_query``
    spells them out for the export link, so what a user exports (or asks the API for with
    that query string) is what the page showed. Filters in
    the query string that the filter bar does not show (``shown``) ride along as hidden
    inputs, so changing a visible filter keeps them. ``columns=custom.<key>,...`` adds
    custom fields as columns (``custom_columns``: the chosen ones, ``column_choices``: all).
    """
    params: QueryDict = request.GET.copy()
    for name, value in (defaults or {}).items():
        params.setdefault(name, value)
    errors: dict[str, list[str]] = {}
    try:
        filterset = filterset_class.bound(request.user, visible, params, also_allowed=UI_PARAMS)
        sort, order = filterset_class.ordering(params.get("sort"))
        page = keyset_page(filterset.qs, order, params.get("cursor"), page_size)
    except RuleViolation as exc:
        errors = exc.errors
        filterset = filterset_class(params, visible, user=request.user)
        filterset.is_valid()  # the filter bar shows each field's error
        sort = str(params.get("sort", ""))
        page = KeysetPage(rows=[], next_cursor=None, previous_cursor=None)
    form = filterset.form
    for bound in form:  # the API's parameter descriptions, not the filter bar's
        bound.field.help_text = bound.help_text = ""
    # The instance's filters: the list's own and the custom fields' its query string names.
    filters = {name: str(params.get(name, "")) for name in filterset.filters}
    query = {name: value for name, value in filters.items() if value}
    if params.get("sort"):
        query["sort"] = str(params.get("sort"))
    context = {
        **custom_columns(filterset_class.custom_kind, params.getlist("columns")),
        "form": form,
        "page": page,
        "sort": sort,
        "filters": filters,
        "filter_errors": errors,
        "hidden_filters": [(n, v) for n, v in query.items() if n not in shown and n != "sort"],
        "list_query": urlencode(query),
    }
    return context, 422 if errors else 200
