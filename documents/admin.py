from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: documents are issued, revoked and replaced by the services (the lot's documents page)."""

    list_display = ("number", "kind", "lot", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("number", "lot__reference")
    readonly_fields = [field.name for field in Document._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
