from django.contrib import admin
from django.urls import include, path

from investdesk.api import api
from investdesk.cases import views as case_views

# A database gone away outside a view answers 503, not 500 or 400 (core/middleware.py).
handler400 = "investdesk.core.views.bad_request"
handler500 = "investdesk.core.views.server_error"

admin.site.site_header = "InvestDesk"
admin.site.site_title = "InvestDesk"

urlpatterns = [
    path("", include("investdesk.core.urls")),
    path("enterprises/", include("investdesk.enterprises.urls")),
    path("cases/", include("investdesk.cases.urls")),
    path("projects/", include("investdesk.projects.urls")),
    path("outreach/", include("investdesk.outreach.urls")),
    path("emergency/", include("investdesk.emergency.urls")),
    path("reports/", include("investdesk.reports.urls")),
    path("f/<str:token>/", case_views.public_follow_up, name="follow_up"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
