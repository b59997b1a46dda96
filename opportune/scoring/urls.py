"""Settings > Lead scoring."""

from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("exclusions/", views.exclusions, name="exclusions"),
    path("points/", views.set_points, name="points"),
    path("rollback/", views.rollback, name="rollback"),
    path("refit/", views.refit, name="refit"),
]
