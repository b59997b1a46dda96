"""Every web page, mounted at the site root by ``opportune/urls.py``.

Each app's pages keep their own namespace (``leads:detail``, ``opportunities:pipeline``).
"""

from django.urls import URLPattern, URLResolver, include, path

from . import views

web_patterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_index, name="settings"),
    path("help/shortcuts/", views.shortcuts, name="shortcuts"),
    path("worker-status/", views.worker_status, name="worker_status"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((web_patterns, "web"))),
    path("", include("opportune.work.urls")),
    path("leads/", include("opportune.leads.urls")),
    path("", include("opportune.opportunities.urls")),
    path("", include("opportune.accounts.urls")),
    path("activities/", include("opportune.activities.urls")),
    path("capture/", include("opportune.capture.urls")),
    path("imports/", include("opportune.imports.urls")),
    path("", include("opportune.forecasting.urls")),
    path("", include("opportune.audit.urls")),
    path("", include("opportune.identity.urls")),
    path("", include("opportune.privacy.urls")),
    path("", include("opportune.savedviews.urls")),
    path("settings/webhooks/", include("opportune.webhooks.urls")),
    path("notifications/", include("opportune.notifications.urls")),
    path("records/", include("opportune.inline_urls")),
    path("settings/scoring/", include("opportune.scoring.urls")),
    path("search/", include("opportune.search.urls")),
]
