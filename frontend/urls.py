from django.urls import include, path

from .routes import governance as governance_routes
from .routes import notifications as notifications_routes
from .routes import places as places_routes
from .routes import shared_tools as shared_tools_routes
from .routes import workshops as workshop_routes
from .views import accounts, advisor, associations, data_export, networks

app_name = "frontend"

account_patterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("signup/", accounts.sign_up, name="signup"),
    path("settings/", accounts.profile, name="profile"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("settings/data/", accounts.my_data, name="my_data"),
    path("settings/data.json", accounts.my_data_download, name="my_data_download"),
    path("settings/delete/", accounts.delete_account, name="delete_account"),
]

association_patterns = [
    path("", associations.association_home, name="association_home"),
    path("members/", associations.members, name="members"),
    path("members/leave/", associations.leave, name="leave"),
    path("members/<uuid:code>/role/", associations.member_role, name="member_role"),
    path("members/<uuid:code>/remove/", associations.member_remove, name="member_remove"),
    path("invitations/", associations.invitations, name="invitations"),
    path("invitations/<uuid:code>/revoke/", associations.invitation_revoke, name="invitation_revoke"),
    path("settings/", associations.association_settings, name="association_settings"),
    path("settings/networks/<slug:network_slug>/consent/", associations.network_consent, name="network_consent"),
    path("settings/networks/<uuid:code>/end/", associations.network_end, name="network_end"),
    path("settings/reads/", advisor.advisor_reads, name="advisor_reads"),
    path("settings/export/", data_export.association_export, name="association_export"),
    path("settings/export.zip", data_export.association_export_download, name="association_export_download"),
    path("help/", advisor.help_requests, name="help_requests"),
    path("help/new/", advisor.help_request_new, name="help_request_new"),
    path("help/<uuid:code>/", advisor.help_request_detail, name="help_request_detail"),
    path("help/<uuid:code>/status/", advisor.help_request_status, name="help_request_status"),
    *shared_tools_routes.association_urlpatterns,
    *governance_routes.association_urlpatterns,
    *notifications_routes.association_urlpatterns,
    *workshop_routes.association_urlpatterns,
]

urlpatterns = [
    path("", associations.home, name="home"),
    path("accounts/", include(account_patterns)),
    path("language/", accounts.set_language, name="set_language"),
    path("invitations/<str:token>/", accounts.invitation, name="invitation"),
    path("associations/new/", associations.association_create, name="association_create"),
    path("a/<slug:association_slug>/", include(association_patterns)),
    path("n/<slug:network_slug>/", networks.network_detail, name="network_detail"),
    path("n/<slug:network_slug>/dashboard/", advisor.network_dashboard, name="network_dashboard"),
    path("n/<slug:network_slug>/dashboard.csv", advisor.network_dashboard_csv, name="network_dashboard_csv"),
    path("n/<slug:network_slug>/", include(workshop_routes.network_urlpatterns)),
    *shared_tools_routes.urlpatterns,
    *governance_routes.urlpatterns,
    *notifications_routes.urlpatterns,
    *places_routes.urlpatterns,
]
