from django.urls import URLPattern, path

from . import views

app_name = "notifications"

urlpatterns: list[URLPattern] = [
    path("", views.inbox_page, name="inbox"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences_page, name="preferences"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("<int:pk>/read/", views.read, name="read"),
]
