"""The registry's .xlsx export: the filtered list with Chinese headers. The contact's mobile and email
are personal data: `core.exports.xlsx_export` masks them unless the export may be unmasked."""

from django.utils.translation import gettext as _

from investdesk.enterprises import selectors
from investdesk.lib.masking import mask_email, mask_phone


def enterprises_table(*, enterprises) -> dict:
    """The keyword arguments of `xlsx_export` for these enterprises (personal data in full)."""
    rows = []
    batch: list = []

    def flush():
        primary = selectors.primary_contacts(batch)
        for e in batch:
            c = primary.get(e.pk)
            rows.append((
                e.name, e.name_en, e.uscc or "", e.city_name, e.industry.name if e.industry else "",
                e.get_ownership_display(), e.investor_country, "、".join(e.flags), e.employees,
                e.get_status_display(), e.owner_unit.name, e.liaison.name if e.liaison else "",
                e.last_visit_on, c.name if c else "", c.title if c else "", c.mobile if c else "",
                c.email if c else "",
            ))  # fmt: skip
        batch.clear()

    for enterprise in enterprises.iterator(chunk_size=1000):
        batch.append(enterprise)
        if len(batch) == 1000:
            flush()
    flush()
    headers = [_("Chinese name"), _("English name"), _("Unified social credit code"), _("City/prefecture"),
               _("Industry"), _("Ownership"), _("Investor country/region"), _("Flags"), _("Employees"),
               _("Status"), _("Owning unit"), _("Liaison officer"), _("Last visit"), _("Contact"), _("Title"),
               _("Mobile"), _("Email")]  # fmt: skip
    return {
        "title": _("Enterprises"),
        "headers": headers,
        "rows": rows,
        "widths": [30, 30, 22, 10, 14, 12, 12, 18, 8, 8, 22, 10, 12, 10, 14, 14, 22],
        "personal": {15: mask_phone, 16: mask_email},
    }
