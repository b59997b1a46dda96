"""Custom fields: what an admin adds to leads, accounts, contacts and opportunities without
code. A record keeps its values in its ``custom`` JSON column, ``{key: value}``; each field
filtered on has an expression index of its own (docs/custom-fields.md says why)."""

from __future__ import annotations

from django.db import models

from opportune.schemas import validate_key


class Kind(models.TextChoices):
    LEAD = "lead", "Lead"
    ACCOUNT = "account", "Account"
    CONTACT = "contact", "Contact"
    OPPORTUNITY = "opportunity", "Opportunity"


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    CURRENCY = "currency", "Currency"
    PERCENT = "percent", "Percent"
    DATE = "date", "Date"
    CHECKBOX = "checkbox", "Checkbox"
    PICKLIST = "picklist", "Picklist"
    MULTI_PICKLIST = "multi_picklist", "Multi-select picklist"
    URL = "url", "URL"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"


PICKLISTS = frozenset({FieldType.PICKLIST, FieldType.MULTI_PICKLIST})
NUMBERS = frozenset({FieldType.NUMBER, FieldType.CURRENCY, FieldType.PERCENT})
TEXTS = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.EMAIL, FieldType.PHONE}
)
# Types whose filters compare the stored value as it is (equality, ranges): they get an index.
INDEXED = frozenset({FieldType.PICKLIST, FieldType.DATE, FieldType.CHECKBOX, *NUMBERS})


class CustomField(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(
        max_length=40,
        validators=[validate_key],
        help_text="How the API, filters and imports name it (custom.KEY); never changes.",
    )
    label = models.CharField(max_length=80)
    type = models.CharField(max_length=20, choices=FieldType.choices)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)
    # A lead field's counterpart on the account, contact or opportunity conversion creates.
    maps_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mapped_from",
        limit_choices_to={"kind__in": [Kind.ACCOUNT, Kind.CONTACT, Kind.OPPORTUNITY]},
        help_text="Lead fields only: the account, contact or opportunity field of the same "
        "type that converting the lead fills.",
    )

    class Meta:
        ordering = ["kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="custom_field_key_per_kind")
        ]

    def __str__(self) -> str:
        return f"{Kind(self.kind).label}: {self.label}"

    @property
    def index_name(self) -> str:
        """The expression index of this field's values (at most 30 characters)."""
        return f"cf_{self.kind[:4]}_{self.pk}"


class PicklistValue(models.Model):
    """One value of a picklist; a retired value stays on the records that have it but
    cannot be given anew."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(max_length=40, validators=[validate_key])
    label = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["field", "key"], name="picklist_value_key_per_field")
        ]

    def __str__(self) -> str:
        return self.label
