"""Users, teams, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SALES_MANAGER = "sales_manager", "Sales manager"
    SALES_REP = "sales_rep", "Sales rep"
    MARKETING = "marketing", "Marketing"
    READ_ONLY = "read_only", "Read only"


class Team(models.Model):
    """A sales team; teams form a tree, and a manager's view covers the team's whole subtree."""

    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        "identity.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from . import policy

        if self.manager is not None and not policy.may_lead_team(self.manager):
            raise ValidationError(
                {"manager": "A team's manager must be an active sales manager or an admin."}
            )


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    # The teams whose records the user sees, cached for one request by identity.visibility.
    _visible_team_ids: set[int]
    _visible_owner_ids: frozenset[int]  # and their members with the user (same request)

    class Meta:
        ordering = ["username"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.role == Role.ADMIN:  # the admin role configures Opportune in Django's admin
            self.is_staff = self.is_superuser = True
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class TokenScope(models.TextChoices):
    """What a token may do: ``read`` only reads (GET); ``write`` does what its user may;
    ``admin`` also manages other users' tokens (admins only)."""

    READ = "read", "Read"
    WRITE = "write", "Read and write"
    ADMIN = "admin", "Admin"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak leaks no credentials."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused from then on; empty: never expires."
    )
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.WRITE)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def has_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @classmethod
    def issue(
        cls,
        user: User,
        name: str = "",
        scope: str = TokenScope.WRITE,
        expires_at: datetime | None = None,
    ) -> tuple[ApiToken, str]:
        raw = "opp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=hash_token(raw),
            prefix=raw[:12],
            scope=scope,
            expires_at=expires_at,
        )
        return token, raw
