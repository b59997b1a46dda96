"""The inline editor's one URL (opportune/inline.py), in the ``inline`` namespace."""

from django.urls import URLPattern, path

from . import inline

app_name = "inline"

urlpatterns: list[URLPattern] = [
    path("<slug:kind>/<int:pk>/field/", inline.edit_field, name="field"),
]
