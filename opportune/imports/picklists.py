"""The import's picklists: every field whose target has a finite set of keys (lead status,
source, rating, opportunity stage, pipeline, type, forecast category, lost reason, and the
custom picklists other apps register), and how a file's value finds its key.

A value finds its key, compared folded (case, spaces, '_', '-' and '/' ignored), by:
the job's own value mapping, then the key itself, then its label, then the standard values
of Salesforce, HubSpot and Pipedrive (``vendors.py``). A value that finds none is unmapped:
the dry run lists it with its count and rows, to be mapped before the real run.

Picklists are loaded once per job (``load``), before checking helpers fork: checking a row
reads no database.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.text import slugify

from opportune.activities.models import ActivityKind
from opportune.leads.models import LeadSource, LeadStatus, Rating
from opportune.opportunities.models import ForecastCategory, LostReason, Pipeline, Stage

from .models import Target
from .vendors import DEFAULT_PIPELINE_NAMES, vendor_values

_FOLD = re.compile(r"[\s_\-/]+")


def fold(value: str) -> str:
    """'Open - Not Contacted', 'open_not_contacted' and 'OPEN NOT CONTACTED' are one value."""
    return _FOLD.sub(" ", value.casefold()).strip()


def new_key(label: str) -> str:
    """The key a new picklist value gets from its label: 'On hold' -> 'on_hold'."""
    return slugify(label).replace("-", "_")[:40]


@dataclass
class Picklist:
    """One field's keys and labels; ``adds`` creates a new value (None: the set is fixed)."""

    field: str
    choices: dict[str, str]  # key -> label
    adds: Callable[[str, str], None] | None = None  # (key, label), for statuses and reasons
    vendor: str = ""  # the field whose vendor values apply (default: this one)
    _index: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for key in self.choices:
            self._index[fold(key)] = key
        for key, label in self.choices.items():
            self._index.setdefault(fold(label), key)
        for value, key in vendor_values(self.vendor or self.field).items():
            if key in self.choices:
                self._index.setdefault(fold(value), key)

    @property
    def addable(self) -> bool:
        """Whether an import may add values (templates call ``adds`` if named)."""
        return self.adds is not None

    def alias(self, value: str, key: str) -> None:
        self._index.setdefault(fold(value), key)

    def find(self, value: str) -> str | None:
        return self._index.get(fold(value))

    def with_new(self, added: dict[str, str]) -> Picklist:
        """This picklist with values a mapping adds ({key: label}), before they exist."""
        extended = Picklist(self.field, {**self.choices, **added}, self.adds, self.vendor)
        for value, key in self._index.items():  # aliases too
            extended._index.setdefault(value, key)
        return extended

    def described(self) -> str:
        shown = list(self.choices)[:12]
        more = ", …" if len(self.choices) > len(shown) else ""
        return ", ".join(shown) + more


def _add_status(key: str, label: str) -> None:
    last = LeadStatus.objects.filter(is_closed=False).order_by("-order").first()
    LeadStatus.objects.get_or_create(
        key=key, defaults={"label": label, "order": (last.order + 1) if last else 0}
    )


def _add_lost_reason(key: str, label: str) -> None:
    last = LostReason.objects.order_by("-order").first()
    LostReason.objects.get_or_create(
        key=key, defaults={"label": label, "order": (last.order + 1) if last else 0}
    )


def _lead_statuses() -> dict[str, str]:
    return dict(LeadStatus.objects.values_list("key", "label"))


def _stages() -> dict[str, str]:
    """Every active stage of every pipeline, the default pipeline's first (a key is looked
    up again within the row's pipeline by the opportunity importer)."""
    choices: dict[str, str] = {}
    stages = Stage.objects.filter(is_active=True).order_by("-pipeline__is_default", "order")
    for key, label in stages.values_list("key", "label"):
        choices.setdefault(key, label)
    return choices


def _pipeline_picklist() -> Picklist:
    """The pipelines by key and name; the names other CRMs give their default pipeline
    ("Sales Pipeline", "default", "Pipeline") name the default one."""
    pipelines = Picklist("pipeline", dict(Pipeline.objects.values_list("key", "name")))
    default = Pipeline.objects.filter(is_default=True).values_list("key", flat=True).first()
    if default is not None:
        for name in DEFAULT_PIPELINE_NAMES:
            pipelines.alias(name, default)
    return pipelines


_SOURCES = {c.value: c.label for c in LeadSource}
_TYPES = {
    "new_business": "New business",
    "existing_upgrade": "Existing business: upgrade",
    "existing_replacement": "Existing business: replacement",
    "existing_downgrade": "Existing business: downgrade",
}
_DEAL_STATUS = {"open": "Open", "won": "Won", "lost": "Lost"}
# An activity's kinds; "other" (Salesforce's Type "Other") takes the row's subtype, else task.
_ACTIVITY_KINDS = {
    **{c.value: c.label for c in ActivityKind},
    "other": "Other (its subtype, else a task)",
}
_ACTIVITY_STATUS = {"open": "Open", "done": "Done"}

# Other apps' picklists (custom fields): a function of the target answering {field: Picklist}.
PROVIDERS: list[Callable[[Target], dict[str, Picklist]]] = []


def load(target: str) -> dict[str, Picklist]:
    """The picklists of the fields a file of ``target`` may fill, read now."""
    kind = Target(target)
    found: dict[str, Picklist] = {}
    if kind == Target.LEADS:
        statuses = _lead_statuses()
        found["status"] = Picklist("status", statuses, _add_status)
        found["lifecycle_stage"] = Picklist("lifecycle_stage", statuses)
        found["source"] = Picklist("source", _SOURCES)
        found["rating"] = Picklist("rating", {c.value: c.label for c in Rating})
    elif kind == Target.CONTACTS:
        found["lead_source"] = Picklist("lead_source", _SOURCES, vendor="source")
    elif kind == Target.OPPORTUNITIES:
        found["stage"] = Picklist("stage", _stages())
        found["pipeline"] = _pipeline_picklist()
        found["type"] = Picklist("type", _TYPES)
        found["forecast_category"] = Picklist(
            "forecast_category", {c.value: c.label for c in ForecastCategory}
        )
        reasons = dict(LostReason.objects.filter(is_active=True).values_list("key", "label"))
        found["lost_reason"] = Picklist("lost_reason", reasons, _add_lost_reason)
        found["lead_source"] = Picklist("lead_source", _SOURCES, vendor="source")
        found["deal_status"] = Picklist("deal_status", _DEAL_STATUS)
    elif kind == Target.ACTIVITIES:
        found["kind"] = Picklist("kind", _ACTIVITY_KINDS)
        found["subtype"] = Picklist("subtype", _ACTIVITY_KINDS)
        found["status"] = Picklist("status", _ACTIVITY_STATUS, vendor="activity_status")
        found["is_done"] = Picklist("is_done", {"true": "Done", "false": "To do"})
    for provider in PROVIDERS:
        found.update(provider(kind))
    return found
