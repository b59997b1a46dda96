"""Saving, changing, sharing and deleting saved views; the one place their rules live.

A view's query string is checked by its list's FilterSet exactly as the list checks a URL,
so a view that saves is a view that opens (an unknown filter, value or sort is a 422 naming
the parameter). Saved views are the user's own settings, not sales records: no field
history is kept (nothing in a forecast or an audit depends on them).
"""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict

from opportune.customfields.columns import chosen_keys
from opportune.customfields.services import fields_of
from opportune.errors import NotAllowed, RuleViolation, field_error
from opportune.identity import policy
from opportune.identity.models import User

from .menu import forget_views
from .models import DefaultView, SavedView
from .registry import LISTS
from .schemas import ViewChanges, ViewCreate

# What a view's query string may hold besides the list's filters.
VIEW_PARAMS = frozenset({"sort", "columns"})
NOT_YOURS = "Only the view's creator or an admin may change or delete it."


def check_query(user: User, kind: str, query: str) -> None:
    """Refuse a query string the list would refuse: the FilterSet's own messages, each
    under ``query`` and naming its parameter, plus unknown custom columns."""
    record_list = LISTS[kind]
    filterset = record_list.filterset
    params = QueryDict(query)
    try:
        filterset.bound(
            user, filterset._meta.model.objects.none(), params, also_allowed=VIEW_PARAMS
        )
    except RuleViolation as exc:
        messages = [f"{name}: {' '.join(found)}" for name, found in exc.errors.items()]
        raise RuleViolation(exc.detail, {"query": messages}) from exc
    keys = chosen_keys(params.getlist("columns"))
    if keys:
        known = (
            {field.key for field in fields_of(filterset.custom_kind)}
            if filterset.custom_kind
            else set()
        )
        unknown = [key for key in keys if key not in known]
        if unknown:
            message = f"columns: Unknown custom field column {', '.join(unknown)}."
            raise RuleViolation(f"Invalid list parameters. {message}", {"query": [message]})


def _check_team(actor: User, team_id: int | None) -> None:
    if team_id is not None and team_id not in {team.pk for team in policy.sharable_teams(actor)}:
        message = "You may share a view only with your team or a team you manage."
        raise NotAllowed(message, {"team_id": [message]})


def _check_name(actor: User, kind: str, name: str, view: SavedView | None) -> None:
    owner_id = view.owner_id if view is not None else actor.pk
    taken = SavedView.objects.filter(owner_id=owner_id, kind=kind, name=name)
    if view is not None:
        taken = taken.exclude(pk=view.pk)
    if taken.exists():
        raise field_error("name", f"A view of this list is already named “{name}”.")


@transaction.atomic
def save_view(actor: User, changes: ViewChanges, view: SavedView | None = None) -> SavedView:
    """Create a view (``changes`` is a ``ViewCreate``) or change one the actor may change."""
    if view is None:
        assert isinstance(changes, ViewCreate)
        view = SavedView(owner=actor, kind=changes.kind)
    elif not policy.may_change_view(actor, view):
        raise NotAllowed(NOT_YOURS)
    given = changes.model_dump(exclude_unset=True)
    given.pop("kind", None)
    if "name" in given:
        if given["name"] is None:
            raise field_error("name", "A view needs a name.")
        _check_name(actor, view.kind, given["name"], view)
    if given.get("query") is None:
        given.pop("query", None)
    else:
        check_query(actor, view.kind, given["query"])
    if given.get("page_size", 0) is None:
        given.pop("page_size")
    if "team_id" in given and given["team_id"] != view.team_id:
        _check_team(actor, given["team_id"])
    for name, value in given.items():
        setattr(view, name, value)
    view.save()
    forget_views(actor)
    return view


@transaction.atomic
def delete_view(actor: User, view: SavedView) -> None:
    if not policy.may_change_view(actor, view):
        raise NotAllowed(NOT_YOURS)
    view.delete()
    forget_views(actor)


@transaction.atomic
def set_default(actor: User, kind: str, view: SavedView | None) -> None:
    """The view the actor's list opens with (``None``: the list's own defaults). The caller
    found ``view`` among those the actor sees."""
    forget_views(actor)
    if view is None:
        DefaultView.objects.filter(user=actor, kind=kind).delete()
        return
    if view.kind != kind:
        raise field_error("view", "This view belongs to another list.")
    DefaultView.objects.update_or_create(user=actor, kind=kind, defaults={"view": view})
