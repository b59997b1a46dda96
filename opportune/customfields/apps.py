from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "opportune.customfields"
    label = "customfields"
    verbose_name = "Custom fields"

    def ready(self) -> None:
        # The importer asks registered apps for the fields and picklists a column may fill.
        from opportune.imports import mapping, picklists, spec, wizard

        from . import imports
        from .models import PICKLISTS, FieldType

        mapping.FIELD_PROVIDERS.append(imports.column_names)
        picklists.PROVIDERS.append(imports.picklists)
        # A mapping may declare custom fields, and the wizard may make one for a column.
        spec.CUSTOM_FIELD_TYPES = tuple(FieldType.values)
        spec.CUSTOM_FIELD_PICKLISTS = tuple(sorted(PICKLISTS))
        spec.CUSTOM_FIELD_CREATOR = imports.create_declared
        wizard.CUSTOM_FIELD_MAKER = imports.declare_for_column
        wizard.CUSTOM_FIELD_TYPES = list(FieldType.choices)
