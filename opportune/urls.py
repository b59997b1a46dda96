from django.contrib import admin
from django.urls import include, path, re_path

from opportune.api import api, unknown_path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", unknown_path),
    path("", include("opportune.web.urls")),
]
