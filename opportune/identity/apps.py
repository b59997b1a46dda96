from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "opportune.identity"
    label = "identity"
