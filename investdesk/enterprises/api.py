from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.core import policy
from investdesk.core.errors import DomainError
from investdesk.core.models import User
from investdesk.core.schemas import PaginationWithoutTotal
from investdesk.enterprises import selectors, services
from investdesk.enterprises.models import Contact, Industry, Visit
from investdesk.enterprises.schemas import (
    ActionProgressOut,
    ContactIn,
    ContactOut,
    EnterpriseIn,
    EnterpriseOut,
    EnterprisePatch,
    IndustryOut,
    ServiceActionOut,
    VisitIn,
    VisitOut,
)
from investdesk.lib.regions import SICHUAN_CITIES

router = Router(tags=["enterprises"])


class EnterpriseQuery(Schema):
    q: str | None = None
    city: str | None = None
    industry: int | None = None
    ownership: str | None = None
    status: str | None = None
    flags: list[str] = []
    unit: int | None = None
    liaison: int | None = None
    action: int | None = None


def _relations(data: dict) -> dict:
    """Turn *_id fields into objects, refusing ids that do not exist."""
    if "industry_id" in data:
        industry_id = data.pop("industry_id")
        data["industry"] = None
        if industry_id is not None:
            data["industry"] = Industry.objects.filter(pk=industry_id, is_active=True).first()
            if data["industry"] is None:
                raise DomainError(_("No industry has this id."), field="industry_id")
    if "liaison_id" in data:
        liaison_id = data.pop("liaison_id")
        data["liaison"] = None
        if liaison_id is not None:
            data["liaison"] = User.objects.filter(pk=liaison_id, is_active=True).first()
            if data["liaison"] is None:
                raise DomainError(_("No active person has this id."), field="liaison_id")
    return data


@router.get("/enterprises/cities", response=list[dict])
def cities(request):
    return [{"code": code, "name": name} for code, name, _ in SICHUAN_CITIES]


@router.get("/enterprises/industries", response=list[IndustryOut])
def industries(request):
    return selectors.industries()


@router.get("/enterprises", response=list[EnterpriseOut])
@paginate(PaginationWithoutTotal)
def enterprise_list(request, query: Query[EnterpriseQuery]):
    """The registry: `has_next` says whether another page follows; the total only with `count=true`."""
    return selectors.enterprises_for_user(user=request.auth, filters=selectors.EnterpriseFilter(**query.dict()))


@router.post("/enterprises", response={201: EnterpriseOut})
def enterprise_create(request, payload: EnterpriseIn):
    data = _relations(payload.dict())
    return Status(201, services.enterprise_create(actor=request.auth, **data))


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut)
def enterprise_get(request, enterprise_id: int):
    return selectors.enterprise_get_for_user(user=request.auth, enterprise_id=enterprise_id)


@router.patch("/enterprises/{enterprise_id}", response=EnterpriseOut)
def enterprise_patch(request, enterprise_id: int, payload: EnterprisePatch):
    enterprise = selectors.enterprise_get_editable(user=request.auth, enterprise_id=enterprise_id)
    data = _relations(payload.dict(exclude_unset=True))
    version = data.pop("version")
    return services.enterprise_update(actor=request.auth, enterprise=enterprise, version=version, **data)


@router.get("/enterprises/{enterprise_id}/contacts", response=list[ContactOut])
@paginate
def contact_list(request, enterprise_id: int):
    enterprise = selectors.enterprise_get_for_user(user=request.auth, enterprise_id=enterprise_id)
    return selectors.contacts_of(user=request.auth, enterprise=enterprise)


@router.post("/enterprises/{enterprise_id}/contacts", response={201: ContactOut})
def contact_create(request, enterprise_id: int, payload: ContactIn):
    enterprise = selectors.enterprise_get_editable(user=request.auth, enterprise_id=enterprise_id)
    if payload.preferred_channel not in Contact.Channel.values:
        raise DomainError(_("Unknown channel."), field="preferred_channel")
    return Status(201, services.contact_create(actor=request.auth, enterprise=enterprise, **payload.dict()))


def _visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk, "enterprise_id": visit.enterprise_id, "visited_on": visit.visited_on, "mode": visit.mode,
        "status": visit.status, "action_id": visit.action_id, "summary": visit.summary,
        "staff_ids": [p.pk for p in visit.staff.all()], "problems": [p.description for p in visit.problems.all()],
    }  # fmt: skip


@router.get("/visits", response=list[VisitOut])
@paginate
def visit_list(request, enterprise_id: int | None = None, action_id: int | None = None):
    enterprise = (
        selectors.enterprise_get_for_user(user=request.auth, enterprise_id=enterprise_id) if enterprise_id else None
    )
    action = selectors.service_action_get_for_user(user=request.auth, action_id=action_id) if action_id else None
    return [_visit_out(v) for v in selectors.visits_for_user(user=request.auth, enterprise=enterprise, action=action)]


@router.post("/visits", response={201: VisitOut})
def visit_create(request, payload: VisitIn):
    enterprise = selectors.enterprise_get_for_user(user=request.auth, enterprise_id=payload.enterprise_id)
    policy.require(request.auth, policy.Capability.EDIT_RECORDS)
    staff = list(User.objects.filter(pk__in=payload.staff_ids, is_active=True).select_related("unit"))
    if len(staff) != len(set(payload.staff_ids)):
        raise DomainError(_("Some staff ids are unknown or deactivated."), field="staff_ids")
    contacts = list(Contact.objects.filter(pk__in=payload.contact_ids, enterprise=enterprise))
    if len(contacts) != len(set(payload.contact_ids)):
        raise DomainError(_("A contact met must belong to the visited enterprise."), field="contact_ids")
    action = None
    if payload.action_id:
        action = selectors.service_action_get_for_user(user=request.auth, action_id=payload.action_id)
    if payload.mode not in Visit.Mode.values:
        raise DomainError(_("Unknown visit mode."), field="mode")
    if payload.status not in Visit.Status.values:
        raise DomainError(_("Unknown status."), field="status")
    visit = services.visit_create(
        actor=request.auth, enterprise=enterprise, visited_on=payload.visited_on, mode=payload.mode,
        staff=staff or [request.auth], contacts=contacts, action=action, summary=payload.summary,
        answers=payload.answers, problems=payload.problems, status=payload.status,
    )  # fmt: skip
    return Status(201, _visit_out(visit))


@router.get("/service-actions", response=list[ServiceActionOut])
@paginate
def action_list(request):
    return selectors.service_actions_for_user(user=request.auth)


@router.get("/service-actions/{action_id}/progress", response=ActionProgressOut)
def action_progress(request, action_id: int):
    action = selectors.service_action_get_for_user(user=request.auth, action_id=action_id)
    progress = selectors.service_action_progress(action=action)
    return {**progress.__dict__, "not_visited": progress.not_visited}
