from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "investdesk.projects"
    label = "projects"
    verbose_name = _("Investment projects")

    def ready(self):
        from investdesk.projects import selectors  # noqa: F401  (registers the targets page's figures)
