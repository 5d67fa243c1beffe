from django.urls import path

from investdesk.emergency import views

app_name = "emergency"

urlpatterns = [
    path("", views.incidents, name="incidents"),
    path("incidents/new/", views.incident_form, name="incident_create"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/edit/", views.incident_form, name="incident_edit"),
    path("donations/", views.donations, name="donations"),
    path("donations/export.xlsx", views.donations_export, name="donations_export"),
    path("donations/new/", views.donation_form, name="donation_create"),
    path("donations/<int:donation_id>/", views.donation_detail, name="donation"),
    path("donations/<int:donation_id>/edit/", views.donation_form, name="donation_edit"),
    path("donations/<int:donation_id>/receipts/", views.receipt_add, name="receipt_add"),
    path("donations/<int:donation_id>/receipts/<int:receipt_id>/delete/", views.receipt_delete, name="receipt_delete"),
    path("donations/<int:donation_id>/receipts/<int:receipt_id>/voucher/", views.voucher, name="voucher"),
    path("donations/<int:donation_id>/certificate/", views.certificate, name="certificate"),
    path("shipments/", views.shipments, name="shipments"),
    path("shipments/new/", views.shipment_form, name="shipment_create"),
    path("shipments/export.xlsx", views.shipments_export, name="shipments_export"),
    path("shipments/<int:shipment_id>/", views.shipment_detail, name="shipment"),
    path("shipments/<int:shipment_id>/edit/", views.shipment_form, name="shipment_edit"),
    path("shipments/<int:shipment_id>/move/", views.shipment_move, name="shipment_move"),
    path("shipments/<int:shipment_id>/case/", views.shipment_case, name="shipment_case"),
    path("volunteer/", views.volunteer, name="volunteer"),
    path("volunteer/log/", views.volunteer_log, name="volunteer_log"),
    path("volunteer/export.xlsx", views.volunteer_export, name="volunteer_export"),
    path("volunteer/<int:stint_id>/delete/", views.volunteer_delete, name="volunteer_delete"),
    path("continuity/", views.continuity, name="continuity"),
    path("continuity/mark/", views.critical_mark, name="critical_mark"),
    path("continuity/export.xlsx", views.continuity_export, name="continuity_export"),
    path("continuity/<int:critical_id>/", views.critical_detail, name="critical"),
    path("continuity/<int:critical_id>/update/", views.production_update, name="production_update"),
    path("continuity/<int:critical_id>/case/", views.critical_case, name="critical_case"),
]
