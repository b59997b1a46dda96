"""The "Views" menu above a record list (read by opportune/web/lists.py), and the redirect
to a user's default view when a list's URL asks for nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect

from opportune.identity import policy
from opportune.identity.models import User

from .models import DefaultView, SavedView


def views_menu(user: User, kind: str, picked: Any) -> dict[str, Any]:
    """The views the user may pick on this list, the one picked (``?view=``) if they may
    see it, whether they may change it, and the teams they may share with."""
    defaults = DefaultView.objects.filter(user=user, kind=kind, view=OuterRef("pk"))
    views = list(
        SavedView.objects.visible_to(user)
        .filter(kind=kind)
        .select_related("team")
        .annotate(is_default=Exists(defaults))
    )
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
    found = (
        DefaultView.objects.filter(
            user=user, kind=kind, view__in=SavedView.objects.visible_to(user)
        )
        .select_related("view")
        .first()
    )
    return HttpResponseRedirect(found.view.url()) if found else None
