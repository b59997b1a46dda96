from django.urls import URLPattern, path

from . import views

app_name = "audit"

PLURALS = {
    "lead": "leads",
    "account": "accounts",
    "contact": "contacts",
    "opportunity": "opportunities",
    "activity": "activities",
}

urlpatterns: list[URLPattern] = [
    path("recycle-bin/", views.recycle_bin, name="bin"),
    path("recycle-bin/<str:kind>/<int:pk>/restore/", views.restore, name="restore"),
    path("recycle-bin/<str:kind>/<int:pk>/purge/", views.purge, name="purge"),
]
for kind, plural in PLURALS.items():
    urlpatterns += [
        path(f"{plural}/<int:pk>/history/", views.history, {"kind": kind}, name=f"history_{kind}"),
        path(f"{plural}/<int:pk>/delete/", views.delete, {"kind": kind}, name=f"delete_{kind}"),
    ]
