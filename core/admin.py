from django.contrib import admin

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Staff can see what is waiting to be delivered (e.g. after a broker outage). Read-only."""

    list_display = ["key", "kind", "created_at", "dispatched_at", "dispatch_count", "processed_at"]
    list_filter = ["kind"]
    search_fields = ["key"]
    readonly_fields = ["key", "kind", "payload", "created_at", "dispatched_at", "dispatch_count", "processed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
