from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="create"),
    path("bulk/", views.lead_bulk, name="bulk"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/qualification/", views.lead_qualify, name="qualify"),
    path("<int:pk>/status/", views.lead_status, name="status"),
    path("<int:pk>/convert/", views.lead_convert, name="convert"),
]
