"""References between imported records: an account's parent named by its name or by the id
it had in the other system (Salesforce's ParentId), resolved once the batch's accounts are
written, so a parent earlier in the file, in the same batch or in an earlier run is found."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from opportune.accounts.models import Account, normalize_company
from opportune.accounts.schemas import AccountChanges
from opportune.accounts.services import save_account
from opportune.errors import DomainError

from .mapping import Mapping
from .models import ExternalId, Target
from .rows import Issue, Prepared


def account_by_reference(actor: Any, reference: str) -> int | None:
    """A visible account's id from its external id (first) or its name."""
    visible = Account.objects.visible_to(actor)
    imported = ExternalId.objects.filter(target=Target.ACCOUNTS, external_id=reference)
    found = visible.filter(pk__in=imported.values("record_id")).values_list("pk", flat=True)
    by_name = visible.filter(normalized_name=normalize_company(reference))
    return found.first() or by_name.order_by("pk").values_list("pk", flat=True).first()


class ParentLinks:
    """The 'parent' cell of each checked account row, set on the written account."""

    def __init__(self, actor: Any, mapping: Mapping) -> None:
        self.actor = actor
        self.mapping = mapping
        self.by_line: dict[int, str] = {}

    def take(self, values: dict[str, Any], line: int) -> None:
        reference = str(values.pop("parent", "") or "").strip()
        if reference:
            self.by_line[line] = reference

    def link(self, written: list[tuple[Prepared, int]]) -> list[Issue]:
        """Set each written account's parent (through the service: history recorded); a
        parent that cannot be found or set is reported, the account kept."""
        issues = []
        for prepared, pk in written:
            reference = self.by_line.pop(prepared.line, "")
            if not reference:
                continue
            parent = account_by_reference(self.actor, reference)
            header = self.mapping.header_of("parent")
            if parent is None:
                reason = f"No account '{reference}' to be the parent: imported without one."
                issues.append(Issue(prepared.line, header, reason, reference[:255]))
                continue
            try:
                with transaction.atomic():
                    account = Account.objects.get(pk=pk)
                    save_account(self.actor, AccountChanges(parent_id=parent), account)
            except DomainError as exc:
                issues.append(Issue(prepared.line, header, exc.detail, reference[:255]))
        return issues
