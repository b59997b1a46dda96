from django.urls import path

from . import views

app_name = "work"
urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("my-work/tasks/", views.my_tasks, name="tasks"),
]
