"""Every read of the pipeline, scoped by the policy (projects are confidential); the target progress
and signed-project performance are computed here, once."""

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core import policy, snapshots
from investdesk.core.models import Unit
from investdesk.lib.chinese_text import normalize_query
from investdesk.projects.models import STAGE_ORDER, FollowUp, FundsInPlace, Project, ProjectEvent, Stage, Target


@dataclass
class ProjectFilter:
    q: str | None = None
    stage: str | None = None
    status: str | None = None
    unit: int | None = None
    city: str | None = None
    industry: int | None = None
    watched: bool = False
    min_amount: Decimal | None = None  # yuan
    max_amount: Decimal | None = None
    signing_within_days: int | None = None
    signed_year: int | None = None  # drill-down from the targets page
    started_year: int | None = None
    likelihood: str | None = None  # high / medium / low, or "none" for not assessed
    signing_overdue: bool = False  # expected signing date passed, not signed


OPEN_STAGES = STAGE_ORDER[:4]  # before 已签约
OPEN_STATUSES = ["ongoing", "delayed"]


def projects_for_user(*, user, filters: ProjectFilter | None = None, where: Q | None = None) -> QuerySet[Project]:
    """The projects the user may see, filtered (`where` adds a condition of the caller's), with each
    project's last follow-up and whether its next step is late."""
    f = filters or ProjectFilter()
    qs = policy.visible(user, Project.objects.all())
    term = normalize_query(f.q)
    if term:
        qs = qs.filter(search_text__contains=term)
    if f.stage:
        qs = qs.filter(stage=f.stage)
    if f.status:
        qs = qs.filter(status=f.status)
    qs = policy.within_unit(qs, f.unit)
    if f.city:
        qs = qs.filter(city=f.city)
    if f.industry:
        qs = qs.filter(industry_id=f.industry)
    if f.watched:
        qs = qs.filter(is_watched=True)
    if f.min_amount is not None:
        qs = qs.filter(amount_cny__gte=f.min_amount)
    if f.max_amount is not None:
        qs = qs.filter(amount_cny__lte=f.max_amount)
    if f.signing_within_days is not None:
        today = timezone.localdate()
        qs = qs.filter(
            expected_signing_on__gte=today,
            expected_signing_on__lte=today + datetime.timedelta(days=f.signing_within_days),
        )
    if f.signed_year:
        qs = qs.filter(signed_on__year=f.signed_year)
    if f.started_year:
        qs = qs.filter(started_on__year=f.started_year)
    if f.likelihood:
        qs = qs.filter(likelihood="" if f.likelihood == "none" else f.likelihood)
    if f.signing_overdue:
        qs = qs.filter(expected_signing_on__lt=timezone.localdate(), stage__in=OPEN_STAGES, status__in=OPEN_STATUSES)
    if where is not None:
        qs = qs.filter(where)
    # The latest follow-up and the next step it set: a card is red when that step is overdue.
    latest = FollowUp.objects.filter(project=OuterRef("pk")).order_by("-on", "-id")
    return (
        qs.select_related("investor", "industry", "owner_unit", "source_unit", "owner")
        .annotate(
            last_follow_up=Subquery(latest.values("on")[:1]), next_step_on=Subquery(latest.values("next_step_on")[:1])
        )
        .annotate(step_late=ExpressionWrapper(Q(next_step_on__lt=timezone.localdate()), output_field=BooleanField()))
        .order_by("-updated_at", "-id")
    )


def project_get_for_user(*, user, project_id: int) -> Project:
    return policy.get_visible_or_404(
        user,
        Project.objects.select_related("investor", "industry", "owner_unit", "source_unit", "owner", "leader"),
        pk=project_id,
    )


def project_get_editable(*, user, project_id: int) -> Project:
    return policy.get_editable_or_404(user, Project.objects.select_related("investor"), pk=project_id)


# Cards a column shows at first, and adds each time its 更多 is pressed (board_cards); its header says
# how many there are, and its foot links to the full list. Seven columns of 50 cards took the board
# over 150 ms at the large scale, most of it drawing cards below the fold.
BOARD_CARDS = 20

# What a card shows (projects/board.html): a card loads these columns, its investor's name and its
# owning unit's, not the wide rows of the project, the investor and its people (whose personal
# fields would be decrypted for nothing).
BOARD_CARD_FIELDS = ["name", "stage", "status", "is_watched", "amount_cny", "city", "expected_signing_on",
                     "updated_at", "investor", "investor__name", "owner_unit", "owner_unit__name",
                     "owner_unit__short_name"]  # fmt: skip


@dataclass
class BoardColumn:
    stage: str
    label: str
    cards: list[Project]
    total: int  # ongoing or delayed projects at this stage

    @property
    def more(self) -> bool:
        return self.total > len(self.cards)


def _on_the_board(*, user, filters: ProjectFilter | None) -> QuerySet[Project]:
    """The cards the user may see: ongoing or delayed projects (lost, dropped and dormant ones are
    not on the board), each with only what its card shows."""
    projects = projects_for_user(
        user=user, filters=filters, where=Q(status__in=[Project.Status.ONGOING, Project.Status.DELAYED])
    )
    return projects.select_related(None).select_related("investor", "owner_unit").only(*BOARD_CARD_FIELDS)


def board(*, user, filters: ProjectFilter | None = None) -> list[BoardColumn]:
    """The kanban columns, each with its newest BOARD_CARDS cards and how many there are. One count
    query and one capped query per column, whatever the size; on PostgreSQL both read the partial
    index `project_board` (the counts without the table)."""
    cards = _on_the_board(user=user, filters=filters)
    totals = dict(cards.order_by().values_list("stage").annotate(n=Count("id")))
    return [
        BoardColumn(stage, Stage(stage).label,
                    list(cards.filter(stage=stage)[:BOARD_CARDS]) if totals.get(stage) else [], totals.get(stage, 0))
        for stage in STAGE_ORDER
    ]  # fmt: skip


def board_cards(*, user, stage: str, offset: int, filters: ProjectFilter | None = None) -> tuple[list[Project], bool]:
    """A column's next BOARD_CARDS cards after its first `offset` (its 更多), and whether more follow."""
    cards = list(_on_the_board(user=user, filters=filters).filter(stage=stage)[offset : offset + BOARD_CARDS + 1])
    return cards[:BOARD_CARDS], len(cards) > BOARD_CARDS


def closing(as_of: datetime.date, days: int = 30) -> Q:
    """Close to signing as of a day: ongoing, not signed, and at 拟签约 or expected to sign within `days`."""
    soon = Q(expected_signing_on__gte=as_of, expected_signing_on__lte=as_of + datetime.timedelta(days=days))
    return Q(status=Project.Status.ONGOING, stage__in=STAGE_ORDER[:4]) & (Q(stage=Stage.ABOUT_TO_SIGN) | soon)


def close_to_signing(*, user, days: int = 30) -> QuerySet[Project]:
    """The list leaders call through: 拟签约, or expected to sign within `days` days, by date."""
    where = closing(timezone.localdate(), days)
    return projects_for_user(user=user, where=where).order_by("expected_signing_on", "id")


# --- targets and performance --------------------------------------------------------------------


@dataclass
class Measure:
    target: Decimal
    actual: Decimal

    @property
    def rate(self) -> float | None:
        """Actual over target; None when no target is set for this measure."""
        return float(self.actual / self.target) if self.target else None


@dataclass
class UnitProgress:
    unit: Unit
    signed_projects: Measure
    signed_amount: Measure
    funds_in_place: Measure
    started_projects: Measure
    elapsed: float  # share of the year elapsed
    expected: float  # share of the goals due by now: the quarterly split, or `elapsed` without one
    quarterly: list[int] | None = None

    def ahead(self, measure: Measure) -> bool | None:
        return None if measure.rate is None else measure.rate >= self.expected


@dataclass
class Performance:
    signed: int
    fulfilled: int  # signed projects still being honoured (not lost or dropped)
    started: int
    contract_amount: Decimal
    funds: Decimal
    by_unit: list = field(default_factory=list)

    @property
    def fulfilment_rate(self) -> float:
        return self.fulfilled / self.signed if self.signed else 0.0

    @property
    def start_rate(self) -> float:
        return self.started / self.signed if self.signed else 0.0

    @property
    def funds_rate(self) -> float:
        return float(self.funds / self.contract_amount) if self.contract_amount else 0.0


def year_elapsed(year: int, as_of: datetime.date) -> float:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if as_of < start:
        return 0.0
    if as_of >= end:
        return 1.0
    return ((as_of - start).days + 1) / ((end - start).days + 1)


def target_progress(*, user, year: int, as_of: datetime.date | None = None) -> list[UnitProgress]:
    """Each unit's actual against its target for the year, with the share of it due by `as_of`
    (the target's quarterly split, or the elapsed share of the year).

    Actuals count the projects owned by the unit and its sub-units, in the user's scope: signed
    (signing date in the year), their contract amounts, funds in place received in the year, and
    projects started in the year."""
    as_of = as_of or timezone.localdate()
    elapsed = year_elapsed(year, as_of)
    targets = list(policy.visible(user, Target.objects.filter(year=year)).select_related("unit").order_by("unit__path"))
    if not targets:
        return []
    # Three grouped queries over the year's rows, whatever the number of targets: each unit's own
    # actuals, then each target's unit adds up its own and its sub-units' (paths nest).
    visible = policy.visible(user, Project.objects.all())
    start, end = datetime.date(year, 1, 1), min(as_of, datetime.date(year, 12, 31))
    signed = _by_unit(visible.filter(signed_on__gte=start, signed_on__lte=end), "owner_unit",
                      n=Count("id"), amount=Sum("contract_amount_cny"))  # fmt: skip
    started = _by_unit(visible.filter(started_on__gte=start, started_on__lte=end), "owner_unit", n=Count("id"))
    funds = _by_unit(
        FundsInPlace.objects.filter(project__in=visible.values("pk"), on__gte=start, on__lte=end),
        "project__owner_unit", amount=Sum("amount_cny"),
    )  # fmt: skip
    paths = dict(Unit.objects.filter(pk__in={*signed, *started, *funds}).values_list("pk", "path"))

    def total(per_unit: dict, name: str, under: str) -> Decimal:
        return sum((Decimal(v[name] or 0) for u, v in per_unit.items() if paths[u].startswith(under)), Decimal(0))

    rows = []
    for target in targets:
        under = target.unit.path
        rows.append(UnitProgress(
            unit=target.unit,
            signed_projects=Measure(Decimal(target.signed_projects), total(signed, "n", under)),
            signed_amount=Measure(target.signed_amount_cny, total(signed, "amount", under)),
            funds_in_place=Measure(target.funds_in_place_cny, total(funds, "amount", under)),
            started_projects=Measure(Decimal(target.started_projects), total(started, "n", under)),
            elapsed=elapsed,
            expected=target.expected_share(as_of),
            quarterly=target.quarterly,
        ))  # fmt: skip
    return rows


def _by_unit(qs: QuerySet, unit_field: str, **aggregates) -> dict[int, dict]:
    """{unit id: {aggregate: value}} of `qs` grouped by `unit_field`."""
    rows = qs.order_by().values(unit_field).annotate(**aggregates)
    return {r[unit_field]: r for r in rows}


def performance(*, user, year: int) -> Performance:
    """Signed-project performance for projects signed in `year`: 履约率 (still honoured), 开工率
    (started), 资金到位率 (funds in place over contract amount)."""
    signed = policy.visible(user, Project.objects.filter(signed_on__year=year))
    totals = signed.aggregate(
        n=Count("id"),
        fulfilled=Count("id", filter=~Q(status__in=[Project.Status.LOST, Project.Status.DROPPED])),
        started=Count("id", filter=Q(stage__in=[Stage.STARTED, Stage.PRODUCING])),
        contract=Sum("contract_amount_cny"),
    )
    funds = FundsInPlace.objects.filter(project__in=signed).aggregate(total=Sum("amount_cny"))["total"]
    return Performance(
        signed=totals["n"],
        fulfilled=totals["fulfilled"],
        started=totals["started"],
        contract_amount=totals["contract"] or Decimal(0),
        funds=funds or Decimal(0),
    )


# --- promotion events -----------------------------------------------------------------------------


def events_for_user(*, user):
    from investdesk.projects.models import PromotionEvent

    return (
        policy.visible(user, PromotionEvent.objects.select_related("organiser"))
        .annotate(participant_count=Count("participants", distinct=True))
        .order_by("-starts_on", "name")
    )


def event_get_for_user(*, user, event_id: int):
    from investdesk.projects.models import PromotionEvent

    return policy.get_visible_or_404(user, PromotionEvent.objects.select_related("organiser"), pk=event_id)


@dataclass
class EventFigures:
    participants: int
    projects_sourced: int
    projects_signed: int
    signed_amount: Decimal


def event_figures(*, event) -> EventFigures:
    """An event's counts. Projects are counted whoever owns them (the figures of the event are not
    confidential; the projects' details stay behind the policy)."""
    sourced = Project.objects.filter(event=event)
    signed = sourced.filter(signed_on__gte=event.starts_on, signed_on__lte=event.ends_on)
    return EventFigures(
        participants=event.participants.count(),
        projects_sourced=sourced.count(),
        projects_signed=signed.count(),
        signed_amount=signed.aggregate(total=Sum("contract_amount_cny"))["total"] or Decimal(0),
    )


# --- promotion plans ------------------------------------------------------------------------------


def plans_for_user(*, user):
    from investdesk.projects.models import PlanTarget, PromotionPlan

    return (
        policy.visible(user, PromotionPlan.objects.select_related("industry", "event", "owner_unit"))
        .annotate(
            target_count=Count("targets", distinct=True),
            converted=Count("targets", filter=Q(targets__status=PlanTarget.Status.PROJECT_CREATED), distinct=True),
        )
        .order_by("-created_at")
    )


def plan_get_for_user(*, user, plan_id: int):
    from investdesk.projects.models import PromotionPlan

    return policy.get_visible_or_404(user, PromotionPlan.objects.select_related("industry", "event"), pk=plan_id)


def plan_conversion(*, plan) -> dict[str, int]:
    """How many targets are at each status; `converted` is the number that became projects."""
    counts = dict(plan.targets.values_list("status").annotate(n=Count("id")))
    return {"total": sum(counts.values()), "converted": counts.get("project_created", 0), **counts}


# --- pipeline figures ----------------------------------------------------------------------------


@dataclass
class PipelineFigures:
    by_stage: dict[str, int]
    created: int
    converted: int  # created in the year and signed since
    median_days_to_sign: float | None
    lost_or_dropped: int

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.created if self.created else 0.0


def pipeline_figures(*, user, year: int) -> PipelineFigures:
    """The funnel (projects by stage, ongoing), conversion of the year's new projects to signed, and
    the median days from creation to signing — read from the projects' event history."""
    import statistics

    visible = policy.visible(user, Project.objects.all())
    by_stage = dict(visible.filter(status__in=["ongoing", "delayed"]).values_list("stage").annotate(n=Count("id")))
    created = ProjectEvent.objects.filter(
        project__in=visible.values("pk"), kind="created", on__gte=datetime.date(year, 1, 1),
        on__lte=datetime.date(year, 12, 31),
    )  # fmt: skip
    # Each of the year's new projects with its (latest) move to 已签约, if any: only those rows are read.
    last_signed = ProjectEvent.objects.filter(project=OuterRef("project"), kind="stage", to_value=Stage.SIGNED)
    pairs = (
        created.annotate(signed=Subquery(last_signed.order_by("-on", "-id").values("on")[:1]))
        .filter(signed__isnull=False)
        .values_list("on", "signed")
    )
    durations = [(signed - on).days for on, signed in pairs]
    return PipelineFigures(
        by_stage={stage: by_stage.get(stage, 0) for stage in STAGE_ORDER},
        created=created.count(),
        converted=len(durations),
        median_days_to_sign=statistics.median(durations) if durations else None,
        lost_or_dropped=visible.filter(status__in=["lost", "dropped"]).count(),
    )


# --- schedule: likelihood, expected against actual dates ----------------------------------------


@dataclass
class Slippage:
    count: int  # projects with both dates
    on_time: int  # actual on or before the expected date
    median_days: float | None  # median of actual minus expected (positive: late)


@dataclass
class ScheduleFigures:
    by_likelihood: list[tuple[str, str, int, Decimal]]  # (key, label, open projects, their amount)
    signing_overdue: int
    signing: Slippage
    start: Slippage


def _slippage(pairs) -> Slippage:
    import statistics

    days = [(actual - expected).days for actual, expected in pairs]
    return Slippage(
        count=len(days),
        on_time=sum(1 for d in days if d <= 0),
        median_days=statistics.median(days) if days else None,
    )


def schedule_figures(*, user, year: int) -> ScheduleFigures:
    """How the open pipeline is judged (likelihood to land, count and amount), how many projects are
    past their expected signing date, and how the year's signings and starts kept to the expected
    dates."""
    visible = policy.visible(user, Project.objects.all())
    open_projects = visible.filter(stage__in=OPEN_STAGES, status__in=OPEN_STATUSES)
    rows = {
        r["likelihood"]: r for r in open_projects.values("likelihood").annotate(n=Count("id"), amount=Sum("amount_cny"))
    }
    by_likelihood = [
        (key or "none", label, rows.get(key, {}).get("n", 0), rows.get(key, {}).get("amount") or Decimal(0))
        for key, label in [*Project.Likelihood.choices, ("", _("Not assessed"))]
    ]
    signed = visible.filter(signed_on__year=year, expected_signing_on__isnull=False)
    started = visible.filter(started_on__year=year, expected_start_on__isnull=False)
    return ScheduleFigures(
        by_likelihood=by_likelihood,
        signing_overdue=open_projects.filter(expected_signing_on__lt=timezone.localdate()).count(),
        signing=_slippage(signed.values_list("signed_on", "expected_signing_on")),
        start=_slippage(started.values_list("started_on", "expected_start_on")),
    )


# --- the targets page: its figures computed once (core/snapshots.py) ----------------------------------


@dataclass
class TargetsPage:
    rows: list[UnitProgress]
    performance: Performance
    pipeline: PipelineFigures
    schedule: ScheduleFigures
    computed_at: datetime.datetime | None = None


def targets_page(*, user, year: int, as_of: datetime.date, max_age: int | None = None) -> TargetsPage:
    """Every figure of the targets page for the year up to `as_of`, in the user's scope, as computed
    at most `max_age` seconds ago (FIGURES_MAX_AGE by default; 0 computes them now)."""
    [done] = snapshots.computed(
        user=user, wanted=[("projects.targets", {"year": year, "as_of": as_of.isoformat()})], max_age=max_age
    )
    done.value.computed_at = done.computed_at
    return done.value


def _targets_compute(user, params: dict) -> TargetsPage:
    year, as_of = params["year"], datetime.date.fromisoformat(params["as_of"])
    return TargetsPage(
        rows=target_progress(user=user, year=year, as_of=as_of),
        performance=performance(user=user, year=year),
        pipeline=pipeline_figures(user=user, year=year),
        schedule=schedule_figures(user=user, year=year),
    )


_MEASURES = ("signed_projects", "signed_amount", "funds_in_place", "started_projects")


def _targets_dump(page: TargetsPage) -> dict:
    rows = [
        {"unit": {"id": r.unit.pk, "name": r.unit.name, "path": r.unit.path},
         **{m: asdict(getattr(r, m)) for m in _MEASURES},
         "elapsed": r.elapsed, "expected": r.expected, "quarterly": r.quarterly}
        for r in page.rows
    ]  # fmt: skip
    return {"rows": rows, "performance": asdict(page.performance), "pipeline": asdict(page.pipeline),
            "schedule": asdict(page.schedule)}  # fmt: skip


def _targets_load(data: dict) -> TargetsPage:
    rows = [
        UnitProgress(unit=Unit(**r.pop("unit")), **{m: Measure(**r.pop(m)) for m in _MEASURES}, **r)
        for r in data["rows"]
    ]
    schedule = data["schedule"]
    return TargetsPage(
        rows=rows,
        performance=Performance(**data["performance"]),
        pipeline=PipelineFigures(**data["pipeline"]),
        schedule=ScheduleFigures(
            by_likelihood=[tuple(row) for row in schedule["by_likelihood"]],
            signing_overdue=schedule["signing_overdue"],
            signing=Slippage(**schedule["signing"]),
            start=Slippage(**schedule["start"]),
        ),
    )


# People open the targets page to see what they just did count (a project signed, a target set), and
# project writes are few: a write drops the page's snapshots, and the next view computes them.
snapshots.register(snapshots.Computation(
    "projects.targets", _targets_compute, _targets_dump, _targets_load, depends_on=("projects",),
    fresh_after_write=True,
))  # fmt: skip
