"""The lead importer: the high-volume target, written with one plain-row bulk insert per
batch (``bulk.RowInserter``). Validation by ``LeadCreate``, match keys, in-file and existing
duplicates, assignment rules: all set-based, a few queries per batch.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from opportune.capture import keys
from opportune.capture.services import RuleSet, assign_owners
from opportune.errors import DomainError
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import check_disqualification, settable_status, update_lead
from opportune.probes import AnyOf, index_probes

from .bulk import RowInserter
from .importers import BatchOutcome, Importer, domain_issue
from .mapping import Mapping
from .models import ImportJob, RowIssue, Target
from .reading import Row
from .rows import Issue, Prepared

TEXT_FIELDS = {
    f.attname
    for f in Lead._meta.concrete_fields
    if f.get_internal_type() in {"CharField", "TextField", "EmailField"}
}


NOT_LEAD_FIELDS = {"status", "owner_id"}


class NewLead:
    """A lead row on its way to a bulk insert: its values, its match keys, and attribute
    access for the assignment rules (cheaper than a model instance at a million rows)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.owner: Any = None
        self.status_id = 0
        self.email_key = keys.email_key(values.get("email") or "")
        self.phone_key = keys.phone_key(values.get("phone") or "", values.get("country") or "")
        self.name_key = keys.name_key(values.get("first_name") or "", values["last_name"])
        self.company_key = keys.company_key(values["company"])

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set above: the lead's own field values. (Not for
        # special names, which pickle looks up before ``values`` is restored.)
        if name.startswith("__"):
            raise AttributeError(name)
        return self.__dict__["values"].get(name)

    def row(self) -> dict[str, Any]:
        return {
            **self.values,
            "status_id": self.status_id,
            "owner_id": self.owner.pk if self.owner is not None else None,
            "email_key": self.email_key,
            "phone_key": self.phone_key,
            "name_key": self.name_key,
            "company_key": self.company_key,
        }


class LeadImporter(Importer):
    target = Target.LEADS
    schema = LeadCreate
    checks_without_database = True  # statuses and owners are loaded once, up front

    def __init__(self, job: ImportJob, mapping: Mapping) -> None:
        super().__init__(job, mapping)
        self.statuses: dict[str, LeadStatus] = {}
        for status in LeadStatus.objects.all():
            self.statuses.setdefault(status.label.casefold(), status)
            self.statuses[status.key] = status
        self.default_status = LeadStatus.objects.get(is_default=True)
        self.rules = RuleSet.load()
        self.inserter = RowInserter(Lead)

    def visible(self) -> Any:
        return Lead.objects.visible_to(self.actor)

    def resolve(self, values: dict[str, Any], row: Row) -> Issue | None:
        if "status" not in values:
            return None
        try:
            status = settable_status(
                self.statuses.get(values["status"].casefold()), values["status"]
            )
            check_disqualification(status, values.get("disqualify_reason") or "")
        except DomainError as refused:
            header = self.mapping.header_of("status")
            return Issue(row.line, header, refused.detail, values["status"])
        values["status"] = status.key
        return None

    def prepare(self, row: Row) -> Prepared | list[Issue]:
        prepared = super().prepare(row)
        if isinstance(prepared, list):
            return prepared
        data = prepared.data
        values = {name: getattr(data, name) for name in data.model_fields_set - NOT_LEAD_FIELDS}
        lead = NewLead(
            {k: ("" if v is None and k in TEXT_FIELDS else v) for k, v in values.items()}
        )
        status_key = getattr(prepared.data, "status", None)
        lead.status_id = (self.statuses[status_key] if status_key else self.default_status).pk
        lead.owner = prepared.owner
        prepared.extra["lead"] = lead
        return prepared

    def dedupe_key(self, prepared: Prepared) -> str:
        if self.job.match_key == "external_id":
            return prepared.external_id
        return str(prepared.extra["lead"].email_key)

    def match_value(self, prepared: Prepared) -> str:
        return self.dedupe_key(prepared)

    def find_existing(self, outcome: BatchOutcome) -> dict[str, int]:
        if self.job.match_key == "external_id":
            return self.existing_by_external_id(outcome)
        emails = {p.extra["lead"].email_key for p in outcome.creates} - {""}
        with index_probes():
            return dict(
                self.visible()
                .filter(AnyOf("email_key", emails))
                .order_by("pk")
                .values_list("email_key", "pk")
            )

    def match(self, outcome: BatchOutcome) -> None:
        super().match(outcome)
        self.flag_possible_duplicates(outcome)

    def flag_possible_duplicates(self, outcome: BatchOutcome) -> None:
        """New rows whose email or phone some visible lead already has: created, reported."""
        emails = {p.extra["lead"].email_key for p in outcome.creates} - {""}
        phones = {p.extra["lead"].phone_key for p in outcome.creates} - {""}
        if not emails and not phones:
            return
        by_email: dict[str, int] = {}
        by_phone: dict[str, int] = {}
        condition = Q(AnyOf("email_key", emails)) | Q(AnyOf("phone_key", phones))
        with index_probes():
            found = list(
                self.visible()
                .filter(condition)
                .order_by("pk")
                .values_list("pk", "email_key", "phone_key")
            )
        for pk, found_email, found_phone in found:  # the oldest lead is named
            by_email.setdefault(found_email, pk)
            by_phone.setdefault(found_phone, pk)
        for prepared in outcome.creates:
            lead = prepared.extra["lead"]
            same = ("email", by_email.get(lead.email_key)) if lead.email_key else ("", None)
            if same[1] is None and lead.phone_key:
                same = ("phone", by_phone.get(lead.phone_key))
            if same[1] is not None:
                outcome.counts.possible_duplicates += 1
                outcome.issues.append(
                    Issue(
                        prepared.line,
                        self.mapping.header_of(same[0]),
                        f"Same {same[0]} as lead #{same[1]}: created, check for a merge.",
                        str(getattr(lead, same[0]))[:255],
                        RowIssue.POSSIBLE_DUPLICATE,
                    )
                )

    def write(self, outcome: BatchOutcome) -> None:
        leads = [p.extra["lead"] for p in outcome.creates]
        assign_owners([lead for lead in leads if lead.owner is None], self.rules)
        for lead in leads:
            if lead.owner is None:
                lead.owner = self.actor
        ids = self.inserter.insert([lead.row() for lead in leads])
        outcome.counts.created += len(leads)
        self.record_external_ids(
            [(p.external_id, pk) for p, pk in zip(outcome.creates, ids, strict=True)]
        )
        for prepared, pk in outcome.updates:
            changes = prepared.data.model_dump(exclude_unset=True)
            try:
                update_lead(self.actor, Lead(pk=pk), LeadChanges.model_validate(changes))
            except DomainError as exc:
                outcome.reject(domain_issue(prepared, exc, self.mapping))
                continue
            outcome.counts.updated += 1
