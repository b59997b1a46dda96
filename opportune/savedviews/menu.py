"""The "Views" menu above a record list (read by opportune/web/lists.py), and the redirect
to a user's default view when a list's URL asks for nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect

from opportune.identity import policy
from opportune.identity.models import User

from .models import DefaultView, SavedView


def _views(user: User, kind: str) -> list[SavedView]:
    """The views of the list the user may pick, each knowing whether it is their default:
    one query, read once per request (kept on the request's user) by both the default-view
    redirect and the menu."""
    memo: dict[str, list[SavedView]] | None = getattr(user, "_saved_views", None)
    if memo is None:
        memo = {}
        user._saved_views = memo  # type: ignore[attr-defined]
    if kind not in memo:
        defaults = DefaultView.objects.filter(user=user, kind=kind, view=OuterRef("pk"))
        memo[kind] = list(
            SavedView.objects.visible_to(user)
            .filter(kind=kind)
            .select_related("team")
            .annotate(is_default=Exists(defaults))
        )
    return memo[kind]


def views_menu(user: User, kind: str, picked: Any) -> dict[str, Any]:
    """The views the user may pick on this list, the one picked (``?view=``) if they may
    see it, whether they may change it, and the teams they may share with."""
    views = _views(user, kind)
    current = next((view for view in views if str(view.pk) == str(picked or "")), None)
    default_id = next((view.pk for view in views if getattr(view, "is_default", False)), None)
    return {
        "list_kind": kind,
        "saved_views": views,
        "current_view": current,
        "may_change_view": current is not None and policy.may_change_view(user, current),
        "default_view_id": default_id,
        "share_teams": policy.sharable_teams(user),
    }


def default_view_redirect(user: User, kind: str, query: Any) -> HttpResponseRedirect | None:
    """To the user's default view of the list when the URL asks for nothing at all (any
    parameter, even an empty ``?view=``, shows the list as asked)."""
    if query:
        return None
    found = next((view for view in _views(user, kind) if getattr(view, "is_default", False)), None)
    return HttpResponseRedirect(found.url()) if found else None


def forget_views(user: User) -> None:
    """Drop the views read for this user (their views or default just changed)."""
    user.__dict__.pop("_saved_views", None)
