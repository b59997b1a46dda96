from django.urls import path

from . import views

app_name = "savedviews"

urlpatterns = [
    path("views/new/", views.view_create, name="create"),
    path("views/<int:pk>/", views.view_edit, name="edit"),
    path("views/<int:pk>/update/", views.view_update, name="update"),
    path("views/<int:pk>/delete/", views.view_delete, name="delete"),
    path("views/<int:pk>/default/", views.view_default, name="default"),
    path("lists/<slug:kind>/bulk/", views.bulk, name="bulk"),
]
