"""The second baseline for ``api_load.py``: Opportune's own settings and middleware stack,
with one view doing one indexed query (a lead by primary key). Served as
``DJANGO_SETTINGS_MODULE=bare_django`` so it is its own settings module and URL conf.

    GET /?id=123  ->  {"id": 123, "last_name": "...", "company": "..."}
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from opportune.settings import *  # noqa: F403

ROOT_URLCONF = "bare_django"


def lead(request: HttpRequest) -> JsonResponse:
    from opportune.leads.models import Lead

    try:
        pk = int(request.GET.get("id", "1"))
    except ValueError:
        pk = 1
    row = Lead.objects.filter(pk=pk).values("id", "last_name", "company").first()
    return JsonResponse(row or {}, status=200 if row else 404)


urlpatterns = [path("", lead)]
