from django.contrib import admin

from .models import Deal


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    """The rollup, read-only: written by the signals and the beat task, never by hand."""

    list_display = ["lot", "processor", "awarded_at", "completed_at", "kg_awarded", "kg_completed", "processor_banten"]
    list_filter = ["processor_banten", "processor_japnas", "group", "kecamatan"]
    date_hierarchy = "awarded_at"
    search_fields = ["lot__reference", "processor__name", "plant__name"]
    list_select_related = ["lot", "processor"]

    # Every member of platform staff reads it (the figures are the dashboard's, which staff see anyway).
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
