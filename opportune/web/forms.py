"""Forms that validate through the pydantic input schemas, so each rule is declared once.

Django form fields here only parse what a browser sends (text to date, decimal, id) and
render labelled inputs; the schema in ``<app>/schemas.py`` decides what is valid, and domain
errors raised by services land on the field they name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from opportune.errors import DomainError, NotAllowed
from opportune.schemas import error_message


def max_length(schema_field: FieldInfo) -> int | None:
    """The schema's length limit of a text field (``Field(max_length=...)`` or a constrained
    type's), so the input's ``maxlength`` is the rule the schema applies."""
    for constraint in schema_field.metadata:
        limit = getattr(constraint, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field ``name``, to give it choices read from the database per form
    (read once, when the form is built)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a choice field"
    return field


class SchemaForm(forms.Form):
    """A form whose cleaned data is an instance of ``schema``, available as ``form.validated``.

    Fields left out of the submission are left unset in the schema (a partial change), so
    an edit form that shows some fields changes only those.
    """

    schema: ClassVar[type[BaseModel]]
    # Form field name -> schema field name, where they differ (e.g. "owner" -> "owner_id").
    schema_names: ClassVar[dict[str, str]] = {}

    validated: BaseModel | None = None
    # The kind whose custom fields the form shows (``custom.<key>``); "" for none.
    custom_kind: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_names: list[str] = []
        if self.custom_kind:
            from opportune.customfields.forms import add_fields

            self.custom_names = add_fields(self, self.custom_kind)
        model_fields = self.schema.model_fields
        for name, field in self.fields.items():
            schema_field = model_fields.get(self.schema_names.get(name, name))
            if schema_field is None:
                continue
            if schema_field.is_required():
                field.widget.attrs["aria-required"] = "true"
                field.show_required = True  # type: ignore[attr-defined]
            limit = max_length(schema_field)
            if limit is not None and isinstance(field, forms.CharField):
                field.widget.attrs.setdefault("maxlength", str(limit))
            if isinstance(field, forms.IntegerField | forms.DecimalField):
                for constraint in schema_field.metadata:
                    for bound, attr in (("ge", "min"), ("le", "max")):
                        value = getattr(constraint, bound, None)
                        if value is not None:
                            field.widget.attrs.setdefault(attr, str(value))

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = {}
        for name, field in self.fields.items():
            if name in self.errors or name not in cleaned or not self._submitted(name, field):
                continue
            value = cleaned[name]
            if isinstance(value, str) and value == "" and self._optional(name):
                value = None if self._nullable_text(name) else ""
            data[self.schema_names.get(name, name)] = value
        if self.custom_names:
            from opportune.customfields.forms import fold

            fold(data)
        return data

    @property
    def custom_fields(self) -> list[forms.BoundField]:
        """The bound custom fields, for the template's "Custom fields" section."""
        return [self[name] for name in self.custom_names]

    def _submitted(self, name: str, field: forms.Field) -> bool:
        """Whether the browser sent the field; an unticked checkbox sends nothing."""
        if not self.is_bound or isinstance(field, forms.BooleanField | forms.MultipleChoiceField):
            return True
        return self.add_prefix(name) in self.data

    def _optional(self, name: str) -> bool:
        return not self.fields[name].required

    def _nullable_text(self, name: str) -> bool:
        """Choice fields map "no choice" to None (a key, an id), text fields keep ""."""
        return isinstance(self.fields[name], forms.ChoiceField | forms.ModelChoiceField)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.validated = self.schema.model_validate(self.schema_input(cleaned))
        except ValidationError as exc:
            for error in exc.errors():
                location = error.get("loc") or ()
                self.add_error(
                    self.form_name(str(location[0]) if location else None), error_message(error)
                )
        return cleaned

    def form_name(self, schema_name: str | None) -> str | None:
        """The form field that shows an error about ``schema_name`` (None: the whole form)."""
        if schema_name is None:
            return None
        reverse = {v: k for k, v in self.schema_names.items()}
        name = reverse.get(schema_name, schema_name)
        return name if name in self.fields else None

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal: at each field it names, else above the form. An access
        refusal is not the form's business: it goes on to the 403 page."""
        if isinstance(error, NotAllowed):
            raise error
        placed = False
        for field, messages in error.errors.items():
            name = self.form_name(field)
            for message in messages:
                if name is not None:
                    self.add_error(name, message)
                    placed = True
        if not placed:
            self.add_error(None, error.detail)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
