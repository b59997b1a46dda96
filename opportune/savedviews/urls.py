from django.urls import path

from . import cells, views

app_name = "savedviews"

urlpatterns = [
    path("views/new/", views.view_create, name="create"),
    path("views/<int:pk>/", views.view_edit, name="edit"),
    path("views/<int:pk>/update/", views.view_update, name="update"),
    path("views/<int:pk>/delete/", views.view_delete, name="delete"),
    path("views/<int:pk>/default/", views.view_default, name="default"),
    path("lists/<slug:kind>/bulk/", views.bulk, name="bulk"),
    path("lists/<slug:kind>/<int:pk>/cell/<slug:field>/", cells.cell, name="cell"),
]
