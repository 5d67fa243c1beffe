from django.contrib.auth import views as auth_views
from django.urls import path

from investdesk.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/otp/", views.otp_verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/confirm/", views.reauth, name="reauth"),
    path("account/details/", views.my_details, name="my_details"),
    path("account/otp/", views.otp_setup, name="otp_setup"),
    path("account/otp/disable/", views.otp_disable, name="otp_disable"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("directory/", views.directory, name="directory"),
    path("directory/export.xlsx", views.directory_export, name="directory_export"),
    path("directory/<int:person_id>/", views.person_detail, name="person_detail"),
    path("manage/units/", views.manage_units, name="manage_units"),
    path("manage/units/new/", views.unit_form, name="unit_create"),
    path("manage/units/<int:unit_id>/", views.unit_form, name="unit_edit"),
    path("manage/people/", views.manage_people, name="manage_people"),
    path("manage/people/new/", views.person_form, name="person_create"),
    path("manage/people/<int:person_id>/", views.person_form, name="person_edit"),
    path("manage/people/<int:person_id>/password/", views.person_reset_password, name="person_reset_password"),
    path("manage/people/<int:person_id>/unlock/", views.person_unlock, name="person_unlock"),
    path("manage/people/<int:person_id>/role/", views.person_role, name="person_role"),
    path("manage/people/<int:person_id>/sessions/end/", views.person_end_sessions, name="person_end_sessions"),
    path("manage/audit/", views.audit_log_view, name="audit_log"),
    path("manage/audit/export.xlsx", views.audit_log_export, name="audit_log_export"),
    path("manage/audit/verify/", views.audit_log_verify, name="audit_log_verify"),
]
