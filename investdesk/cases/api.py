import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.cases import selectors, services
from investdesk.cases.models import Case, CaseCategory
from investdesk.core.errors import DomainError
from investdesk.core.models import Unit, User
from investdesk.core.schemas import Id
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.enterprises.models import VisitProblem

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: int
    number: str
    enterprise_id: int
    title: str
    description: str
    category_id: int
    source: str
    urgency: str
    status: str
    waiting_on: str
    rating: str
    lead_unit_id: int | None
    due_on: datetime.date | None
    is_supervised: bool
    reopen_count: int
    satisfaction: str
    resolution: str
    version: int


class CaseIn(Schema):
    enterprise_id: int | None = None
    problem_id: int | None = Field(None, description="A visit's problem: the enterprise and visit follow from it")
    title: str = Field("", max_length=120)
    description: str = ""
    category_id: int
    source: str = "visit"
    urgency: str = "normal"


class TransitionIn(Schema):
    action: str = Field(
        ...,
        description="assign, reassign, accept, return, progress, co_reply, request_extension, "
        "approve_extension, refuse_extension, resolve, follow_up, close, supervise",
    )
    version: int | None = Field(None, description="The version you read; a stale one answers 409")
    note: str = ""
    lead_unit_id: int | None = None
    lead_handler_id: int | None = None
    co_unit_ids: list[Id] = []
    outside_bodies: list[str] = []
    urgency: str | None = None
    rating: str | None = None
    waiting_on: str | None = None
    next_step: str | None = None
    assignment_id: int | None = None
    new_due_on: datetime.date | None = None
    resolution: str | None = None
    satisfaction: str | None = None


class CaseEventOut(Schema):
    at: datetime.datetime
    actor: str | None = Field(None, alias="actor.name")
    action: str
    from_status: str
    to_status: str
    note: str
    data: dict


class CaseQuery(Schema):
    queue: str = "all"
    q: str | None = None
    category: int | None = None


@router.get("/cases", response=list[CaseOut])
@paginate
def case_list(request, query: Query[CaseQuery]):
    if query.queue not in selectors.QUEUES:
        raise DomainError(_("Unknown queue."), field="queue")
    return selectors.case_queue(user=request.auth, queue=query.queue, q=query.q, category=query.category)


@router.post("/cases", response={201: CaseOut})
def case_create(request, payload: CaseIn):
    category = CaseCategory.objects.filter(pk=payload.category_id, is_active=True).first()
    if category is None:
        raise DomainError(_("No case category has this id."), field="category_id")
    problem = enterprise = None
    if payload.problem_id:
        problem = VisitProblem.objects.filter(pk=payload.problem_id).select_related("visit__enterprise").first()
        if problem is None:
            raise DomainError(_("No problem has this id."), field="problem_id")
        enterprise_selectors.visit_get_for_user(user=request.auth, visit_id=problem.visit_id)
        enterprise = problem.visit.enterprise
    elif payload.enterprise_id:
        enterprise = enterprise_selectors.enterprise_get_for_user(
            user=request.auth, enterprise_id=payload.enterprise_id
        )
    else:
        raise DomainError(_("Give the enterprise_id or the problem_id."), field="enterprise_id")
    for field, choices in (("source", Case.Source), ("urgency", Case.Urgency)):
        if getattr(payload, field) not in choices.values:
            raise DomainError(_("Unknown value."), field=field)
    case = services.case_register(
        actor=request.auth,
        enterprise=enterprise,
        problem=problem,
        visit=problem.visit if problem else None,
        title=payload.title,
        description=payload.description,
        category=category,
        source=payload.source,
        urgency=payload.urgency,
    )
    return Status(201, case)


@router.get("/cases/{case_id}", response=CaseOut)
def case_get(request, case_id: int):
    return selectors.case_get_for_user(user=request.auth, case_id=case_id)


@router.get("/cases/{case_id}/events", response=list[CaseEventOut])
def case_events(request, case_id: int):
    case = selectors.case_get_for_user(user=request.auth, case_id=case_id)
    return list(selectors.case_events(case=case))


@router.post("/cases/{case_id}/transitions", response=CaseOut)
def case_transition(request, case_id: int, payload: TransitionIn):
    case = selectors.case_get_for_user(user=request.auth, case_id=case_id)
    data = payload.dict(exclude_unset=True)
    action, version, note = data.pop("action"), data.pop("version", None), data.pop("note", "")
    if "lead_unit_id" in data:
        data["lead_unit"] = Unit.objects.filter(pk=data.pop("lead_unit_id"), is_active=True).first()
        if data["lead_unit"] is None:
            raise DomainError(_("No active unit has this id."), field="lead_unit_id")
    if "lead_handler_id" in data:
        data["lead_handler"] = User.objects.filter(pk=data.pop("lead_handler_id"), is_active=True).first()
    if "co_unit_ids" in data:
        data["co_units"] = list(Unit.objects.filter(pk__in=data.pop("co_unit_ids"), is_active=True))
    if "assignment_id" in data:
        data["assignment"] = case.assignments.filter(pk=data.pop("assignment_id")).first()
    return services.case_act(actor=request.auth, case=case, action=action, version=version, note=note, **data)


@router.get("/cases-figures")
def case_figures(request, start: datetime.date | None = None, end: datetime.date | None = None):
    figures = selectors.case_figures(user=request.auth, start=start, end=end)
    return figures.__dict__
