from django.urls import URLPattern, path

from . import views

app_name = "webhooks"

urlpatterns: list[URLPattern] = [
    path("", views.subscriptions, name="list"),
    path("<int:pk>/", views.subscription, name="detail"),
    path("<int:pk>/toggle/", views.toggle, name="toggle"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("deliveries/<int:pk>/redeliver/", views.redeliver_one, name="redeliver"),
]
