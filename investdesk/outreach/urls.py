from django.urls import path

from investdesk.outreach import views

app_name = "outreach"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("new/", views.campaign_form, name="create"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("<int:campaign_id>/edit/", views.campaign_form, name="edit"),
    path("<int:campaign_id>/progress/", views.campaign_progress, name="progress"),
    path("<int:campaign_id>/submit/", views.campaign_submit, name="submit"),
    path("<int:campaign_id>/approve/", views.campaign_approve, name="approve"),
    path("<int:campaign_id>/retry/", views.campaign_retry, name="retry"),
    path("<int:campaign_id>/messages/<int:message_id>/confirm/", views.message_confirm, name="confirm"),
    path("<int:campaign_id>/calls/", views.calls, name="calls"),
    path("<int:campaign_id>/calls/<int:message_id>/", views.call_record, name="call_record"),
    path("<int:campaign_id>/responses/", views.response_add, name="response_add"),
    path("responses/<int:response_id>/case/", views.response_case, name="response_case"),
    path("notices/<int:message_id>/", views.notice, name="notice"),
]
