from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "investdesk.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Plug into the registry: cases move with a merged enterprise and show on its 360 page.
        from investdesk.cases import selectors, services
        from investdesk.core import selectors as core_selectors
        from investdesk.enterprises import selectors as enterprise_selectors
        from investdesk.enterprises import services as enterprise_services

        enterprise_services.MERGE_HOOKS.append(services.cases_move_to)
        enterprise_selectors.ENTERPRISE_PANELS.append(selectors.enterprise_cases_panel)
        core_selectors.HOME_PANELS.append(selectors.home_cases_panel)
