"""What every list's FilterSet shares (each app's ``filters.py`` declares its own).

A list's FilterSet is the one definition of its filters and sorts: the UI list, the API list,
the CSV exports (UI, API, CLI) all hand it the query string, so the same query string gives
the same rows everywhere. It is strict: an unknown parameter or value is a ``RuleViolation``
naming the parameter (422 in the API and the UI, one line on stderr in the CLI), never a
silently empty or silently unfiltered list. Filters only narrow the visible queryset they
are given; visibility is decided before, by ``visible_to``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import partial, reduce
from operator import or_
from typing import Any, ClassVar, cast

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from pydantic import Field, JsonValue, create_model

from opportune.errors import RuleViolation
from opportune.identity import forms as identity_forms
from opportune.identity.auth import actor
from opportune.identity.models import User
from opportune.paging import ListParams, capped_count, keyset_page
from opportune.schemas import MAX_ID

# Parameters a list takes besides its filters (paging and sort); exports ignore paging.
PAGING_PARAMS = frozenset({"limit", "cursor", "sort"})
# ... and the API lists' ``count=true`` (a capped total beside the page).
API_LIST_PARAMS = PAGING_PARAMS | {"count"}
MAX_TERMS = 5
# The annotation a list sorted by a custom field is ordered and paged by.
CUSTOM_SORT = "custom_sort"


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, where Django's NullBooleanField would
    quietly read it as "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class IdField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -MAX_ID - 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(df.Filter):
    """A record id (an integer), e.g. ``owner_id``, ``account_id``."""

    field_class = IdField


class OwnerFilter(df.ChoiceFilter):
    """``owner=me|none|<user id>``, the UI's owner picker (among the users who may own this
    kind of record); ``owner_id`` is the API's."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Owner")
        kwargs.setdefault("empty_label", "Anyone")
        super().__init__(choices=partial(self.owner_choices, kind), **kwargs)

    @staticmethod
    def owner_choices(kind: str) -> list[tuple[str, str]]:
        owners = [(str(pk), label) for pk, label in identity_forms.owner_choices(kind)[1:]]
        return [("me", "Me"), ("none", "Unassigned"), *owners]

    def filter(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        if not value:
            return queryset
        if value == "me":
            return queryset.filter(owner=self.parent.user)
        if value == "none":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))


class SearchFilter(df.CharFilter):
    """``q``: every word (up to five) must match one of ``fields`` (case-insensitive)."""

    def __init__(self, fields: Iterable[str], **kwargs: Any) -> None:
        self.search_fields = list(fields)
        kwargs.setdefault("label", "Search")
        super().__init__(max_length=100, **kwargs)

    def filter(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        terms = value.split()[:MAX_TERMS]
        fields = self.search_fields
        kind = getattr(getattr(self, "parent", None), "custom_kind", "")
        if terms and kind:
            # The kind's custom text fields too (customfields/filters.py): one query.
            from opportune.customfields.filters import search_lookups

            fields = [*fields, *search_lookups(kind)]
        for term in terms:
            matches = (Q(**{f"{name}__icontains": term}) for name in fields)
            queryset = queryset.filter(reduce(or_, matches))
        return queryset


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CreatedOnOrAfter(df.DateFilter):
    """A day, inclusive, in the installation's time zone (the UI's date pickers)."""

    def filter(self, qs: QuerySet[Any], value: dt.date | None) -> QuerySet[Any]:
        return qs.filter(created_at__gte=day_start(value)) if value else qs


class CreatedOnOrBefore(df.DateFilter):
    def filter(self, qs: QuerySet[Any], value: dt.date | None) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(created_at__lt=day_start(value + dt.timedelta(days=1)))


MAX_LISTED_CHOICES = 20


def _messages(form: forms.Form) -> dict[str, list[str]]:
    """The filter form's errors in words; an unknown choice lists the values there are."""
    found: dict[str, list[str]] = {}
    for name, errors in form.errors.as_data().items():
        for error in errors:
            message = " ".join(error.messages)
            field = form.fields.get(name)
            if error.code == "invalid_choice" and isinstance(field, forms.ChoiceField):
                value = (error.params or {}).get("value", "")
                choices = cast("Iterable[tuple[Any, Any]]", field.choices)
                keys = [str(key) for key, _ in choices if key != ""]
                listed = ", ".join(keys[:MAX_LISTED_CHOICES])
                more = ", ..." if len(keys) > MAX_LISTED_CHOICES else ""
                message = f"Unknown value '{value}'; use one of: {listed}{more}."
            found.setdefault(name, []).append(message)
    return found


class ListFilterSet(df.FilterSet):
    """A list's filters (the declared ``df.Filter``s) and its sortable columns.

    ``sorts`` maps each sort key (``?sort=name``, ``?sort=-name``) to a column that is never
    null, so keyset paging can walk it; "created" walks the primary key.
    """

    sorts: ClassVar[dict[str, str]] = {"created": "id"}
    default_sort: ClassVar[str] = "-created"
    # The kind whose custom fields add filters (``custom.<key>``...), generated from their
    # definitions (opportune/customfields/filters.py); "" for none.
    custom_kind: ClassVar[str] = ""

    def __init__(
        self, data: Mapping[str, Any] | None, queryset: QuerySet[Any], *, user: User
    ) -> None:
        super().__init__(data, queryset)
        self.user = user
        custom = self.custom_filters(data or {})
        for filter_ in custom.values():
            filter_.model = queryset.model
            filter_.parent = self
        self.filters.update(custom)
        self.queryset: QuerySet[Any] = self.with_custom_sort(queryset, data or {})
        for filter_ in self.filters.values():
            choices = filter_.extra.get("choices")
            if callable(choices):
                # Read from the database once per request, not once for validation and
                # again for the filter bar.
                filter_.extra["choices"] = _once(choices)

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.base_filters)

    @classmethod
    def is_custom(cls, name: str) -> bool:
        return bool(cls.custom_kind) and name.startswith("custom.")

    @classmethod
    def custom_filters(cls, params: Mapping[str, Any]) -> dict[str, df.Filter]:
        """The custom field filters, read from their definitions only when a parameter
        names one (lists without them cost no query)."""
        from opportune.customfields.filters import custom_filters

        if not any(cls.is_custom(str(name)) for name in params):
            return {}
        return dict(custom_filters(cls.custom_kind))

    @classmethod
    def apply(
        cls,
        user: User,
        queryset: QuerySet[Any],
        params: Mapping[str, Any],
        *,
        also_allowed: Iterable[str] = PAGING_PARAMS,
    ) -> QuerySet[Any]:
        """``queryset`` narrowed by ``params``; raises ``RuleViolation`` naming every unknown
        parameter and every invalid value."""
        if not any(name in cls.base_filters or cls.is_custom(name) for name in params):
            # No filter asked for: only the parameters and the sort to check, no form to build.
            cls.check_parameters(params, also_allowed)
            return cls.with_custom_sort(queryset, params)
        filterset = cls.bound(user, queryset, params, also_allowed=also_allowed)
        narrowed: QuerySet[Any] = filterset.qs
        return narrowed

    @classmethod
    def bound(
        cls,
        user: User,
        queryset: QuerySet[Any],
        params: Mapping[str, Any],
        *,
        also_allowed: Iterable[str] = PAGING_PARAMS,
    ) -> ListFilterSet:
        """The validated FilterSet (its ``form`` renders the UI's filter bar)."""
        filterset = cls(_query_dict(params), queryset, user=user)
        custom = [name for name in filterset.filters if cls.is_custom(name)]
        errors = cls._parameter_errors(params, [*also_allowed, *custom])
        if not filterset.is_valid():
            errors.update(_messages(filterset.form))
        if errors:
            raise invalid(errors)
        return filterset

    @classmethod
    def check_parameters(cls, params: Mapping[str, Any], also_allowed: Iterable[str]) -> None:
        errors = cls._parameter_errors(params, also_allowed)
        if errors:
            raise invalid(errors)

    @classmethod
    def _parameter_errors(
        cls, params: Mapping[str, Any], also_allowed: Iterable[str]
    ) -> dict[str, list[str]]:
        """Unknown parameters and an unknown sort (the filters' values are the form's)."""
        allowed = set(cls.base_filters) | set(also_allowed)
        errors = {
            name: [f"Unknown parameter; use one of: {', '.join(sorted(allowed))}."]
            for name in params
            if name not in allowed
        }
        if "sort" in params and "sort" in allowed:
            try:
                cls.ordering(_single(params, "sort"))
            except RuleViolation as exc:
                errors.update(exc.errors)
        return errors

    @classmethod
    def ordering(cls, sort: str | None) -> tuple[str, str]:
        """(the sort key, its ORDER BY column); ``None`` or "" is the default sort."""
        sort = sort or cls.default_sort
        key = sort.removeprefix("-")
        if cls.is_custom(key) and cls._custom_sort_field(key) is not None:
            return sort, f"-{CUSTOM_SORT}" if sort.startswith("-") else CUSTOM_SORT
        if key not in cls.sorts:
            choices = ", ".join(f"{k}, -{k}" for k in cls.sorts)
            raise invalid({"sort": [f"Unknown sort '{sort}'; use one of: {choices}."]})
        column = cls.sorts[key]
        return sort, f"-{column}" if sort.startswith("-") else column

    @classmethod
    def _custom_sort_field(cls, key: str) -> Any:
        from opportune.customfields.models import CustomField

        found = CustomField.objects.filter(kind=cls.custom_kind, key=key.removeprefix("custom."))
        return found.prefetch_related("values").first()

    @classmethod
    def with_custom_sort(cls, queryset: QuerySet[Any], params: Mapping[str, Any]) -> QuerySet[Any]:
        """The queryset with the value a ``sort=custom.<key>`` walks (blank values first,
        as the smallest); unchanged for any other sort."""
        key = _single(params, "sort").removeprefix("-")
        if not cls.is_custom(key):
            return queryset
        from opportune.customfields.expressions import sortable_value

        field = cls._custom_sort_field(key)
        return (
            queryset if field is None else queryset.annotate(**{CUSTOM_SORT: sortable_value(field)})
        )

    @classmethod
    def sort_keys(cls) -> list[str]:
        return [f"{prefix}{key}" for key in cls.sorts for prefix in ("", "-")]


def _once(choices: Callable[[], list[tuple[str, str]]]) -> Callable[[], list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []

    def read() -> list[tuple[str, str]]:
        if not found:
            found.append(choices())
        return found[0]

    return read


def invalid(errors: dict[str, list[str]]) -> RuleViolation:
    """One error for all of them; its text names each parameter (the CLI prints only it)."""
    detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    return RuleViolation(f"Invalid list parameters. {detail}", errors)


def _single(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value)


def _query_dict(params: Mapping[str, Any]) -> QueryDict:
    if isinstance(params, QueryDict):
        return params
    data = QueryDict(mutable=True)
    for name, value in params.items():
        if value is not None:
            data[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return data


# --- the API's description of the same parameters (OpenAPI) ----------------------------------

_FORMATS: list[tuple[type[df.Filter], dict[str, Any]]] = [
    (df.IsoDateTimeFilter, {"format": "date-time"}),
    (df.DateFilter, {"format": "date"}),
    (BooleanFilter, {"enum": ["true", "false"]}),
    (IdFilter, {"pattern": r"^\d+$"}),
]


def _describe(filter_: df.Filter) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for kind, schema in _FORMATS:
        if isinstance(filter_, kind):
            extra.update(schema)
            break
    choices = filter_.extra.get("choices")
    if choices is not None and not callable(choices):
        extra["enum"] = [str(value) for value, _ in choices]
    return extra


def query_schema(filterset: type[ListFilterSet], name: str) -> type[ListParams]:
    """The Ninja ``Query`` schema of a list, derived from its FilterSet (no second list of
    names): every filter is a string parameter the FilterSet validates, so the API, the UI
    and the CLI answer the same messages; the schema documents types, formats and choices."""
    fields: dict[str, Any] = {
        "count": (
            bool,
            Field(
                False,
                description="true: the page also gives `count` (the rows matching, counted up "
                "to 10,000) and `count_capped` (true when there are more).",
            ),
        ),
        "sort": (
            str | None,
            Field(
                None,
                description=f"Sort key; '-' sorts descending. Default {filterset.default_sort}.",
                json_schema_extra={"enum": list[JsonValue](filterset.sort_keys())},
            ),
        ),
    }
    for filter_name, filter_ in filterset.base_filters.items():
        help_text = filter_.extra.get("help_text") or filter_.label or filter_name
        fields[filter_name] = (
            str | None,
            Field(None, description=str(help_text), json_schema_extra=_describe(filter_) or None),
        )
    model: type[ListParams] = create_model(name, __base__=ListParams, **fields)
    return model


def api_list(
    request: HttpRequest,
    filterset: type[ListFilterSet],
    visible: QuerySet[Any],
    params: ListParams,
) -> dict[str, Any]:
    """An API list page: ``visible`` narrowed by the query string, sorted, keyset-paged."""
    found = filterset.apply(actor(request), visible, request.GET, also_allowed=API_LIST_PARAMS)
    _, order = filterset.ordering(request.GET.get("sort"))
    page = keyset_page(found, params.limit, params.cursor, order)
    if getattr(params, "count", False):
        page["count"], page["count_capped"] = capped_count(found)
    return page
