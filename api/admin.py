"""Operators read the tokens and every write made with one; tokens are created and revoked by the
organisation's admins (or `manage.py api_token_create`), never here, and the hash is never shown."""

from django.contrib import admin

from members.admin import ReadOnlyAdmin

from .models import ApiWrite, OrganisationToken


@admin.register(OrganisationToken)
class OrganisationTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "prefix",
        "organisation",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "organisation__name"]
    exclude = ["secret_hash"]


@admin.register(ApiWrite)
class ApiWriteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "token", "method", "path", "status"]
    list_filter = ["method", "status"]
    search_fields = ["path", "token__prefix", "token__organisation__name"]
