from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "investdesk.emergency"
    verbose_name = _("Emergency response")

    def ready(self):
        from investdesk.core import selectors as core_selectors
        from investdesk.emergency import selectors

        core_selectors.HOME_PANELS.append(selectors.home_emergency_panel)
