from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    name = "opportune.savedviews"
    label = "savedviews"
    verbose_name = "Saved list views"
