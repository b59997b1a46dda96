from django.urls import URLPattern, path

from . import views

app_name = "identity"

urlpatterns: list[URLPattern] = [
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/issue/", views.issue, name="issue_token"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke_token"),
]
