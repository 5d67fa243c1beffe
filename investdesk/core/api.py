from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.core import policy, selectors, services
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, Role, Unit
from investdesk.core.schemas import AuditOut, MeOut, PersonDetailOut, PersonIn, PersonOut, UnitOut

router = Router(tags=["core"])


class SearchFilter(Schema):
    q: str | None = None


class UnitFilter(SearchFilter):
    kind: str | None = None


class PeopleFilter(SearchFilter):
    unit_id: int | None = None


class AuditFilter(SearchFilter):
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None


@router.get("/me", response=MeOut)
def me(request):
    return request.auth


@router.get("/units", response=list[UnitOut])
@paginate
def units(request, filters: Query[UnitFilter]):
    return selectors.units_search(q=filters.q, kind=filters.kind)


@router.get("/people", response=list[PersonOut])
@paginate
def people(request, filters: Query[PeopleFilter]):
    return selectors.people_for_directory(user=request.auth, q=filters.q, unit_id=filters.unit_id)


@router.get("/people/{person_id}", response=PersonDetailOut)
def person(request, person_id: int):
    found = selectors.person_get_for_user(user=request.auth, person_id=person_id)
    if found.pk != request.auth.pk and not policy.can(request.auth, policy.Capability.VIEW_PERSONAL):
        found.mobile = found.masked_mobile  # this caller sees it masked, as in lists
    elif found.mobile and found.pk != request.auth.pk:
        audit_log(actor=request.auth, action=AuditEntry.Action.VIEW_PERSONAL, target=found, note="mobile (API)")
    return found


@router.post("/people", response={201: PersonDetailOut})
def person_create(request, payload: PersonIn):
    policy.require(request.auth, policy.Capability.MANAGE_PEOPLE)
    if payload.role not in Role.values:
        raise DomainError(f"role must be one of {', '.join(Role.values)}", field="role")
    unit = Unit.objects.filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        raise DomainError("No active unit has this id.", field="unit_id")
    data = payload.dict(exclude={"unit_id"})
    return Status(201, services.user_create(actor=request.auth, unit=unit, **data))


@router.get("/audit", response=list[AuditOut])
@paginate
def audit(request, filters: Query[AuditFilter]):
    entries = selectors.audit_entries(
        user=request.auth,
        q=filters.q,
        action=filters.action,
        target_type=filters.target_type,
        target_id=filters.target_id,
    )
    audit_log(actor=request.auth, action=AuditEntry.Action.AUDIT, note=f"read (API) {request.GET.urlencode()}"[:300])
    return entries
