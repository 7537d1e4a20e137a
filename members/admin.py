from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    VERIFIED_FIELDS,
    AuditEntry,
    Invitation,
    JapnasListUpload,
    Membership,
    Notification,
    Organisation,
    OrganisationChangeRequest,
    User,
    VerificationEvent,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class VerificationEventInline(admin.TabularInline):
    model = VerificationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "notified_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "nib", "kecamatan", "province", "japnas_number", "verification_status", "review"]
    list_filter = ["kind", "verification_status", "province", "kecamatan"]
    search_fields = ["name", "nib", "japnas_number"]
    prepopulated_fields = {"slug": ["name"]}
    # Status changes go through the verification services (with an audit row and an e-mail), never a save.
    readonly_fields = ["verification_status", "verified_at", "created_at"]
    inlines = [MembershipInline, VerificationEventInline]
    actions = ["verify_selected"]

    def get_readonly_fields(self, request, obj=None):
        # What staff verified changes through a change request (approved on /staff/changes/, on the audit log),
        # never by an edit here that nobody would see.
        if obj is not None and obj.is_verified:
            return [*self.readonly_fields, *VERIFIED_FIELDS]
        return self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_verified else self.prepopulated_fields

    @admin.display(description=_("review"))
    def review(self, obj):
        url = reverse("members:staff_organisation_review", kwargs={"slug": obj.slug})
        return format_html('<a href="{}">{}</a>', url, _("verify or reject"))

    @admin.action(description=_("Verify the selected organisations"))
    def verify_selected(self, request, queryset):
        done = 0
        for organisation in queryset:
            try:
                services.organisation_verify(organisation=organisation, acting_user=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{organisation}: {' '.join(exc.messages)}", messages.WARNING)
        if done:
            self.message_user(
                request,
                ngettext("%(n)d organisation verified.", "%(n)d organisations verified.", done) % {"n": done},
                messages.SUCCESS,
            )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["created_at", "accepted_at"]


@admin.register(VerificationEvent)
class VerificationEventAdmin(admin.ModelAdmin):
    list_display = ["organisation", "from_status", "to_status", "actor", "created_at", "notified_at"]
    list_filter = ["to_status"]
    search_fields = ["organisation__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was sent to whom, and why an e-mail failed."""

    list_display = ["recipient", "event", "created_at", "read_at", "email_status", "email_attempts"]
    list_filter = ["event", "email_status"]
    search_fields = ["recipient__email", "key"]
    readonly_fields = [
        "recipient",
        "event",
        "key",
        "params",
        "url",
        "created_at",
        "read_at",
        "email_status",
        "email_attempts",
        "email_next_attempt_at",
        "email_error",
        "emailed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services (with their audit rows and notifications): read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrganisationChangeRequest)
class OrganisationChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "requested_at", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["organisation__name"]


@admin.register(JapnasListUpload)
class JapnasListUploadAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "filename", "member_count", "uploaded_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor", "organisation", "reason"]
    list_filter = ["kind"]
    search_fields = ["organisation__name", "actor__email"]
