"""Emergency response (突发事件): donations and pledges, relief shipments, staff volunteer service and
the production of critical enterprises, each belonging to an incident.

Money is exact (Decimal yuan). A donation is the pledge (认捐); what arrives is recorded as dated
receipts (到账/到货) against it, never more than was pledged."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.fields import MASK_ID_NUMBER, NORMALIZE_ID_NUMBER, EncryptedCharField
from investdesk.core.models import Access, Unit
from investdesk.enterprises.models import Chamber, Enterprise
from investdesk.lib.masking import mask_id_number, mask_phone


def plain_number(value: Decimal) -> str:
    """30.00 → "30", 2.50 → "2.5" (quantities in sentences)."""
    return f"{Decimal(value).normalize():f}"


class Incident(models.Model):
    """The context of relief work: 泸定6.8级地震, 成都疫情静默管理. Incidents are shared reference data
    of the whole agency (like industries): every user reads them, leaders and dispatchers keep them."""

    class Kind(models.TextChoices):
        EARTHQUAKE = "earthquake", _("Earthquake")
        EPIDEMIC = "epidemic", _("Epidemic")
        FLOOD = "flood", _("Flood")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    areas = models.CharField(_("affected areas"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.ends_on is None or self.ends_on >= timezone.localdate()


class Donation(models.Model):
    """A pledge (认捐) of money or goods by an enterprise, a chamber or a person."""

    class DonorKind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        CHAMBER = "chamber", _("Chamber or association")
        PERSON = "person", _("Person")

    class Kind(models.TextChoices):
        MONEY = "money", _("Money")
        GOODS = "goods", _("Goods")

    class State(models.TextChoices):
        PLEDGED = "pledged", _("Pledged")
        PARTLY = "partly", _("Partly received")
        RECEIVED = "received", _("Received")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+")
    donor_kind = models.CharField(_("donor type"), max_length=12, choices=DonorKind.choices)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chamber = models.ForeignKey(
        Chamber, verbose_name=_("chamber"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    donor_name = models.CharField(_("donor"), max_length=120)
    donor_title = models.CharField(_("donor's position"), max_length=100, blank=True)
    mobilised_by = models.ForeignKey(
        Chamber,
        verbose_name=_("mobilised by (chamber)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The chamber credited for this gift (soft credit); totals count the gift once."),
    )
    kind = models.CharField(_("money or goods"), max_length=6, choices=Kind.choices)
    pledged_on = models.DateField(_("pledged on"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True)
    item = models.CharField(_("goods"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2, null=True, blank=True)
    measure = models.CharField(_("unit of measure"), max_length=10, blank=True, help_text=_("吨, 箱, 件, …"))
    value = models.DecimalField(
        _("value (yuan)"),
        max_digits=16,
        decimal_places=2,
        help_text=_("The money pledged, or the estimated value of the goods."),
    )
    recipient = models.CharField(_("recipient"), max_length=120, blank=True)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("recording unit"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Kept by the receipt service: what has arrived, in the pledge's terms and in yuan.
    received_quantity = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0), editable=False)
    received_value = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0), editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLEDGED, db_index=True)
    search_text = models.TextField(default="", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-pledged_on", "-id"]
        indexes = [models.Index(fields=["incident", "pledged_on"])]

    def __str__(self) -> str:
        return f"{self.donor_name} {self.description}"

    @property
    def pledged(self) -> Decimal:
        """The pledge in its own terms: yuan for money, the quantity for goods."""
        return (self.amount if self.kind == self.Kind.MONEY else self.quantity) or Decimal(0)

    @property
    def outstanding(self) -> Decimal:
        return self.pledged - self.received_quantity

    @property
    def description(self) -> str:
        if self.kind == self.Kind.MONEY:
            return str(_("money"))
        quantity = plain_number(self.quantity) if self.quantity is not None else ""
        return f"{self.item} {quantity}{self.measure}"


def _voucher_path(instance, filename: str) -> str:
    return f"vouchers/{instance.donation_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Receipt(models.Model):
    """到账/到货: part or all of a pledge arrived (money in yuan, goods in the pledge's measure)."""

    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="receipts")
    received_on = models.DateField(_("received on"))
    quantity = models.DecimalField(
        _("amount or quantity received"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Yuan for money, the pledge's measure for goods."),
    )
    value = models.DecimalField(_("value (yuan)"), max_digits=16, decimal_places=2, editable=False)
    voucher = models.FileField(_("voucher"), upload_to=_voucher_path, max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    access = Access(parent="donation")

    class Meta:
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return f"{self.donation_id} {self.received_on} {self.quantity}"


class Shipment(models.Model):
    """物资运输: relief goods moving to the disaster area."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        LOADING = "loading", _("Loading")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")
        BLOCKED = "blocked", _("Blocked")

    class Pass(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        APPLIED = "applied", _("Applied for")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+")
    donation = models.ForeignKey(
        Donation,
        verbose_name=_("in-kind donation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shipments",
    )
    goods = models.CharField(_("goods"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)
    measure = models.CharField(_("unit of measure"), max_length=10)
    origin = models.CharField(_("origin"), max_length=100)
    destination = models.CharField(_("destination (county)"), max_length=60)
    township = models.CharField(_("township"), max_length=60, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    plate = models.CharField(_("vehicle plate"), max_length=20, blank=True)
    driver = models.CharField(_("driver"), max_length=30, blank=True)
    # Personal data, encrypted at rest (SM4) and shown masked; nothing searches them, so no blind index.
    driver_phone = EncryptedCharField(_("driver's phone"), max_length=20, blank=True)
    # 居民身份证号: a transit pass (通行证) application asks for it.
    driver_id_number = EncryptedCharField(
        _("driver's ID number"), max_length=18, blank=True, mask=MASK_ID_NUMBER, normalize=NORMALIZE_ID_NUMBER
    )
    transit_pass = models.CharField(_("transit pass"), max_length=12, choices=Pass.choices, default=Pass.NOT_NEEDED)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PLANNED, db_index=True)
    state_reason = models.CharField(_("reason"), max_length=200, blank=True)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.goods} → {self.destination}"

    @property
    def masked_driver_phone(self) -> str:
        return mask_phone(self.driver_phone)

    @property
    def masked_driver_id_number(self) -> str:
        return mask_id_number(self.driver_id_number)


class ShipmentEvent(models.Model):
    """Each state change of a shipment, with its time and who recorded it."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    note = models.CharField(max_length=200, blank=True)

    access = Access(parent="shipment")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.from_state}→{self.to_state}"

    @property
    def from_label(self) -> str:
        return Shipment.State(self.from_state).label if self.from_state else ""

    @property
    def to_label(self) -> str:
        return Shipment.State(self.to_state).label


class VolunteerService(models.Model):
    """志愿服务: one person's stint in one community on one day — one person-time (人次)."""

    class Task(models.TextChoices):
        TESTING = "testing", _("Nucleic-acid testing support")
        DATA_ENTRY = "data_entry", _("Data entry")
        SURVEY = "survey", _("Household survey")
        SUPPLIES = "supplies", _("Supplies delivery")
        OTHER = "other", _("Other")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    district = models.CharField(_("district"), max_length=30)
    community = models.CharField(_("community"), max_length=60)
    on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    tasks = models.JSONField(_("tasks"), default=list)
    tests_assisted = models.PositiveIntegerField(_("testing person-times assisted"), default=0)
    records_entered = models.PositiveIntegerField(_("records entered"), default=0)
    households_surveyed = models.PositiveIntegerField(_("households surveyed"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    access = Access(owner="unit")

    class Meta:
        verbose_name = _("volunteer service")
        verbose_name_plural = _("volunteer services")
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["incident", "on"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "on", "district", "community"], name="one_stint_per_day_place")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.on} {self.community}"

    @property
    def task_labels(self) -> list[str]:
        labels = dict(self.Task.choices)
        return [str(labels.get(t, t)) for t in self.tasks]


class CriticalEnterprise(models.Model):
    """稳产保供: an enterprise marked critical for the city's operation during an incident, with its
    current production status (kept from the dated updates)."""

    class Production(models.TextChoices):
        NORMAL = "normal", _("Producing normally")
        PARTLY = "partly", _("Partly stopped")
        STOPPED = "stopped", _("Stopped")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="critical_marks"
    )
    why = models.CharField(_("why it is critical"), max_length=200)
    status = models.CharField(
        _("production"), max_length=10, choices=Production.choices, default=Production.NORMAL, db_index=True
    )
    status_on = models.DateField(_("as of"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("critical enterprise")
        verbose_name_plural = _("critical enterprises")
        ordering = ["status", "enterprise__name"]
        constraints = [models.UniqueConstraint(fields=["incident", "enterprise"], name="critical_once_per_incident")]

    def __str__(self) -> str:
        return f"{self.enterprise} ({self.incident})"


class ProductionUpdate(models.Model):
    critical = models.ForeignKey(CriticalEnterprise, on_delete=models.CASCADE, related_name="updates")
    on = models.DateField(_("date"))
    status = models.CharField(_("production"), max_length=10, choices=CriticalEnterprise.Production.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    access = Access(parent="critical")

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.critical_id} {self.on} {self.status}"
