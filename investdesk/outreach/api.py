"""/api/v1/campaigns: create a draft, read it with its audience report and progress, submit, approve
(which sends); its messages' states; its responses."""

import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.core import policy
from investdesk.core.errors import DomainError
from investdesk.core.models import Unit
from investdesk.core.schemas import Id
from investdesk.enterprises import selectors as enterprise_selectors
from investdesk.outreach import selectors, services
from investdesk.outreach.models import Campaign

router = Router(tags=["outreach"])


class CampaignIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    audience: str = "enterprises"
    subject: str = Field(..., min_length=1, max_length=150)
    body: str = Field(..., min_length=1)
    filters: str = ""  # the enterprise list's query string, e.g. "status=operating&flags=key"
    enterprise_ids: list[Id] = []
    unit_ids: list[Id] = []
    scheduled_at: datetime.datetime | None = None


class CampaignOut(Schema):
    id: int
    name: str
    audience: str
    subject: str
    body: str
    filters: str
    status: str
    scheduled_at: datetime.datetime | None
    owner_unit_id: int
    created_by_id: int | None
    approved_by_id: int | None
    approved_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    version: int


class VersionIn(Schema):
    version: int | None = None


class MessageOut(Schema):
    id: int
    enterprise_id: int | None
    user_id: int | None
    name: str
    channel: str
    state: str
    attempts: int
    key: str
    provider_id: str
    last_error: str
    sent_at: datetime.datetime | None
    read_at: datetime.datetime | None

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.key.hex


class ResponseIn(Schema):
    enterprise_id: int
    who: str = Field(..., min_length=1, max_length=100)
    received_on: datetime.date
    via: str
    summary: str = Field(..., min_length=1)
    sentiment: str = "positive"
    needs_follow_up: bool = False


class ResponseOut(Schema):
    id: int
    enterprise_id: int
    who: str
    received_on: datetime.date
    via: str
    summary: str
    sentiment: str
    needs_follow_up: bool
    case_id: int | None


@router.get("/campaigns", response=list[CampaignOut])
@paginate
def campaign_list(request):
    return selectors.campaigns_for_user(user=request.auth)


@router.post("/campaigns", response={201: CampaignOut})
def campaign_create(request, payload: CampaignIn):
    data = payload.dict()
    enterprises = list(
        enterprise_selectors.enterprises_for_user(user=request.auth).filter(pk__in=data.pop("enterprise_ids"))
    )
    units = list(Unit.objects.filter(pk__in=data.pop("unit_ids"), is_active=True))
    return Status(201, services.campaign_create(actor=request.auth, enterprises=enterprises, units=units, **data))


@router.get("/campaigns/{campaign_id}")
def campaign_get(request, campaign_id: int):
    """The campaign, its audience report while a draft, its delivery progress and responses."""
    campaign = selectors.campaign_get_for_user(user=request.auth, campaign_id=campaign_id)
    body = CampaignOut.model_validate(campaign).model_dump()
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SUBMITTED):
        report = services.resolve_audience(user=campaign.created_by or request.auth, campaign=campaign)
        body["audience_report"] = {
            "recipients": len(report.recipients),
            "by_channel": report.by_channel,
            "unreachable_enterprise_ids": [e.pk for e in report.unreachable],
            "duplicates_removed": report.duplicates,
            "missing_values": [
                {"name": r.name, "enterprise_id": r.enterprise.pk if r.enterprise else None, "fields": r.missing}
                for r in report.missing_values
            ],
            "ready": report.ready,
        }
    progress = selectors.progress(campaign=campaign)
    body["progress"] = {k: v for k, v in progress.__dict__.items()}
    return body


@router.post("/campaigns/{campaign_id}/submit", response=CampaignOut)
def campaign_submit(request, campaign_id: int, payload: VersionIn):
    campaign = policy.get_editable_or_404(request.auth, Campaign.objects.all(), pk=campaign_id)
    return services.campaign_submit(actor=request.auth, campaign=campaign, version=payload.version)


@router.post("/campaigns/{campaign_id}/approve", response=CampaignOut)
def campaign_approve(request, campaign_id: int, payload: VersionIn):
    """Approve and send (or schedule, if `scheduled_at` is set): by someone other than the author."""
    campaign = selectors.campaign_get_for_user(user=request.auth, campaign_id=campaign_id)
    return services.campaign_approve(actor=request.auth, campaign=campaign, version=payload.version)


@router.get("/campaigns/{campaign_id}/messages", response=list[MessageOut])
@paginate
def message_list(request, campaign_id: int, state: str | None = None, channel: str | None = None):
    campaign = selectors.campaign_get_for_user(user=request.auth, campaign_id=campaign_id)
    return selectors.messages_of(campaign=campaign, state=state, channel=channel)


@router.get("/campaigns/{campaign_id}/responses", response=list[ResponseOut])
def response_list(request, campaign_id: int):
    campaign = selectors.campaign_get_for_user(user=request.auth, campaign_id=campaign_id)
    return list(selectors.responses_of(campaign=campaign))


@router.post("/campaigns/{campaign_id}/responses", response={201: ResponseOut})
def response_create(request, campaign_id: int, payload: ResponseIn):
    campaign = policy.get_editable_or_404(request.auth, Campaign.objects.all(), pk=campaign_id)
    data = payload.dict()
    enterprise = (
        enterprise_selectors.enterprises_for_user(user=request.auth).filter(pk=data.pop("enterprise_id")).first()
    )
    if enterprise is None:
        raise DomainError(_("No enterprise you can see has this id."), field="enterprise_id")
    return Status(201, services.response_add(actor=request.auth, campaign=campaign, enterprise=enterprise, **data))
