"""Target 2: a lead's chance of converting, learned from the installation's own leads.

Labels: converted leads are positives, leads closed without conversion (unqualified)
negatives; open leads are scored, never trained on. A label became known at the lead's
outcome: its conversion, or its last change into a closed status.

Features (``FEATURES`` plus one per custom field): the lead's built-in fields that say
something at arrival (source, industry, country, campaign and UTM tags, size, opt-outs),
derived ones (email domain kind, title seniority, completeness), activities logged before
the outcome, and every custom field (numbers, checkboxes, picklists; dates as age in days
at creation). Never used: status, rating, score, the qualification (BANT) fields,
conversion fields, free text and names.

No leakage: a training lead's values are those it had *before* its outcome. Every field
whose history (opportune/audit) shows a change at or after the outcome moment, including
changes made in the same write as the outcome, is taken back to the old value of its
first such change.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.customfields.models import CustomField, FieldType, Kind
from opportune.customfields.services import fields_of
from opportune.errors import NotAllowed, RuleViolation
from opportune.identity import policy
from opportune.leads.models import Lead, LeadSource, LeadStatus

from . import core, points, store
from .core import Feature, Value
from .models import ScoringModel, Target

# Below this much history the learned model is not trusted and the points model scores
# (docs/scoring.md "Little history"): with 40 conversions a 4-fold time split tests on about
# 10 positives per fold, the least for a fold AUC that is not mostly noise.
MIN_LEADS = 200
MIN_CONVERSIONS = 40
MIN_POINTS_LEADS = 20  # fewer outcomes suggest no points worth having

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.co.in",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "qq.com",
        "163.com",
        "126.com",
        "rediffmail.com",
        "libero.it",
        "orange.fr",
        "free.fr",
        "t-online.de",
        "btinternet.com",
        "comcast.net",
        "verizon.net",
        "fastmail.com",
        "tutanota.com",
    }
)

SENIORITY = (
    ("executive", re.compile(r"\b(chief|ceo|cfo|cto|coo|cio|cmo|founder|owner|president)\b")),
    ("director", re.compile(r"\b(vp|svp|evp|vice president|head|director|partner)\b")),
    ("manager", re.compile(r"\b(manager|lead|supervisor)\b")),
)

CATEGORIES = ("source", "industry", "country", "campaign", "utm_source", "utm_medium")
NUMBERS = ("annual_revenue", "employees")  # log10(1 + value)
FLAGS = ("do_not_call", "email_opt_out")
COMPLETENESS = ("title", "email", "phone", "website", "industry", "country", "city")
DERIVED = ("email_kind", "seniority", "completeness", "activities")
# What history may revert: the built-in fields read above.
BUILT_IN = (*CATEGORIES, *NUMBERS, *FLAGS, *COMPLETENESS, "email")

FEATURES: list[Feature] = [
    *(Feature(name, "category") for name in CATEGORIES),
    *(Feature(name) for name in NUMBERS),
    *(Feature(name) for name in FLAGS),
    Feature("email_kind", "category"),
    Feature("seniority", "category"),
    Feature("completeness"),
    Feature("activities"),
]
CUSTOM_NUMBERS = frozenset({FieldType.NUMBER, FieldType.CURRENCY, FieldType.PERCENT})


def email_kind(email: str) -> str | None:
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return "free mail" if domain in FREE_MAIL else "company"


def seniority(title: str) -> str | None:
    text = title.strip().lower()
    if not text:
        return None
    return next((level for level, pattern in SENIORITY if pattern.search(text)), "staff")


def _log(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return math.log10(1 + max(float(value), 0.0))
    except ValueError:
        return None


def _flag(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return 1.0 if value.lower() in {"true", "1", "yes"} else 0.0
    return 1.0 if value else 0.0


@dataclass
class Schema:
    """The features of this installation: the built-in ones and one per custom field.
    Its derived lists are computed once (a cached lead model's schema serves every write)."""

    custom: list[CustomField]
    excluded: frozenset[str] = frozenset()  # built-in features an admin excluded

    @classmethod
    def current(cls) -> Schema:
        """Today's features, less those excluded by default or by an admin."""
        usable = {FieldType.CHECKBOX, FieldType.PICKLIST, FieldType.DATE, *CUSTOM_NUMBERS}
        excluded = admin_exclusions()
        return cls(
            [
                f
                for f in fields_of(Kind.LEAD)
                if f.type in usable and f"custom.{f.key}" not in excluded
            ],
            frozenset(excluded & {f.name for f in FEATURES}),
        )

    @cached_property
    def all_features(self) -> list[Feature]:
        return [
            *FEATURES,
            *(
                Feature(f"custom.{f.key}", "category" if f.type == FieldType.PICKLIST else "number")
                for f in self.custom
            ),
        ]

    @cached_property
    def kept(self) -> list[int]:
        """Positions of the used features in ``all_features``."""
        return [i for i, f in enumerate(self.all_features) if f.name not in self.excluded]

    @cached_property
    def features(self) -> list[Feature]:
        return [f for f in self.all_features if f.name not in self.excluded]

    @cached_property
    def labels(self) -> Labels:
        return {
            f"custom.{f.key}": (f.label, {v.key: v.label for v in f.values.all()})
            for f in self.custom
        }

    def row(self, values: dict[str, Any], created: dt.datetime, activities: int) -> list[Value]:
        """A lead's feature row from its field values (current or as they stood)."""
        filled = sum(1 for name in COMPLETENESS if values.get(name))
        row: list[Value] = [
            *(str(values.get(name) or "") or None for name in CATEGORIES),
            *(_log(values.get(name)) for name in NUMBERS),
            *(_flag(values.get(name)) for name in FLAGS),
            email_kind(str(values.get("email") or "")),
            seniority(str(values.get("title") or "")),
            filled / len(COMPLETENESS),
            float(activities),
        ]
        for custom in self.custom:
            row.append(_custom_value(custom, values.get(f"custom.{custom.key}"), created))
        return [row[i] for i in self.kept] if self.excluded else row


def _custom_value(custom: CustomField, value: Any, created: dt.datetime) -> Value:
    if value in (None, ""):
        return None
    if custom.type == FieldType.PICKLIST:
        return str(value)
    if custom.type == FieldType.CHECKBOX:
        return _flag(value)
    if custom.type == FieldType.DATE:
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
        return float((created.date() - day).days)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def values_of(lead: Lead) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(lead, name) for name in BUILT_IN}
    values.update({f"custom.{k}": v for k, v in (lead.custom or {}).items()})
    return values


@dataclass
class Outcome:
    converted: bool
    at: dt.datetime


def outcomes(leads: Iterable[Lead], closed: dict[int, LeadStatus]) -> dict[int, Outcome]:
    """When each closed lead's outcome became known: its conversion, else its last change
    into a closed status (else its creation, for a lead created closed, e.g. imported)."""
    unqualified = [lead for lead in leads if lead.status_id in closed and not lead.is_converted]
    found: dict[int, Outcome] = {}
    for lead in leads:
        if lead.is_converted:
            found[lead.pk] = Outcome(True, lead.converted_at or lead.updated_at)
    keys = {s.key for s in closed.values()}
    last: dict[int, dt.datetime] = {}
    ids = [lead.pk for lead in unqualified]
    for start in range(0, len(ids), 5000):
        changes = FieldChange.objects.filter(
            record_type="lead", record_id__in=ids[start : start + 5000], field="status"
        ).values_list("record_id", "new_value", "changed_at")
        for record_id, new_value, at in changes:
            if new_value in keys and (record_id not in last or at > last[record_id]):
                last[record_id] = at
    for lead in unqualified:
        found[lead.pk] = Outcome(False, last.get(lead.pk, lead.created_at))
    return found


def values_before(
    values: dict[str, Any], history: Sequence[tuple[str, str, dt.datetime]], moment: dt.datetime
) -> dict[str, Any]:
    """The values as they stood before ``moment``: each field changed at or after it takes
    the old value of its first such change. ``history`` is (field, old text, time)."""
    out = dict(values)
    reverted: set[str] = set()
    for name, old, at in sorted(history, key=lambda change: change[2]):
        # A custom field first set after the outcome is absent from ``values``: revert it too.
        if at >= moment and name not in reverted and (name in out or name.startswith("custom.")):
            out[name] = old if old != "" else None
            reverted.add(name)
    return out


def _history(ids: list[int]) -> dict[int, list[tuple[str, str, dt.datetime]]]:
    found: dict[int, list[tuple[str, str, dt.datetime]]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        rows = FieldChange.objects.filter(
            record_type="lead", record_id__in=ids[start : start + 5000]
        ).values_list("record_id", "field", "old_value", "changed_at")
        for record_id, name, old, at in rows:
            found[record_id].append((name, old, at))
    return found


def _activity_times(ids: list[int]) -> dict[int, list[dt.datetime]]:
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        rows = Activity.objects.filter(lead_id__in=ids[start : start + 5000]).values_list(
            "lead_id", "created_at"
        )
        for lead_id, at in rows:
            if lead_id is not None:
                found[lead_id].append(at)
    return found


@dataclass
class Training:
    rows: list[list[Value]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    known: list[dt.datetime] = field(default_factory=list)


def training_rows(schema: Schema, as_of: dt.datetime) -> Training:
    """Rows of the leads whose outcome was known by ``as_of``, with values before it."""
    closed = {s.pk: s for s in LeadStatus.objects.filter(is_closed=True)}
    leads = list(Lead.objects.filter(status_id__in=list(closed)))
    found = outcomes(leads, closed)
    ids = [lead.pk for lead in leads]
    history = _history(ids)
    activity = _activity_times(ids)
    out = Training()
    for lead in leads:
        outcome = found.get(lead.pk)
        if outcome is None or outcome.at > as_of:
            continue
        values = values_before(values_of(lead), history.get(lead.pk, []), outcome.at)
        done = sum(1 for at in activity.get(lead.pk, []) if at < outcome.at)
        out.rows.append(schema.row(values, lead.created_at, done))
        out.labels.append(int(outcome.converted))
        out.known.append(outcome.at)
    return out


Labels = dict[str, tuple[str, dict[str, str]]]  # custom.<key> -> (label, value labels)


def reasons(
    features: list[Feature],
    row: Sequence[Value],
    effects: Sequence[float],
    labels: Labels | None = None,
    top: int = 3,
) -> list[dict[str, object]]:
    """The top reasons by size of effect, in words with points ("Came from Referral (+18)")."""
    ranked = sorted(range(len(effects)), key=lambda j: -abs(effects[j]))
    out: list[dict[str, object]] = []
    for j in ranked[:top]:
        points = round(float(effects[j]) * 100)
        if points == 0:
            break
        text = describe(features[j].name, row[j], labels or {})
        out.append({"feature": features[j].name, "text": f"{text} ({points:+d})", "points": points})
    return out


def describe(name: str, value: Value, labels: Labels) -> str:
    if name.startswith("custom."):
        label, values = labels.get(name, (name.removeprefix("custom.").replace("_", " "), {}))
        if value is None:
            return f"No {label[:1].lower()}{label[1:]}"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{label}: {values.get(str(value), value)}"
    if value is None:
        return f"No {name.replace('_', ' ')}"
    texts: dict[str, Callable[[], str]] = {
        "source": lambda: f"Came from {dict(LeadSource.choices).get(str(value), value)}",
        "industry": lambda: f"Industry {value}",
        "country": lambda: f"Based in {value}",
        "campaign": lambda: f"Campaign {value}",
        "utm_source": lambda: f"UTM source {value}",
        "utm_medium": lambda: f"UTM medium {value}",
        "annual_revenue": lambda: f"Annual revenue {10 ** float(value) - 1:,.0f}",
        "employees": lambda: f"{10 ** float(value) - 1:,.0f} employees",
        "do_not_call": lambda: "Do not call" if value else "May be called",
        "email_opt_out": lambda: "Opted out of email" if value else "Accepts email",
        "email_kind": lambda: "Free-mail address" if value == "free mail" else "Company email",
        "seniority": lambda: f"Title seniority: {value}",
        "completeness": lambda: f"Record {float(value):.0%} complete",
        "activities": lambda: f"{int(float(value))} activities logged",
    }
    text = texts.get(name)
    return text() if text else f"{name}: {value}"


def fit_leads(now: dt.datetime | None = None, rescore: bool = True) -> ScoringModel:
    """Fit on every lead with an outcome, keep the fit, and re-score every open lead."""
    now = now or timezone.now()
    started = time.perf_counter()
    schema = Schema.current()
    data = training_rows(schema, now)
    positives = sum(data.labels)
    if len(data.labels) < MIN_POINTS_LEADS or positives in (0, len(data.labels)):
        raise core.NotEnoughHistory(
            f"Lead scoring needs at least {MIN_POINTS_LEADS} leads with an outcome, some "
            f"converted and some not; there are {len(data.labels)} with {positives} converted."
        )
    from .drift import histogram

    if len(data.labels) < MIN_LEADS or sum(data.labels) < MIN_CONVERSIONS:
        card = points.suggest(schema.features, data.rows, data.labels)
        given = points.Points.of(schema.features, card).effects(data.rows)[0]
        card["score_histogram"] = histogram(np.round(given * 100))
        fitted = store.keep_card(Target.LEAD, card, now, time.perf_counter() - started)
    else:
        scorer = core.fit(schema.features, data.rows, data.labels, data.known)
        # Training scores (in-sample) for drift; what an admin excluded, for the card.
        scorer.card["score_histogram"] = histogram(np.round(scorer.predict(data.rows) * 100))
        scorer.card["excluded"] = sorted(admin_exclusions())
        suggested = points.suggest(schema.features, data.rows, data.labels)
        scorer.card["suggested"] = {"base": suggested["base"], "points": suggested["points"]}
        fitted = store.keep_fit(Target.LEAD, scorer, now, time.perf_counter() - started)
    if rescore:
        score_open()
    return fitted


Model = core.Scorer | points.Points


# The active model and its features per process, by the fit's id, time, duration and size
# (a rolled-back test transaction can hand a pk out again): scoring one lead on write then
# costs one small query (which fit is active), not the card, custom fields and values.
# Emptied when this process changes a custom field or picklist value (``forget_schemas``);
# another process sees such a change at its next fit (daily) or restart.
_ACTIVE: dict[tuple[Any, ...], tuple[Model, Schema] | None] = {}


def active_model() -> tuple[Model, Schema] | None:
    """The active lead model (learned, or the points model) and its features, if any."""
    table = connection.ops.quote_name(ScoringModel._meta.db_table)
    with connection.cursor() as cursor:  # the ORM took longer to compile it than to run it
        cursor.execute(
            f"SELECT id, fitted_at, fit_seconds, rows, positives FROM {table} "
            "WHERE target = %s AND is_active",
            [Target.LEAD],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    key = tuple(found)
    if key not in _ACTIVE:
        fitted = ScoringModel.objects.defer("blob").get(pk=key[0])
        _ACTIVE.clear()  # one active fit at a time: keep no replaced one in memory
        _ACTIVE[key] = _load(fitted)
    return _ACTIVE[key]


def _load(fitted: ScoringModel) -> tuple[Model, Schema] | None:
    schema = _schema_of(fitted.card["features"])
    if fitted.card["model"] == "points":
        return points.Points.of(schema.features, fitted.card), schema
    scorer = store.scorer_of(fitted)
    return None if scorer is None else (scorer, schema)


def forget_schemas(**_: Any) -> None:
    """A custom field or picklist value changed: reload the active model's features (labels
    of reasons, fields gone) at the next score."""
    _ACTIVE.clear()


def score_open(ids: Sequence[int] | None = None) -> int:
    """(Re-)score the open leads (all, or those given) with the active fit; returns how
    many. Set-based: see ``rescore.py``."""
    from .rescore import score_open as rescore

    return rescore(ids)


def model_features(model: Model) -> list[Feature]:
    return model.features if isinstance(model, points.Points) else model.encoder.features


def _schema_of(names: list[str]) -> Schema:
    """The fit's features: its custom fields (one query; fields added since wait for the
    next fit) and the built-in ones it did not use as excluded."""
    fields = CustomField.objects.filter(kind=Kind.LEAD).prefetch_related("values")
    by_name = {f"custom.{f.key}": f for f in fields}
    return Schema(
        [by_name[n] for n in names if n.startswith("custom.") and n in by_name],
        frozenset({f.name for f in FEATURES} - set(names)),
    )


def admin_exclusions() -> set[str]:
    """The feature names an admin excluded from lead scoring (settings, applied at fits)."""
    from .models import ScoringSettings

    found = ScoringSettings.objects.filter(target=Target.LEAD).values_list("excluded", flat=True)
    return set(next(iter(found), []))


def set_exclusions(actor: Any, names: Sequence[str]) -> list[str]:
    """An admin excludes features (built-in or ``custom.<key>``) from the next lead fits;
    unknown names are refused."""
    from .models import ScoringSettings

    if not policy.may_configure(actor, "scoring"):
        raise NotAllowed("Only admins change lead scoring.")
    usable = {f.name for f in Schema(Schema.current().custom + _excluded_custom()).all_features}
    unknown = sorted(set(names) - usable)
    if unknown:
        raise RuleViolation(
            "Unknown features.", {"excluded": [f"Not a lead feature: {', '.join(unknown)}."]}
        )
    kept = sorted(set(names))
    ScoringSettings.objects.update_or_create(target=Target.LEAD, defaults={"excluded": kept})
    return kept


def _excluded_custom() -> list[CustomField]:
    usable = {FieldType.CHECKBOX, FieldType.PICKLIST, FieldType.DATE, *CUSTOM_NUMBERS}
    excluded = admin_exclusions()
    return [f for f in fields_of(Kind.LEAD) if f.type in usable and f"custom.{f.key}" in excluded]


def score_written(leads: Sequence[Lead], *, new: bool = False) -> None:
    """Score-on-write: the given leads, as just saved, get their score and reasons (in the
    database and on the objects); closed ones keep their last. ``new``: no activities yet."""
    open_leads = [lead for lead in leads if not lead.status.is_closed]
    active = active_model() if open_leads else None
    if active is None:
        return
    _score_batch(open_leads, active[1], active[0], activities=not new)


def _score_batch(
    leads: list[Lead], schema: Schema, scorer: Model, *, activities: bool = True
) -> int:
    ids = [lead.pk for lead in leads]
    counts: dict[int, int] = {}
    if activities:
        counts = dict(
            Activity.objects.filter(lead_id__in=ids)
            .order_by()
            .values("lead_id")
            .annotate(n=Count("pk"))
            .values_list("lead_id", "n")
        )
    rows = [schema.row(values_of(lead), lead.created_at, counts.get(lead.pk, 0)) for lead in leads]
    features = schema.features
    if [f.name for f in features] != [f.name for f in model_features(scorer)]:
        return 0  # the fit's custom fields are gone: no score until the next fit
    probabilities, effects = scorer.effects(rows)
    labels = schema.labels
    updates = []
    for lead, row, p, effect in zip(leads, rows, probabilities, effects, strict=True):
        lead.score = round(float(p) * 100)
        lead.score_reasons = reasons(features, row, list(effect), labels)
        updates.append((lead.score, json.dumps(lead.score_reasons), lead.pk))
    table = connection.ops.quote_name(Lead._meta.db_table)
    reasons_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET score = %s, score_reasons = {reasons_param} WHERE id = %s",
            updates,
        )
    return len(updates)


def set_points(
    actor: Any, base: int, given: dict[str, dict[str, int]], now: dt.datetime
) -> ScoringModel:
    """An admin's points model becomes the active lead model (the previous one stays for
    rollback) and every open lead is re-scored. Points name category features and values
    (picklist keys for custom fields); an unknown feature is refused."""
    if not policy.may_configure(actor, "scoring"):
        raise NotAllowed("Only admins change the lead scoring model.")
    categories = {f.name for f in Schema.current().features if f.kind == "category"}
    unknown = sorted(set(given) - categories)
    if unknown:
        raise RuleViolation(
            "Points are given to category features only.",
            {
                f"points.{name}": [
                    f"Not a category feature; use one of: {', '.join(sorted(categories))}."
                ]
                for name in unknown
            },
        )
    fitted = store.active_fit(Target.LEAD)
    card = {
        **points.suggest(Schema.current().features, [], []),
        "base": base,
        "points": {name: dict(values) for name, values in given.items() if values},
        "edited": True,
        "suggested": suggestion(fitted.card if fitted else {}),
        "rows": fitted.rows if fitted else 0,
        "positives": fitted.positives if fitted else 0,
    }
    kept = store.keep_card(Target.LEAD, card, now, 0.0)
    score_open()
    return kept


def suggestion(card: dict[str, Any]) -> dict[str, Any] | None:
    """The points suggested by the data at the last fit: kept beside an admin's edit."""
    if card.get("suggested"):
        return dict(card["suggested"])
    if card.get("model") == "points" and not card.get("edited"):
        return {"base": card.get("base"), "points": card.get("points")}
    return None
