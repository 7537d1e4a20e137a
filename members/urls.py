from django.urls import path

from . import views
from .two_factor import views as two_factor_views
from .views import notifications as notification_views

app_name = "members"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup_sent"),
    path("accounts/signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("accounts/invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("accounts/two-factor/", two_factor_views.manage, name="two_factor"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/recovery-codes/", two_factor_views.recovery_codes, name="two_factor_recovery_codes"),
    path("accounts/two-factor/disable/", two_factor_views.disable, name="two_factor_disable"),
    path("notifications/", notification_views.inbox, name="notifications"),
    path("notifications/unread/", notification_views.unread_badge, name="notifications_unread"),
    path("notifications/read-all/", notification_views.mark_all_read, name="notifications_read_all"),
    path("notifications/preferences/", notification_views.preferences, name="notification_preferences"),
    path("notifications/<int:pk>/open/", notification_views.open_notification, name="notification_open"),
    path("org/", views.directory, name="directory"),
    path("org/<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("org/<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path("org/<slug:slug>/team/", views.organisation_team, name="organisation_team"),
    path("org/<slug:slug>/team/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("org/<slug:slug>/licences/", views.licences, name="licences"),
    path("licences/<int:pk>/document/", views.licence_document, name="licence_document"),
    path("staff/licences/", views.staff_licence_list, name="staff_licence_list"),
    path("staff/licences/<int:pk>/review/", views.staff_licence_review, name="staff_licence_review"),
    path(
        "org/<slug:slug>/changes/<int:pk>/withdraw/",
        views.organisation_change_withdraw,
        name="organisation_change_withdraw",
    ),
    path("staff/changes/", views.staff_change_list, name="staff_change_list"),
    path("staff/changes/<int:pk>/decide/", views.staff_change_decide, name="staff_change_decide"),
    path("staff/japnas/", views.staff_japnas_list, name="staff_japnas_list"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("staff/audit/export.csv", views.staff_audit_export, name="staff_audit_export"),
    path("staff/organisations/", views.staff_organisation_list, name="staff_organisation_list"),
    path("staff/organisations/<slug:slug>/", views.staff_organisation_review, name="staff_organisation_review"),
]
