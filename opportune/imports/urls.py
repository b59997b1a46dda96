from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/resume/", views.import_resume, name="resume"),
    path("<int:pk>/run/", views.import_run, name="run"),
    path("<int:pk>/errors.csv", views.import_errors, name="errors"),
    path("export/<str:target>.csv", views.export, name="export"),
    path("export/<str:target>.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
