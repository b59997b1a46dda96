from django.urls import path

from . import deal_views, views

app_name = "opportunities"

urlpatterns = [
    path("pipeline/", views.pipeline_board, name="pipeline"),
    path("pipeline/<slug:key>/", views.pipeline_board, name="pipeline_for"),
    path("pipeline/<slug:key>/column/<slug:stage>/", views.pipeline_column, name="column"),
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/new/", deal_views.opportunity_new, name="new"),
    path("opportunities/lookup/accounts/", deal_views.account_lookup, name="account_lookup"),
    path("opportunities/lookup/contacts/", deal_views.contact_lookup, name="contact_lookup"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="detail"),
    path("opportunities/<int:pk>/roles/", deal_views.contact_roles, name="roles"),
    path("opportunities/<int:pk>/pipeline/", deal_views.pipeline_move, name="pipeline_move"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<int:pk>/move/", views.move, name="move"),
    path("opportunities/<int:pk>/undo/", views.undo_move, name="undo"),
    path("opportunities/<int:pk>/close/", views.opportunity_close, name="close"),
]
