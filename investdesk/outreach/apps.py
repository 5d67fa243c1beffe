from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "investdesk.outreach"
    verbose_name = _("Outreach")

    def ready(self):
        from investdesk.core import selectors as core_selectors
        from investdesk.enterprises import selectors as enterprise_selectors
        from investdesk.outreach import selectors

        enterprise_selectors.ENTERPRISE_PANELS.append(selectors.enterprise_outreach_panel)
        core_selectors.HOME_PANELS.append(selectors.home_notices_panel)
