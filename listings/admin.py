from django.contrib import admin

from .models import (
    Capability,
    CatalogueSource,
    LotAddendum,
    LotAttachment,
    LotQuestion,
    LotTransition,
    Match,
    VisitBooking,
    VisitSlot,
    WantedNotice,
    WasteCategory,
    WasteLot,
)


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


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["organisation", "category", "route", "capacity_tonnes_per_month", "radius_km"]
    list_filter = ["route", "category__group"]
    search_fields = ["organisation__name", "category__name_en", "category__name_id"]
    autocomplete_fields = ["organisation", "category"]


@admin.register(WantedNotice)
class WantedNoticeAdmin(admin.ModelAdmin):
    list_display = ["organisation", "category", "quantity_tonnes_per_month", "kecamatan", "valid_until", "is_active"]
    list_filter = ["is_active", "category__group"]
    search_fields = ["organisation__name"]
    autocomplete_fields = ["organisation", "category", "created_by"]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    """Read-only: matches are made by the match task."""

    list_display = ["lot", "organisation", "score", "distance_km", "created_at"]
    search_fields = ["lot__reference", "organisation__name"]
    readonly_fields = ["lot", "organisation", "score", "reasons", "distance_km", "wanted_notice", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LotQuestion)
class LotQuestionAdmin(admin.ModelAdmin):
    """Staff see every question with who asked (for abuse: the lot's readers never do) and may delete an abusive
    one; asking and answering go through listings.services."""

    list_display = ["lot", "created_at", "asked_by_organisation", "answered_at"]
    search_fields = ["lot__reference", "text", "answer"]
    fields = readonly_fields = [
        "lot",
        "asked_by_organisation",
        "asked_by",
        "created_at",
        "text",
        "answer",
        "answered_by",
        "answered_at",
        "answer_edited_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LotAddendum)
class LotAddendumAdmin(admin.ModelAdmin):
    """Read-only: addenda are published by listings.services.addendum_publish and stay on the lot's record."""

    list_display = ["lot", "created_at", "published_by"]
    search_fields = ["lot__reference", "text"]
    fields = readonly_fields = [
        "lot",
        "published_by",
        "created_at",
        "text",
        "quantity_before",
        "quantity_after",
        "closes_at_before",
        "closes_at_after",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VisitSlot)
class VisitSlotAdmin(ReadOnlyAdmin):
    """Read-only: site visit slots are offered and cancelled by the plant through listings.services."""

    list_display = ["lot", "starts_at", "ends_at", "capacity", "cancelled_at"]
    search_fields = ["lot__reference", "meeting_point"]
    fields = readonly_fields = [
        "lot",
        "starts_at",
        "ends_at",
        "capacity",
        "meeting_point",
        "created_by",
        "created_at",
        "cancelled_at",
    ]


@admin.register(VisitBooking)
class VisitBookingAdmin(ReadOnlyAdmin):
    """Read-only: staff see every booking (as on the gate list); booking and cancelling go through the services."""

    list_display = ["lot", "slot", "organisation", "people", "plate", "cancelled_at", "reminded_at"]
    search_fields = ["lot__reference", "organisation__name", "plate"]
    fields = readonly_fields = [
        "lot",
        "slot",
        "organisation",
        "booked_by",
        "visitors",
        "people",
        "plate",
        "created_at",
        "cancelled_at",
        "reminded_at",
    ]
