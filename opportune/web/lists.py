"""A web list page: the list's FilterSet (the one the API and the exports use) narrows what
the user sees, sorted and keyset-paged; invalid filters answer 422 and say which ones.

Besides the filters, a list takes ``size`` (25/50/100/200 rows a page), ``columns`` (custom
fields shown), ``view`` (the saved view picked, opportune/savedviews) and ``at`` (the first
row's position, carried by the pager's links only to say "rows 51-100 of N": keyset paging
never counts rows to find a page). Its total is one capped count (``capped_count``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.http import urlencode

from opportune.customfields.columns import custom_columns
from opportune.errors import RuleViolation
from opportune.filtering import PAGING_PARAMS, ListFilterSet
from opportune.paging import KeysetPage, capped_count
from opportune.savedviews.menu import views_menu
from opportune.savedviews.registry import PAGE_SIZES

from .http import AuthedRequest
from .pagination import keyset_page

UI_PARAMS = PAGING_PARAMS | {"page", "columns", "size", "view", "at"}


def _page_size(params: QueryDict, default: int) -> tuple[int, dict[str, list[str]]]:
    given = str(params.get("size", "") or "")
    if not given:
        return default, {}
    if given.isdigit() and int(given) in PAGE_SIZES:
        return int(given), {}
    sizes = ", ".join(str(size) for size in PAGE_SIZES)
    return default, {"size": [f"Unknown page size '{given}'; use one of: {sizes}."]}


def _position(params: QueryDict) -> int:
    """The first row's position (display only: a forged one only mislabels the pager)."""
    given = str(params.get("at", "") or "")
    return int(given) if params.get("cursor") and given.isdigit() else 0


def _owners(form: Any) -> list[tuple[int, str]] | None:
    """The possible owners the filter bar's owner picker offers, read once: its choices are
    kept as read (the picker renders them) and handed to the bulk bar's owner picker."""
    field = form.fields.get("owner")
    if field is None or not hasattr(field, "choices"):
        return None
    choices = list(field.choices)
    field.choices = choices
    return [(int(value), str(label)) for value, label in choices if str(value).isdigit()]


def list_context(
    request: AuthedRequest,
    filterset_class: type[ListFilterSet],
    visible: QuerySet[Any],
    *,
    defaults: dict[str, str] | None = None,
    shown: tuple[str, ...] = (),
    page_size: int = 50,
    kind: str = "",
) -> tuple[dict[str, Any], int]:
    """(template context, HTTP status) of one page of the list.

    ``defaults`` are filter values the page opens with (e.g. open leads); ``list_query``
    spells them out for the export link, so what a user exports (or asks the API for with
    that query string) is what the page showed. Filters in
    the query string that the filter bar does not show (``shown``) ride along as hidden
    inputs, so changing a visible filter keeps them. ``columns=custom.<key>,...`` adds
    custom fields as columns (``custom_columns``: the chosen ones, ``column_choices``: all).
    ``kind`` names the list among saved views' lists (opportune/savedviews/registry.py): its
    "Views" menu.
    """
    params: QueryDict = request.GET.copy()
    for name, value in (defaults or {}).items():
        params.setdefault(name, value)
    size, errors = _page_size(params, page_size)
    count: tuple[int, bool] | None = None
    try:
        filterset = filterset_class.bound(request.user, visible, params, also_allowed=UI_PARAMS)
        sort, order = filterset_class.ordering(params.get("sort"))
        if errors:
            raise RuleViolation("Invalid list parameters.", errors)
        page = keyset_page(filterset.qs, order, params.get("cursor"), size)
        count = capped_count(filterset.qs)
    except RuleViolation as exc:
        errors = {**exc.errors, **errors}
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
    columns = [str(value) for value in params.getlist("columns") if value]
    first = _position(params) if page.previous_cursor else 0
    context = {
        **custom_columns(filterset_class.custom_kind, params.getlist("columns")),
        "form": form,
        "page": page,
        "sort": sort,
        "filters": filters,
        "filter_errors": errors,
        "hidden_filters": [(n, v) for n, v in query.items() if n not in shown and n != "sort"],
        "list_query": urlencode(query),
        "view_query": urlencode({**query, "columns": columns} if columns else query, doseq=True),
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "total": count[0] if count else None,
        "total_capped": count[1] if count else False,
        "first_row": first + 1,
        "last_row": first + len(page.rows),
        "next_at": first + len(page.rows),
        "previous_at": max(first - size, 0),
    }
    if kind:
        from opportune.savedviews.views import list_actions

        context.update(views_menu(request.user, kind, params.get("view")))
        context.update(list_actions(request, kind, _owners(form)))
    return context, 422 if errors else 200
