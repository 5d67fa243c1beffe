from django.urls import path

from investdesk.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("export.xlsx", views.enterprise_export, name="export"),
    path("new/", views.enterprise_form, name="create"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:batch_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:batch_id>/check/", views.import_check_again, name="import_check_again"),
    path("import/<int:batch_id>/", views.import_batch, name="import_batch"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("stale/", views.stale_list, name="stale"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/export.xlsx", views.visit_export, name="visit_export"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit"),
    path("chambers/", views.chamber_list, name="chambers"),
    path("chambers/new/", views.chamber_form, name="chamber_create"),
    path("chambers/<int:chamber_id>/", views.chamber_detail, name="chamber"),
    path("chambers/<int:chamber_id>/edit/", views.chamber_form, name="chamber_edit"),
    path("actions/", views.action_list, name="actions"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:action_id>/", views.action_detail, name="action"),
    path("<int:enterprise_id>/", views.enterprise_detail, name="detail"),
    path("<int:enterprise_id>/edit/", views.enterprise_form, name="edit"),
    path("<int:enterprise_id>/contacts/new/", views.contact_form, name="contact_create"),
    path("<int:enterprise_id>/contacts/<int:contact_id>/", views.contact_form, name="contact_edit"),
    path("<int:enterprise_id>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:enterprise_id>/visits/new/", views.visit_form, name="visit_create"),
    path("<int:enterprise_id>/visits/<int:visit_id>/edit/", views.visit_form, name="visit_edit"),
]
