"""The navigation every page shows: the modules, which of them exist yet, and admin entries."""

from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _

from investdesk.core import policy
from investdesk.lib.reversing import reverse_fast as reverse  # every page: once per route, not per request

# (url name, label, bootstrap icon). A module whose URL is not installed yet is shown greyed out.
MODULES = [
    ("home", _("Home"), "house"),
    ("enterprises:list", _("Enterprises"), "buildings"),
    ("enterprises:actions", _("Service actions"), "flag"),
    ("cases:queue", _("Cases"), "clipboard-check"),
    ("projects:board", _("Projects"), "kanban"),
    ("outreach:campaigns", _("Outreach"), "envelope-paper"),
    ("emergency:incidents", _("Emergency response"), "heart-pulse"),
    ("reports:dashboard", _("Dashboard"), "bar-chart-line"),
    ("reports:bulletins", _("Work bulletins"), "file-earmark-text"),
    ("directory", _("Directory"), "person-lines-fill"),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    modules = [{"name": n, "label": label, "icon": icon, "url": _url(n)} for n, label, icon in MODULES]
    admin = []
    if policy.can(user, policy.Capability.MANAGE_UNITS):
        admin.append({"name": "manage_units", "label": _("Units"), "icon": "diagram-3", "url": reverse("manage_units")})
    if policy.can(user, policy.Capability.MANAGE_PEOPLE) or policy.can(user, policy.Capability.MANAGE_ROLES):
        admin.append({"name": "manage_people", "label": _("People"), "icon": "people", "url": reverse("manage_people")})
    if policy.can(user, policy.Capability.READ_AUDIT):
        admin.append(
            {
                "name": "audit_log",
                "label": _("Audit log"),
                "icon": "shield-check",
                "url": reverse("audit_log"),
            }
        )
    current = getattr(getattr(request, "resolver_match", None), "view_name", "")
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "nav_modules": modules,
        "nav_admin": admin,
        "nav_current": current,
        "nav_unread": unread,
        # Lists with personal data offer an unmasked export only to holders of the grant.
        "nav_export_personal": policy.can(user, policy.Capability.EXPORT_PERSONAL),
    }
