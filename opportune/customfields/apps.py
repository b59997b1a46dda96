from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    name = "opportune.customfields"
    label = "customfields"
    verbose_name = "Custom fields"

    def ready(self) -> None:
        # The importer asks registered apps for the fields and picklists a column may fill.
        from opportune.imports import mapping, picklists

        from . import imports

        mapping.FIELD_PROVIDERS.append(imports.column_names)
        picklists.PROVIDERS.append(imports.picklists)
