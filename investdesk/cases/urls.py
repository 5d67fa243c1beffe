from django.urls import path

from investdesk.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.xlsx", views.queue_export, name="export"),
    path("new/", views.case_create, name="create"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/", views.case_act, name="act"),
    path("<int:case_id>/notice.docx", views.notice, name="notice"),
    path("<int:case_id>/attach/", views.attach, name="attach"),
    path("<int:case_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("<int:case_id>/letters/", views.letter_add, name="letter_add"),
    path("<int:case_id>/follow-up-link/", views.follow_up_link, name="follow_up_link"),
    path("letters/<int:letter_id>/", views.letter_download, name="letter"),
    path("letters/new/<int:enterprise_id>/", views.enterprise_letter_add, name="enterprise_letter_add"),
]
