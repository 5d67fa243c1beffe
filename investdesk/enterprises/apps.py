from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "investdesk.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises and aftercare")

    def ready(self):
        from investdesk.core import selectors as core_selectors
        from investdesk.enterprises import selectors

        core_selectors.HOME_PANELS.append(selectors.home_enterprises_panel)
