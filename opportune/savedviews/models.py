"""A saved view of a record list: the query string it opens with (filters, sort, columns),
its page size, and who sees it (its creator, or a team's subtree it is shared with)."""

from __future__ import annotations

from typing import Any, Self

from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from opportune.identity.models import Team, User

from .registry import DEFAULT_PAGE_SIZE, LISTS, PAGE_SIZES


class ViewQuerySet(models.QuerySet["SavedView"]):
    def visible_to(self, user: User) -> Self:
        from opportune.identity import policy

        return self.filter(policy.shared_views_q(user))


class SavedView(models.Model):
    kind = models.CharField(max_length=20, choices=[(k, v.label) for k, v in LISTS.items()])
    name = models.CharField(max_length=80)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    # The list's query string as its page takes it (``status=open&sort=-created``); never a
    # cursor or a page size (those are the page's, not the view's).
    query = models.CharField(max_length=2000, blank=True)
    page_size = models.PositiveSmallIntegerField(default=DEFAULT_PAGE_SIZE)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="saved_views"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "name"], name="savedview_name_unique_per_owner_list"
            ),
            models.CheckConstraint(
                condition=Q(page_size__in=PAGE_SIZES), name="savedview_page_size_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def url(self) -> str:
        """The list page as the view shows it (``view`` marks it as the one picked)."""
        params: dict[str, Any] = dict(QueryDict(self.query).lists())
        params.update(size=str(self.page_size), view=str(self.pk))
        return f"{reverse(LISTS[self.kind].url_name)}?{urlencode(params, doseq=True)}"


class DefaultView(models.Model):
    """The view a user's list opens with when its URL asks for nothing (one per list)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="default_views")
    kind = models.CharField(max_length=20, choices=[(k, v.label) for k, v in LISTS.items()])
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="defaultview_one_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"
