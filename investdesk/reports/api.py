"""/api/v1/stats/{section} — the dashboard's figures as JSON; /api/v1/bulletins — saved bulletins,
and drafting one (its text with the figures filled in, and the figures)."""

import datetime

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from investdesk.reports import documents, selectors, services
from investdesk.reports.figures import SECTIONS, Scope, period_bounds

router = Router(tags=["reports"])


class StatsQuery(Schema):
    from_: datetime.date | None = Field(None, alias="from")
    to: datetime.date | None = None
    unit: int | None = None
    incident: int | None = None
    fresh: bool = False

    def scope(self) -> Scope:
        start, end = period_bounds("year", timezone.localdate())
        return Scope(start=self.from_ or start, end=self.to or end, unit_id=self.unit, incident_id=self.incident)


def _figure(f) -> dict:
    return {"label": str(f.label), "value": f.value, "display": f.display(), "kind": f.kind, "measure": f.measure,
            "query": str(f.query)}  # fmt: skip


@router.get("/stats/{section}")
def stats(request, section: str, query: Query[StatsQuery]):
    """The figures of one dashboard section (aftercare, pipeline, emergency, outreach) for the scope,
    in the caller's permission scope — the same numbers as the dashboard, computed at `computed_at`
    (at most FIGURES_MAX_AGE seconds before, unless `fresh=true` asks for them computed now)."""
    if section not in SECTIONS:
        raise Http404
    scope = query.scope()
    [result] = selectors.dashboard(user=request.auth, scope=scope, keys=[section], max_age=0 if query.fresh else None)
    return {
        "section": section,
        "scope": scope.as_dict(),
        "computed_at": result.computed_at,
        "figures": {name: _figure(f) for name, f in result.figures.items()},
        "tables": result.tables,
    }


class BulletinOut(Schema):
    id: int
    name: str
    year: int
    number: int | None
    title: str
    status: str
    issued_on: datetime.date
    period_start: datetime.date
    period_end: datetime.date
    issuing_unit_id: int
    unit_id: int | None
    incident_id: int | None


class BulletinIn(Schema):
    sections: list[str]
    from_: datetime.date = Field(..., alias="from")
    to: datetime.date
    unit: int | None = None
    incident: int | None = None
    title: str = ""
    name: str = "工作简报"
    rounded: bool = False


def _full(bulletin) -> dict:
    return {
        **BulletinOut.model_validate(bulletin).model_dump(),
        "sections": [
            {"key": s["key"], "heading": s["heading"], "template": s["text"],
             "text": documents.render_text(bulletin, s["text"])}
            for s in bulletin.sections
        ],
        "figures": bulletin.figures,
        "figures_at": bulletin.figures_at,
    }  # fmt: skip


@router.get("/bulletins", response=list[BulletinOut])
@paginate
def bulletin_list(request):
    return selectors.bulletins_for_user(user=request.auth)


@router.get("/bulletins/{bulletin_id}")
def bulletin_get(request, bulletin_id: int):
    return _full(selectors.bulletin_get_for_user(user=request.auth, bulletin_id=bulletin_id))


@router.post("/bulletins", response={201: dict})
def bulletin_create(request, payload: BulletinIn):
    """Draft a bulletin: its text (figures filled in; `template` keeps the {tokens}) and figures."""
    bulletin = services.bulletin_draft(
        actor=request.auth,
        scope=Scope(start=payload.from_, end=payload.to, unit_id=payload.unit, incident_id=payload.incident),
        keys=payload.sections,
        title=payload.title,
        name=payload.name,
        rounded=payload.rounded,
    )
    return Status(201, _full(bulletin))
