"""The admin's branding: it is Opportune's settings screen (each app registers the
configuration it owns in its own admin.py)."""

from __future__ import annotations

from django.contrib import admin

admin.site.site_header = "Opportune settings"
admin.site.site_title = "Opportune"
admin.site.index_title = "Configuration"
admin.site.site_url = "/my-work/"
