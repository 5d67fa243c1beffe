from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "investdesk.reports"
    verbose_name = _("Dashboard and work bulletins")

    def ready(self):
        from investdesk.reports import sections  # noqa: F401  (registers the modules' sections)
