"""Domain errors raised by services; every entry point (API, UI, CLI, import) maps them.

The API turns them into RFC 9457 problem documents, the UI into form errors, the importer
into row-level reports. Field errors are keyed by the field name the caller used.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    status = 422
    title = "The request breaks a rule"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class RuleViolation(DomainError):
    """The input is well-formed but a business rule refuses it (HTTP 422)."""


class Conflict(DomainError):
    """The record's state forbids the change, e.g. it was already converted (HTTP 409)."""

    status = 409
    title = "Conflict with the record's current state"


class ConfigurationMissing(DomainError):
    """A record the installation's configuration must hold is missing (no default pipeline,
    no converted status): an admin's to fix, never "not found" to the user. A 409: the
    request conflicts with the installation's current state, which a retry will not change
    but an admin can."""

    status = 409
    title = "Opportune's configuration is incomplete"

    @classmethod
    def unless(cls, found: T | None, missing: str) -> T:
        """``found``, the configured record, or this error saying what an admin must set."""
        if found is None:
            raise cls(missing)
        return found


class NotAllowed(DomainError):
    """The user may see the record but their role may not do this (HTTP 403)."""

    status = 403
    title = "Not allowed"


def field_error(field: str, message: str) -> RuleViolation:
    return RuleViolation(message, {field: [message]})
