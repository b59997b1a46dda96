from django.urls import URLPattern, path

from . import views

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path(
        "leads/<int:pk>/personal-data/",
        views.export,
        {"kind": "lead"},
        name="export_lead",
    ),
    path("leads/<int:pk>/erase/", views.erase, {"kind": "lead"}, name="erase_lead"),
    path(
        "contacts/<int:pk>/personal-data/",
        views.export,
        {"kind": "contact"},
        name="export_contact",
    ),
    path("contacts/<int:pk>/erase/", views.erase, {"kind": "contact"}, name="erase_contact"),
]
