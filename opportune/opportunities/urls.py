from django.urls import path

from . import views

app_name = "opportunities"

urlpatterns = [
    path("pipeline/", views.pipeline_board, name="pipeline"),
    path("pipeline/<slug:key>/", views.pipeline_board, name="pipeline_for"),
    path("pipeline/<slug:key>/column/<slug:stage>/", views.pipeline_column, name="column"),
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<int:pk>/move/", views.move, name="move"),
    path("opportunities/<int:pk>/undo/", views.undo_move, name="undo"),
    path("opportunities/<int:pk>/close/", views.opportunity_close, name="close"),
]
