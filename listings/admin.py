from django.contrib import admin

from .models import CatalogueSource, LotAttachment, LotTransition, WasteCategory, WasteLot


@admin.register(CatalogueSource)
class CatalogueSourceAdmin(admin.ModelAdmin):
    list_display = ["key", "status"]
    search_fields = ["key", "title"]


@admin.register(WasteCategory)
class WasteCategoryAdmin(admin.ModelAdmin):
    """Staff keep the catalogue right: codes and factors with their sources (SPEC §3)."""

    list_display = ["code", "name_en", "name_id", "group", "hazardous", "indonesian_code", "co2e_t_per_t", "is_active"]
    list_filter = ["group", "hazardous", "is_active"]
    search_fields = ["code", "name_en", "name_id", "indonesian_code"]
    autocomplete_fields = ["indonesian_code_source", "co2e_source"]


class LotTransitionInline(admin.TabularInline):
    model = LotTransition
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class LotAttachmentInline(admin.TabularInline):
    model = LotAttachment
    extra = 0
    fields = ["kind", "original_name", "content_type", "size", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WasteLot)
class WasteLotAdmin(admin.ModelAdmin):
    """Moderation view. Status changes go through listings.services (timeline row), never a save here."""

    list_display = ["reference", "title", "plant", "category", "status", "closes_at"]
    list_filter = ["status", "category__group", "site_kecamatan", "bidding_mode"]
    search_fields = ["reference", "title", "plant__name"]
    readonly_fields = ["reference", "status", "published_at", "local_first_until", "created_at", "updated_at"]
    raw_id_fields = ["plant", "created_by"]
    inlines = [LotAttachmentInline, LotTransitionInline]

    def has_delete_permission(self, request, obj=None):
        # A lot is never hard-deleted once published; cancel it instead.
        return obj is None or obj.status == WasteLot.Status.DRAFT
