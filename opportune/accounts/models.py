"""Accounts (companies) and contacts (people at them)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models

from opportune.audit.models import BinManager, Deletable, LiveManager
from opportune.identity.visibility import VisibleQuerySet

_LEGAL_SUFFIXES = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|llp|plc|gmbh|ag|sa|sas|sarl|"
    r"bv|nv|oy|ab|as|spa|srl|pty|kk)\b\.?"
)


def normalize_company(name: str) -> str:
    """'ACME, Inc.' and 'Acme Inc' both give 'acme': the key duplicate accounts share."""
    lowered = _LEGAL_SUFFIXES.sub(" ", name.casefold().replace("&", " and "))
    return " ".join(re.sub(r"[^\w]+", " ", lowered).split())


def website_domain(website: str) -> str:
    """'https://www.Acme.com/about' gives 'acme.com'."""
    website = website.strip().casefold()
    if not website:
        return ""
    try:
        host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    except ValueError:  # "[erased]": brackets around what is no IPv6 address, a bad port...
        return ""
    return host.removeprefix("www.")


class Account(Deletable):
    name = models.CharField(max_length=255)
    website = models.CharField(max_length=255, blank=True)
    industry = models.CharField(max_length=80, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    billing_street = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=80, blank=True)
    billing_state = models.CharField(max_length=80, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=80, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subsidiaries"
    )
    # Kept in step by save(), indexed: duplicate checks are lookups, never scans.
    normalized_name = models.CharField(max_length=255, db_index=True, editable=False)
    domain = models.CharField(max_length=255, db_index=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveManager.from_queryset(VisibleQuerySet)()
    with_deleted = BinManager.from_queryset(VisibleQuerySet)()

    # Custom field values by key (opportune/customfields): {"key": value}.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-id"], name="account_owner_recent")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalize_company(self.name)
        self.domain = website_domain(self.website)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "normalized_name", "domain"}
        super().save(*args, **kwargs)


class Contact(Deletable):
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    title = models.CharField(max_length=128, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    mailing_street = models.CharField(max_length=255, blank=True)
    mailing_city = models.CharField(max_length=80, blank=True)
    mailing_state = models.CharField(max_length=80, blank=True)
    mailing_postal_code = models.CharField(max_length=20, blank=True)
    mailing_country = models.CharField(max_length=80, blank=True)
    lead_source = models.CharField(max_length=30, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    do_not_call = models.BooleanField(default=False)
    email_opt_out = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The phone in E.164, kept by save(): a new lead is matched against contacts by it.
    phone_key = models.CharField(max_length=20, blank=True, db_index=True, editable=False)

    objects = LiveManager.from_queryset(VisibleQuerySet)()
    with_deleted = BinManager.from_queryset(VisibleQuerySet)()

    # Custom field values by key (opportune/customfields): {"key": value}.
    custom = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-id"], name="contact_owner_recent")]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from opportune.capture.keys import phone_key  # keys imports this module

        self.email = self.email.strip().lower()  # duplicate checks compare emails exactly
        self.phone_key = phone_key(self.phone, self.mailing_country)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"phone", "mailing_country"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "phone_key"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
