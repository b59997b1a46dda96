from django.urls import path

from . import views, wizard

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/<str:token>/columns/", wizard.columns, name="columns"),
    path("new/<str:token>/values/", wizard.values, name="values"),
    path("new/<str:token>/mapping.json", wizard.draft_mapping, name="draft_mapping"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/remap/", views.import_remap, name="remap"),
    path("<int:pk>/mapping.json", views.import_mapping, name="mapping"),
    path("<int:pk>/save-mapping/", views.import_save_mapping, name="save_mapping"),
    path("<int:pk>/resume/", views.import_resume, name="resume"),
    path("<int:pk>/run/", views.import_run, name="run"),
    path("<int:pk>/errors.csv", views.import_errors, name="errors"),
    path("export/<str:target>.csv", views.export, name="export"),
    path("export/<str:target>.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
