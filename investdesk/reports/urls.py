from django.urls import path

from investdesk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sections/<str:key>/", views.dashboard_section, name="section"),
    path("figures/<str:key>/", views.figure, name="figure"),
    path("figures/<str:key>/export.xlsx", views.figure_export, name="figure_export"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("bulletins/new/", views.bulletin_new, name="bulletin_new"),
    path("bulletins/<int:bulletin_id>/", views.bulletin_detail, name="bulletin"),
    path("bulletins/<int:bulletin_id>/refresh/", views.bulletin_refresh, name="bulletin_refresh"),
    path("bulletins/<int:bulletin_id>/issue/", views.bulletin_issue, name="bulletin_issue"),
    path("bulletins/<int:bulletin_id>/delete/", views.bulletin_delete, name="bulletin_delete"),
    path("bulletins/<int:bulletin_id>/download.<str:fmt>", views.bulletin_download, name="bulletin_download"),
    path("bulletins/<int:bulletin_id>/figures/<str:key>/", views.bulletin_figure, name="bulletin_figure"),
]
