"""Edit forms over personal data: an editor without VIEW_PERSONAL may replace a stored mobile or ID
number but not read it. Their form is not prefilled with it, says what is stored (masked), and a
field they leave blank keeps the stored value; an editor who may read it gets it prefilled, and that
view is audited. Used by every edit page that shows personal data (people, contacts, shipments)."""

from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.models import AuditEntry


class Withheld:
    def __init__(self, request, record, fields, initial: dict, *, note: str):
        """`fields`: the personal fields of `record` (None when creating); `initial`: the form's initial
        data, from which the withheld values are removed."""
        self.record = record
        stored = [name for name in fields if record is not None and getattr(record, name)]
        self.names = [] if policy.can(request.user, policy.Capability.VIEW_PERSONAL) else stored
        for name in self.names:
            initial.pop(name, None)
        if stored and not self.names and request.method == "GET":
            audit_log(actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL, target=record, note=note)

    def _masked(self, name: str) -> str:
        mask = getattr(type(self.record)._meta.get_field(name), "mask", None)
        value = getattr(self.record, name)
        return (mask(value) if mask else getattr(self.record, f"masked_{name}", "")) or "****"

    def explain(self, form) -> None:
        """Tell, on each withheld field, what is stored (masked) and that blank keeps it."""
        for name in self.names:
            form.fields[name].help_text = _("Now %(masked)s; leave blank to keep it.") % {"masked": self._masked(name)}

    def keep_blank(self, data: dict) -> dict:
        """The cleaned data without the withheld fields left blank, so the stored values stay."""
        for name in self.names:
            if not data.get(name):
                data.pop(name, None)
        return data
