from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "investdesk.core"
    label = "core"
    verbose_name = _("Units and people")

    def ready(self):
        from investdesk.core import signals  # noqa: F401  (connects the auth audit receivers)
