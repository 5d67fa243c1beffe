"""The one permission policy. Every page, API endpoint, export and report asks this module.

Rules (docs/architecture.md explains them with examples):

* A user sees and edits records owned by their unit and its sub-units.
* Bureau leaders see and edit everything.
* Dispatchers (who route cases across the province) read every non-confidential record.
* A record may be shared explicitly with another unit (and so its sub-units), read-only or editable.
* Confidential records (investment projects) are seen only by the owning unit's subtree, units they
  are explicitly shared with, and leaders: roles that read everything open (dispatchers) do not.
* Read-only observers never edit.
* Capabilities that are not about a record (managing people, reading the audit log) come from the
  role, through `can()`, plus the few a security administrator grants a person (`User.grants`).
* The three administrators are separated (三权分立): the system administrator manages units and
  people but neither roles nor the audit log; the security administrator assigns roles and grants
  and nothing else; the audit administrator reads and exports the audit log and nothing else.
* Personal data (mobile and ID numbers) is masked; people whose work is to contact investors
  (VIEW_PERSONAL) see it unmasked on a detail page, and that view is audited. Exports are masked
  unless the person holds the EXPORT_PERSONAL grant.

Records a user may not see answer 404 (`get_visible_or_404`), so their existence does not leak.
"""

from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from investdesk.core.models import Access, RecordShare, Role, Unit


class Capability(StrEnum):
    MANAGE_UNITS = "manage_units"
    MANAGE_PEOPLE = "manage_people"  # create, edit, disable people, reset passwords, end sessions
    MANAGE_ROLES = "manage_roles"  # assign roles and grants
    READ_AUDIT = "read_audit"  # read, verify and export the audit log
    VIEW_PERSONAL = "view_personal"  # see mobile and ID numbers unmasked on a detail page (audited)
    EXPORT_PERSONAL = "export_personal"  # export them unmasked (audited); only ever granted per person
    SEE_EVERYTHING = "see_everything"
    SEE_ALL_OPEN = "see_all_open"  # read every record that is not confidential
    DISPATCH = "dispatch"
    EDIT_RECORDS = "edit_records"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset({Capability.MANAGE_UNITS, Capability.MANAGE_PEOPLE, Capability.EDIT_RECORDS}),
    Role.SECURITY_ADMIN: frozenset({Capability.MANAGE_ROLES}),
    Role.AUDIT_ADMIN: frozenset({Capability.READ_AUDIT}),
    Role.LEADER: frozenset(
        {Capability.SEE_EVERYTHING, Capability.DISPATCH, Capability.EDIT_RECORDS, Capability.VIEW_PERSONAL}
    ),
    Role.DISPATCHER: frozenset(
        {Capability.DISPATCH, Capability.EDIT_RECORDS, Capability.SEE_ALL_OPEN, Capability.VIEW_PERSONAL}
    ),
    Role.STAFF: frozenset({Capability.EDIT_RECORDS, Capability.VIEW_PERSONAL}),
    Role.OBSERVER: frozenset(),
}

# What a security administrator may grant a person on top of their role.
GRANTABLE = (Capability.VIEW_PERSONAL, Capability.EXPORT_PERSONAL)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can(user, capability: Capability) -> bool:
    if not _active(user):
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset()) or capability in (user.grants or ())


def require(user, capability: Capability) -> None:
    """For pages that exist for everyone but only some may use (403 is fine: nothing leaks)."""
    if not can(user, capability):
        raise PermissionDenied


def _access(model: type[Model]) -> Access:
    access = getattr(model, "access", None)
    if not isinstance(access, Access):
        raise TypeError(f"{model.__name__} declares no `access = Access(owner=...)`; the policy cannot scope it.")
    return access


def _scope_filter(user, qs: QuerySet, *, edit: bool) -> QuerySet:
    if not _active(user):
        return qs.none()
    if edit and not can(user, Capability.EDIT_RECORDS):
        return qs.none()
    if can(user, Capability.SEE_EVERYTHING):
        return qs
    access = _access(qs.model)
    if access.parent:
        # A record inside another one (a contact of an enterprise) follows its parent.
        parent_model = qs.model._meta.get_field(access.parent).related_model
        parents = _scope_filter(user, parent_model._default_manager.all(), edit=edit)
        return qs.filter(**{f"{access.parent}__in": parents.values("pk")})
    if not edit and can(user, Capability.SEE_ALL_OPEN):
        if not access.confidential:
            return qs
        return qs.filter(Q(**{access.confidential: False}) | _owned_or_shared(user, qs, access, edit=False))
    if user.unit_id is None:
        return qs.none()
    return qs.filter(_owned_or_shared(user, qs, access, edit=edit))


def _owned_or_shared(user, qs: QuerySet, access: Access, *, edit: bool) -> Q:
    if user.unit_id is None:
        return Q(pk__in=[])
    unit_path = user.unit.path
    owned = Q(**{f"{access.owner}__path__startswith": unit_path})
    shares = RecordShare.objects.filter(
        content_type=ContentType.objects.get_for_model(qs.model), unit__path__startswith=unit_path
    )
    if edit:
        shares = shares.filter(can_edit=True)
    shared = Q(pk__in=shares.values("object_id"))
    return owned | shared


def within_unit(qs: QuerySet, unit_id: int | None, field: str = "owner_unit") -> QuerySet:
    """The rows of `qs` whose `field` is the unit `unit_id` or one of its sub-units (a filter the user
    chose, on top of what they may see); an unknown unit matches nothing, no unit leaves `qs` as is."""
    if not unit_id:
        return qs
    unit = Unit.objects.filter(pk=unit_id).only("path").first()
    return qs.filter(**{f"{field}__path__startswith": unit.path}) if unit else qs.none()


def visibility_key(user) -> str:
    """What `visible()` depends on, as a string: two users with the same key see the same rows of
    every model (figures computed for one may be shown to the other). The rules above read only the
    capabilities that widen the scope and the unit (shares are made to units)."""
    if not _active(user):
        return "none"
    if can(user, Capability.SEE_EVERYTHING):
        return "all"
    kind = "open" if can(user, Capability.SEE_ALL_OPEN) else "unit"
    return f"{kind}:{user.unit_id or '-'}"


def visible(user, qs: QuerySet) -> QuerySet:
    """The rows of `qs` the user may read."""
    return _scope_filter(user, qs, edit=False)


def editable(user, qs: QuerySet) -> QuerySet:
    """The rows of `qs` the user may change."""
    return _scope_filter(user, qs, edit=True)


def get_visible_or_404(user, qs: QuerySet, **lookup):
    try:
        return visible(user, qs).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


def get_editable_or_404(user, qs: QuerySet, **lookup):
    """404 if the user may not even see the row; 403 if they see it but may not change it."""
    obj = get_visible_or_404(user, qs, **lookup)
    if not editable(user, qs.model._default_manager.filter(pk=obj.pk)).exists():
        raise PermissionDenied
    return obj


def can_edit(user, obj: Model) -> bool:
    return editable(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
