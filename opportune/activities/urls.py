from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("<str:kind>/<int:pk>/", views.record_timeline, name="timeline"),
    path("<str:kind>/<int:pk>/log/", views.log_activity, name="log"),
    path("<int:pk>/done/", views.complete_task, name="done"),
]
