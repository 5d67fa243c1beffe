"""Enterprise problems routed to the units that can solve them: 受理 → 交办 → 办理 → 办结 → 回访 → 评价."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from investdesk.core.models import Access, ReferenceTable, Unit
from investdesk.enterprises.models import Enterprise, Visit, VisitProblem


class CaseCategory(ReferenceTable):
    """物流运输, 供应链, 用工, … Administrators edit the table; each may carry a reply template."""

    reply_template = models.TextField(_("reply template"), blank=True)

    class Meta(ReferenceTable.Meta):
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")


# The statuses of the cases in the queues that are bound to a status (all of them but extension
# requests): open, and resolved (to follow up). A test checks the queues' definitions against it.
QUEUE_STATUSES = ["assigned", "in_progress", "registered", "resolved"]


class Case(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CLOSED = "closed", pgettext_lazy("case", "Closed")

    class Source(models.TextChoices):
        VISIT = "visit", _("Visit")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        ONLINE = "online", _("Online")
        REFERRAL = "referral", _("Referral from another unit")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        NORMAL = "normal", _("Normal")

    class WaitingOn(models.TextChoices):
        NONE = "", _("—")
        OUR_UNIT = "our_unit", _("Our unit")
        OTHER_DEPARTMENT = "other_department", _("Another department")
        ENTERPRISE = "enterprise", _("The enterprise")

    class Rating(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        DELAYED = "delayed", _("Delayed")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    category = models.ForeignKey(CaseCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.VISIT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    problem = models.OneToOneField(VisitProblem, null=True, blank=True, on_delete=models.SET_NULL, related_name="case")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    waiting_on = models.CharField(_("waiting on"), max_length=20, choices=WaitingOn.choices, blank=True, default="")
    rating = models.CharField(_("progress"), max_length=10, choices=Rating.choices, blank=True, default="")
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("registering unit"), on_delete=models.PROTECT, related_name="+")
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on_time = models.BooleanField(null=True, editable=False)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    follow_up_comment = models.TextField(_("follow-up comment"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_supervised = models.BooleanField(_("under supervision"), default=False)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["lead_unit", "status"]),
            models.Index(fields=["owner_unit", "status"]),
            models.Index(fields=["status", "due_on"]),
            # The queue tabs' counts (selectors.queue_counts): every column they read, for the cases
            # in a queue's status only, so the counts are an index-only scan of the open and resolved
            # cases, never of the closed ones that make most of the table in time.
            models.Index(
                fields=["status", "lead_unit", "due_on", "is_supervised", "owner_unit", "id"],
                condition=models.Q(status__in=QUEUE_STATUSES),
                name="case_queues",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CLOSED, self.Status.RESOLVED, self.Status.FOLLOWED_UP)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()


class Assignment(models.Model):
    """One party handling a case: the lead unit (主办) or a co-handling unit (协办), each with its own
    handler, reply and deadline. An outside body without accounts is recorded by name."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        CO = "co", _("Co-handling unit")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outside_body = models.CharField(_("outside body"), max_length=100, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="case")

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | ~models.Q(outside_body=""), name="assignment_has_a_party"
            )
        ]

    def __str__(self) -> str:
        return str(self.unit or self.outside_body)

    @property
    def party(self) -> str:
        return self.unit.name if self.unit_id else self.outside_body


ACTION_LABELS = {
    "register": _("Register"),
    "assign": _("Assign"),
    "reassign": _("Reassign"),
    "accept": _("Accept"),
    "return": _("Return to the dispatcher"),
    "progress": _("Report progress"),
    "co_reply": _("Co-handling reply"),
    "request_extension": _("Ask for more time"),
    "approve_extension": _("Approve the extension"),
    "refuse_extension": _("Refuse the extension"),
    "resolve": _("Resolve"),
    "follow_up": _("Record the follow-up"),
    "close": _("Close"),
    "supervise": _("Put under supervision"),
    "overdue": _("Overdue: under supervision"),
    "attach": _("Attach a file"),
    "thanks": _("Thank-you letter"),
}


class CaseEvent(models.Model):
    """One immutable step of a case's history: who did what, when, from which status to which."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    access = Access(parent="case")

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # The cases ever returned to the dispatcher (the "returned" queue): a few among millions.
            models.Index(fields=["case"], condition=models.Q(action="return"), name="caseevent_returns"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Case events are immutable.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def to_status_label(self) -> str:
        return str(Case.Status(self.to_status).label) if self.to_status in Case.Status.values else ""


class Extension(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    new_due_on = models.DateField(_("new due date"))
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    access = Access(parent="case")

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            # The requests waiting for a decision (the "extension requests" queue).
            models.Index(fields=["case"], condition=models.Q(status="pending"), name="extension_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.new_due_on}"


def _attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.case_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class CaseAttachment(models.Model):
    """A file attached to a case, served only through the case's permission check."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="case")

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


def _letter_path(instance, filename: str) -> str:
    return f"letters/{instance.enterprise_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class ThankYouLetter(models.Model):
    """A thank-you letter (感谢信) from an enterprise, for a case or for the agency's service."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="thank_you_letters"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="thank_you_letters"
    )
    received_on = models.DateField(_("received on"))
    sender = models.CharField(_("from"), max_length=100)
    summary = models.TextField(_("summary"))
    file = models.FileField(upload_to=_letter_path, max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="enterprise")

    class Meta:
        verbose_name = _("thank-you letter")
        verbose_name_plural = _("thank-you letters")
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.received_on}"
