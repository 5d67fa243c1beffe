import datetime
from decimal import Decimal
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.core.errors import DomainError
from investdesk.core.models import Unit, User
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.enterprises.models import Industry
from investdesk.projects import selectors, services

router = Router(tags=["projects"])

Year = Annotated[int, Field(ge=2000, le=2100)]  # as for targets: a date of year 0 or 10000 cannot be built


class ProjectOut(Schema):
    id: int
    name: str
    investor_id: int
    industry_id: int | None
    amount: Decimal | None
    currency: str
    fx_rate: Decimal
    amount_cny: Decimal | None
    city: str
    source_unit_id: int
    owner_unit_id: int
    owner_id: int | None
    stage: str
    status: str
    likelihood: str
    expected_signing_on: datetime.date | None
    expected_start_on: datetime.date | None
    signed_on: datetime.date | None
    contract_amount_cny: Decimal | None
    started_on: datetime.date | None
    is_watched: bool
    version: int


class ProjectIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    investor_id: int
    industry_id: int | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    fx_rate: Decimal = Decimal(1)
    city: str = ""
    owner_id: int | None = None
    method: str = ""
    kind: str = "new"
    likelihood: str = ""
    expected_signing_on: datetime.date | None = None
    expected_start_on: datetime.date | None = None
    is_watched: bool = False
    watch_reason: str = ""


class StageIn(Schema):
    stage: str
    version: int | None = None
    reason: str = ""
    owner_id: int | None = None
    expected_signing_on: datetime.date | None = None
    amount: Decimal | None = None
    signed_on: datetime.date | None = None
    contract_amount_cny: Decimal | None = None
    started_on: datetime.date | None = None
    producing_on: datetime.date | None = None


class FollowUpIn(Schema):
    on: datetime.date
    mode: str = "phone"
    summary: str = Field(..., min_length=1)
    next_step: str = ""
    next_step_on: datetime.date | None = None


class FollowUpOut(Schema):
    id: int
    on: datetime.date
    mode: str
    summary: str
    next_step: str
    next_step_on: datetime.date | None


class ProjectQuery(Schema):
    q: str | None = None
    stage: str | None = None
    status: str | None = None
    unit: int | None = None
    city: str | None = None
    industry: int | None = None
    watched: bool = False
    likelihood: str | None = None
    signing_overdue: bool = False


def _owner(owner_id):
    if owner_id is None:
        return None
    person = User.objects.filter(pk=owner_id, is_active=True).first()
    if person is None:
        raise DomainError(_("No active person has this id."), field="owner_id")
    return person


@router.get("/projects", response=list[ProjectOut])
@paginate
def project_list(request, query: Query[ProjectQuery]):
    return selectors.projects_for_user(user=request.auth, filters=selectors.ProjectFilter(**query.dict()))


@router.post("/projects", response={201: ProjectOut})
def project_create(request, payload: ProjectIn):
    data = payload.dict()
    data["investor"] = enterprise_selectors.enterprise_get_for_user(
        user=request.auth, enterprise_id=data.pop("investor_id")
    )
    industry_id = data.pop("industry_id")
    data["industry"] = Industry.objects.filter(pk=industry_id).first() if industry_id else None
    data["owner"] = _owner(data.pop("owner_id"))
    return Status(201, services.project_create(actor=request.auth, **data))


@router.get("/projects/{project_id}", response=ProjectOut)
def project_get(request, project_id: int):
    return selectors.project_get_for_user(user=request.auth, project_id=project_id)


@router.post("/projects/{project_id}/stage", response=ProjectOut)
def project_stage(request, project_id: int, payload: StageIn):
    project = selectors.project_get_editable(user=request.auth, project_id=project_id)
    data = payload.dict(exclude_unset=True)
    if "owner_id" in data:
        data["owner"] = _owner(data.pop("owner_id"))
    return services.project_move_stage(
        actor=request.auth,
        project=project,
        to=data.pop("stage"),
        version=data.pop("version", None),
        reason=data.pop("reason", ""),
        **data,
    )


@router.get("/projects/{project_id}/followups", response=list[FollowUpOut])
def follow_ups(request, project_id: int):
    return list(selectors.project_get_for_user(user=request.auth, project_id=project_id).follow_ups.all())


@router.post("/projects/{project_id}/followups", response={201: FollowUpOut})
def follow_up_add(request, project_id: int, payload: FollowUpIn):
    project = selectors.project_get_editable(user=request.auth, project_id=project_id)
    return Status(201, services.follow_up_add(actor=request.auth, project=project, **payload.dict()))


@router.get("/targets")
def targets(request, year: Year, as_of: datetime.date | None = None):
    rows = selectors.target_progress(user=request.auth, year=year, as_of=as_of)
    return [
        {"unit_id": r.unit.pk, "unit": r.unit.name, "elapsed": r.elapsed, "expected": r.expected,
         "quarterly": r.quarterly,
         **{name: {"target": getattr(r, name).target, "actual": getattr(r, name).actual, "rate": getattr(r, name).rate}
            for name in ("signed_projects", "signed_amount", "funds_in_place", "started_projects")}}
        for r in rows
    ]  # fmt: skip


class TargetIn(Schema):
    """Amounts in yuan; the quarterly split (cumulative percent due by the end of Q1–Q3) is optional."""

    unit_id: int
    year: int = Field(..., ge=2000, le=2100)
    signed_projects: int = Field(0, ge=0)
    signed_amount_cny: Decimal = Field(Decimal(0), ge=0)
    funds_in_place_cny: Decimal = Field(Decimal(0), ge=0)
    started_projects: int = Field(0, ge=0)
    q1_pct: int | None = Field(None, ge=0, le=100)
    q2_pct: int | None = Field(None, ge=0, le=100)
    q3_pct: int | None = Field(None, ge=0, le=100)


class TargetOut(Schema):
    id: int
    unit_id: int
    year: int
    signed_projects: int
    signed_amount_cny: Decimal
    funds_in_place_cny: Decimal
    started_projects: int
    q1_pct: int | None
    q2_pct: int | None
    q3_pct: int | None
    version: int


@router.put("/targets", response=TargetOut)
def target_set(request, payload: TargetIn):
    data = payload.dict()
    unit = Unit.objects.filter(pk=data.pop("unit_id"), is_active=True).first()
    if unit is None:
        raise DomainError(_("No active unit has this id."), field="unit_id")
    return services.target_set(actor=request.auth, unit=unit, **data)


class PromotionEventOut(Schema):
    id: int
    name: str
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    place: str
    organiser_id: int
    status: str
    participant_count: int = 0


@router.get("/events", response=list[PromotionEventOut])
@paginate
def events(request):
    return selectors.events_for_user(user=request.auth)


@router.get("/events/{event_id}")
def event_get(request, event_id: int):
    event = selectors.event_get_for_user(user=request.auth, event_id=event_id)
    figures = selectors.event_figures(event=event)
    return {
        **PromotionEventOut.model_validate(event).model_dump(),
        "industry_ids": [i.pk for i in event.industries.all()],
        "participant_ids": list(event.participants.values_list("pk", flat=True)),
        "figures": figures.__dict__,
    }


class PlanTargetOut(Schema):
    id: int
    enterprise_id: int
    status: str
    owner_id: int | None
    note: str
    project_id: int | None


class PlanOut(Schema):
    id: int
    name: str
    industry_id: int | None
    event_id: int | None
    owner_unit_id: int
    description: str


@router.get("/plans", response=list[PlanOut])
@paginate
def plans(request):
    return selectors.plans_for_user(user=request.auth)


@router.get("/plans/{plan_id}")
def plan_get(request, plan_id: int):
    plan = selectors.plan_get_for_user(user=request.auth, plan_id=plan_id)
    return {
        **PlanOut.model_validate(plan).model_dump(),
        "targets": [PlanTargetOut.model_validate(t).model_dump() for t in plan.targets.order_by("id")],
        "conversion": selectors.plan_conversion(plan=plan),
    }


class ProjectPatch(Schema):
    """Send only what changes, with the `version` you read. Stages move through /stage."""

    version: int
    name: str | None = Field(None, min_length=1, max_length=120)
    amount: Decimal | None = None
    currency: str | None = None
    fx_rate: Decimal | None = None
    city: str | None = None
    owner_id: int | None = None
    likelihood: str | None = None
    expected_signing_on: datetime.date | None = None
    expected_start_on: datetime.date | None = None
    is_watched: bool | None = None
    watch_reason: str | None = None
    note: str | None = None


@router.patch("/projects/{project_id}", response=ProjectOut)
def project_patch(request, project_id: int, payload: ProjectPatch):
    project = selectors.project_get_editable(user=request.auth, project_id=project_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "owner_id" in data:
        data["owner"] = _owner(data.pop("owner_id"))
    return services.project_update(actor=request.auth, project=project, version=version, **data)


@router.get("/projects-figures")
def project_figures(request, year: Year):
    figures = selectors.pipeline_figures(user=request.auth, year=year)
    return figures.__dict__
