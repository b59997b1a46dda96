from django.urls import path

from . import views

app_name = "capture"

urlpatterns = [
    path("duplicates/", views.duplicate_groups, name="duplicates"),
    path("leads/<int:pk>/duplicates/", views.lead_duplicates, name="lead_duplicates"),
    path("merge/", views.merge, name="merge"),
    path("merges/<int:pk>/", views.merged, name="merged"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="undo"),
    path("forms/", views.web_forms, name="web_forms"),
    path("forms/new/", views.web_form_edit, name="web_form_new"),
    path("forms/<int:pk>/", views.web_form_edit, name="web_form"),
]
