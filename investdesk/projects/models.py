"""The investment project pipeline: 线索 → 意向 → 在谈 → 拟签约 → 已签约 → 已开工 → 已投产."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.models import Access, Unit
from investdesk.enterprises.models import Enterprise, Industry
from investdesk.lib.money import CURRENCIES
from investdesk.lib.regions import CITY_CHOICES, CITY_NAMES


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    INTENTION = "intention", _("Intention")
    NEGOTIATING = "negotiating", _("Negotiating")
    ABOUT_TO_SIGN = "about_to_sign", _("About to sign")
    SIGNED = "signed", _("Signed")
    STARTED = "started", _("Started")
    PRODUCING = "producing", _("Producing")


STAGE_ORDER = list(Stage.values)


class Project(models.Model):
    class Status(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        DELAYED = "delayed", _("Delayed")
        DORMANT = "dormant", _("Dormant")
        LOST = "lost", _("Lost")
        DROPPED = "dropped", _("Dropped")

    class Method(models.TextChoices):
        INVESTOR_REFERRAL = "investor_referral", _("Investors bringing investors (以商招商)")
        CHAIN = "chain", _("Industrial-chain promotion (产业链招商)")
        ON_SITE = "on_site", _("On-site promotion (驻点招商)")
        ONLINE = "online", _("Online promotion (云招商)")
        EVENT = "event", _("Promotion event")

    class Kind(models.TextChoices):
        NEW = "new", _("New investor")
        EXPANSION = "expansion", _("Expansion or reinvestment")
        JOINT_VENTURE = "joint_venture", _("Joint venture")
        MERGER = "merger", _("Merger or acquisition")

    class Likelihood(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    name = models.CharField(_("project name"), max_length=120)
    investor = models.ForeignKey(
        Enterprise, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="projects"
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("investment amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="CNY")
    fx_rate = models.DecimalField(
        _("exchange rate (yuan per unit)"), max_digits=12, decimal_places=6, default=Decimal(1)
    )
    amount_cny = models.DecimalField(
        _("amount in yuan"), max_digits=18, decimal_places=2, null=True, blank=True, editable=False
    )
    city = models.CharField(_("landing city/prefecture"), max_length=20, choices=CITY_CHOICES, blank=True)
    source_unit = models.ForeignKey(Unit, verbose_name=_("source unit"), on_delete=models.PROTECT, related_name="+")
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bureau leader following it"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(_("promotion method"), max_length=20, choices=Method.choices, blank=True)
    kind = models.CharField(_("project type"), max_length=20, choices=Kind.choices, default=Kind.NEW)
    likelihood = models.CharField(_("likelihood to land"), max_length=10, choices=Likelihood.choices, blank=True)
    new_jobs = models.PositiveIntegerField(_("new jobs"), null=True, blank=True)
    expected_signing_on = models.DateField(_("expected signing date"), null=True, blank=True)
    expected_start_on = models.DateField(_("expected start date"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    contract_amount_cny = models.DecimalField(
        _("contract amount (yuan)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    started_on = models.DateField(_("start date"), null=True, blank=True)
    producing_on = models.DateField(_("production date"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ONGOING)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    lost_to = models.CharField(_("lost to (region)"), max_length=60, blank=True)
    is_watched = models.BooleanField(_("watch list (重点盯)"), default=False)
    watch_reason = models.CharField(_("why it is watched"), max_length=200, blank=True)
    is_confidential = models.BooleanField(_("confidential"), default=True)
    event = models.ForeignKey(
        "PromotionEvent",
        verbose_name=_("promotion event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    note = models.TextField(_("note"), blank=True)
    search_text = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit", confidential="is_confidential")

    class Meta:
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "status"]),
            # The board's and the list's default order: the newest first without sorting the table.
            models.Index(fields=["-updated_at", "-id"], name="project_recent"),
            # The board: its columns are the ongoing and delayed projects of a stage, newest first, and
            # their counts by stage. Each column's cards are the first entries of its stage here,
            # and the counts an index-only scan (the other statuses are left out of the index).
            models.Index(
                fields=["stage", "-updated_at", "-id"],
                condition=models.Q(status__in=["ongoing", "delayed"]),
                name="project_board",
            ),
            models.Index(fields=["owner_unit", "stage"]),
            models.Index(fields=["signed_on"]),
            models.Index(fields=["expected_signing_on"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def city_name(self) -> str:
        return CITY_NAMES.get(self.city, "")

    @property
    def signing_slip(self) -> int | None:
        """Days the actual signing came after the expected date (negative: early)."""
        if self.signed_on and self.expected_signing_on:
            return (self.signed_on - self.expected_signing_on).days
        return None

    @property
    def start_slip(self) -> int | None:
        if self.started_on and self.expected_start_on:
            return (self.started_on - self.expected_start_on).days
        return None

    @property
    def stage_index(self) -> int:
        return STAGE_ORDER.index(self.stage)


class ProjectEvent(models.Model):
    """An immutable stage or status change: the history that conversion and cycle times come from."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    on = models.DateField(default=timezone.localdate)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10)  # created, stage, status
    from_value = models.CharField(max_length=20, blank=True)
    to_value = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    access = Access(parent="project")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "to_value", "on"])]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.from_value}→{self.to_value}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Project events are immutable.")
        super().save(*args, **kwargs)

    def _label(self, value: str) -> str:
        choices = Project.Status if self.kind == "status" else Stage
        return str(choices(value).label) if value in choices.values else value

    @property
    def from_label(self) -> str:
        return self._label(self.from_value)

    @property
    def to_label(self) -> str:
        return self._label(self.to_value)


class FollowUp(models.Model):
    class Mode(models.TextChoices):
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video negotiation")
        ON_SITE = "on_site", _("On site")
        MEETING = "meeting", _("Meeting")
        EVENT = "event", _("At an event")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="follow_ups")
    on = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("who took part"), blank=True, related_name="+"
    )
    summary = models.TextField(_("summary"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step by"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="project")

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.project} {self.on}"


class FundsInPlace(models.Model):
    """到位资金: money actually invested, a dated series per project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funds")
    on = models.DateField(_("date"))
    amount_cny = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    access = Access(parent="project")

    class Meta:
        ordering = ["on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cny__gt=0), name="funds_positive")]

    def __str__(self) -> str:
        return f"{self.project} {self.on} {self.amount_cny}"


class Target(models.Model):
    """目标任务: a unit's yearly goals."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    signed_projects = models.PositiveIntegerField(_("signed projects"), default=0)
    signed_amount_cny = models.DecimalField(_("signed amount (yuan)"), max_digits=18, decimal_places=2, default=0)
    funds_in_place_cny = models.DecimalField(_("funds in place (yuan)"), max_digits=18, decimal_places=2, default=0)
    started_projects = models.PositiveIntegerField(_("projects started"), default=0)
    # Optional quarterly split (分季度): the share of the year's goals due by the end of Q1, Q2 and
    # Q3, cumulative, in percent (Q4 is always 100). Without it the expected share is the elapsed
    # share of the year.
    q1_pct = models.PositiveSmallIntegerField(_("due by end of Q1 (%)"), null=True, blank=True)
    q2_pct = models.PositiveSmallIntegerField(_("due by end of Q2 (%)"), null=True, blank=True)
    q3_pct = models.PositiveSmallIntegerField(_("due by end of Q3 (%)"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="unit")

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["year", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="one_target_per_unit_year")]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"

    @property
    def quarterly(self) -> list[int] | None:
        split = [self.q1_pct, self.q2_pct, self.q3_pct]
        return None if None in split else [*split, 100]

    def clean(self):
        split = [self.q1_pct, self.q2_pct, self.q3_pct]
        if any(v is not None for v in split):
            if None in split:
                raise ValidationError({"q3_pct": _("Give the share due by the end of each of Q1, Q2 and Q3.")})
            if not (split[0] <= split[1] <= split[2] <= 100):
                raise ValidationError(
                    {"q2_pct": _("The quarterly shares are cumulative: each at least the one before, at most 100.")}
                )

    def expected_share(self, as_of: datetime.date) -> float:
        """The share of the year's goals due by `as_of`: the quarterly split, interpolated by day
        within a quarter, or the elapsed share of the year without a split."""
        start, end = datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31)
        if as_of < start:
            return 0.0
        if as_of >= end:
            return 1.0
        split = self.quarterly
        if split is None:
            return ((as_of - start).days + 1) / ((end - start).days + 1)
        quarter = (as_of.month - 1) // 3
        q_start = datetime.date(self.year, quarter * 3 + 1, 1)
        q_end = datetime.date(self.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1) - datetime.timedelta(days=1)
        before = split[quarter - 1] if quarter else 0
        within = ((as_of - q_start).days + 1) / ((q_end - q_start).days + 1)
        return (before + (split[quarter] - before) * within) / 100


class PromotionEvent(models.Model):
    """A promotion conference (推介会), trade fair (展会, e.g. CIFIT 投洽会), symposium or inspection tour."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", _("Promotion conference")
        FAIR = "fair", _("Trade fair")
        SYMPOSIUM = "symposium", _("Symposium")
        TOUR = "tour", _("Inspection tour")

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")
        READY = "ready", _("Ready")
        HELD = "held", _("Held")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("city"), max_length=40)
    organiser = models.ForeignKey(Unit, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+")
    industries = models.ManyToManyField(Industry, verbose_name=_("industries"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNING)
    participants = models.ManyToManyField(
        Enterprise, verbose_name=_("participating enterprises"), blank=True, related_name="promotion_events"
    )
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="organiser")

    class Meta:
        verbose_name = _("promotion event")
        verbose_name_plural = _("promotion events")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="event_period_order")
        ]

    def __str__(self) -> str:
        return self.name


class PromotionPlan(models.Model):
    """招商方案: the investors a chain, event or office sets out to approach, and how far each got."""

    name = models.CharField(_("name"), max_length=120)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey(
        PromotionEvent,
        verbose_name=_("promotion event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("promotion plan")
        verbose_name_plural = _("promotion plans")
        ordering = ["-created_at", "name"]

    def __str__(self) -> str:
        return self.name


class PlanTarget(models.Model):
    class Status(models.TextChoices):
        NOT_CONTACTED = "not_contacted", _("Not contacted")
        CONTACTED = "contacted", _("Contacted")
        INTERESTED = "interested", _("Interested")
        PROJECT_CREATED = "project_created", _("Project created")
        DECLINED = "declined", _("Declined")

    plan = models.ForeignKey(PromotionPlan, on_delete=models.CASCADE, related_name="targets")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="plan_targets"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NOT_CONTACTED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    project = models.OneToOneField(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_target"
    )

    access = Access(parent="plan")

    class Meta:
        ordering = ["status", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "enterprise"], name="plan_target_once")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.enterprise}"
