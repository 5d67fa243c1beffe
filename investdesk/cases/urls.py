from django.urls import path

from investdesk.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.case_create, name="create"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/", views.case_act, name="act"),
    path("<int:case_id>/notice.docx", views.notice, name="notice"),
]
