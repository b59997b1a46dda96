from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ("username", "email", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Sales", {"fields": ("role", "team")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "parent", "manager")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = (
        "prefix", "user", "name", "scope", "expires_at", "last_used_at", "last_used_ip", "revoked"
    )  # fmt: skip
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at", "last_used_ip")
