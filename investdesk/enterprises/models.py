"""The enterprise registry and its aftercare: enterprises, contacts, chambers, service actions, visits."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.fields import BlindIndexField, EncryptedCharField
from investdesk.core.models import Access, ReferenceTable, Unit
from investdesk.lib.masking import mask_email, mask_phone
from investdesk.lib.regions import CITY_CHOICES, CITY_NAMES


class Industry(ReferenceTable):
    """An industrial chain of the province (电子信息, 装备制造, …). Administrators edit the table."""

    class Meta(ReferenceTable.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class Enterprise(models.Model):
    class Ownership(models.TextChoices):
        PRIVATE = "private", _("Domestic private")
        STATE = "state", _("State-owned")
        FOREIGN = "foreign", _("Foreign-invested")
        HMT = "hmt", _("Hong Kong, Macao or Taiwan invested")

    class Status(models.TextChoices):
        OPERATING = "operating", _("Operating")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")
        PROSPECTIVE = "prospective", _("Prospective investor")

    name = models.CharField(_("Chinese name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True, unique=True)
    city = models.CharField(_("city/prefecture"), max_length=20, choices=CITY_CHOICES, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ownership = models.CharField(_("ownership"), max_length=20, choices=Ownership.choices, default=Ownership.PRIVATE)
    investor_country = models.CharField(_("investor country/region"), max_length=40, blank=True)
    is_key = models.BooleanField(_("key enterprise"), default=False)
    is_city_support = models.BooleanField(_("city-operation support"), default=False)
    is_fortune500 = models.BooleanField(_("Fortune Global 500"), default=False)
    is_listed = models.BooleanField(_("listed"), default=False)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPERATING)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_enterprises",
    )
    note = models.TextField(_("note"), blank=True)
    # Folded names, their pinyin and initials, contacts' names and phones: what the search box matches.
    search_text = models.TextField(default="", editable=False)
    # The name folded for duplicate detection (繁→简, full-width, punctuation and spaces removed).
    name_key = models.CharField(max_length=120, db_index=True, editable=False, default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner_unit", "-updated_at"]),
            # The list's default order: a page of a million rows is an index scan, not a sort.
            models.Index(fields=["-updated_at", "-id"], name="enterprise_recent"),
            models.Index(fields=["city", "industry"]),
            models.Index(fields=["liaison", "last_visit_on"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def city_name(self) -> str:
        return CITY_NAMES.get(self.city, "")

    @property
    def flags(self) -> list[str]:
        labels = [
            (self.is_key, _("Key")),
            (self.is_city_support, _("City support")),
            (self.is_fortune500, _("Fortune 500")),
            (self.is_listed, _("Listed")),
        ]
        return [str(label) for on, label in labels if on]


class Contact(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECOM = "wecom", _("WeCom/WeChat")
        PHONE = "phone", _("Phone call")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    # Personal data: encrypted at rest (SM4); exact search goes through the blind index.
    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)
    mobile_index = BlindIndexField(source="mobile")
    # The office line or switchboard: not encrypted (see services.search_text_for).
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=60, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(parent="enterprise")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.enterprise}）"

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


class Chamber(models.Model):
    """A chamber of commerce or association (商协会): 川商总会, the EU Chamber, …"""

    class Kind(models.TextChoices):
        PROVINCIAL = "provincial", _("Provincial chamber")
        OTHER_PROVINCE = "other_province", _("Chamber of another province in Sichuan")
        INDUSTRY = "industry", _("Industry association")
        FOREIGN = "foreign", _("Foreign chamber")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    members = models.ManyToManyField(
        Enterprise, verbose_name=_("member enterprises"), blank=True, related_name="chambers"
    )
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("chamber or association")
        verbose_name_plural = _("chambers and associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChamberPerson(models.Model):
    """A key person of a chamber, e.g. its honorary president (名誉会长)."""

    chamber = models.ForeignKey(Chamber, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=60)
    position = models.CharField(_("position"), max_length=60)
    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)
    mobile_index = BlindIndexField(source="mobile")

    access = Access(parent="chamber")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）"

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)


class ServiceAction(models.Model):
    """A named action over a set of target enterprises, e.g. 进千企 (not an outreach campaign)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    units = models.ManyToManyField(Unit, verbose_name=_("units responsible"), blank=True, related_name="+")
    targets = models.ManyToManyField(
        Enterprise, verbose_name=_("target enterprises"), blank=True, related_name="service_actions"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("service action")
        verbose_name_plural = _("service actions")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="action_period_order")
        ]

    def __str__(self) -> str:
        return self.name


class VisitQuestion(models.Model):
    """One of an action's structured visit questions (进千企 "五问五帮": policies, progress, …)."""

    action = models.ForeignKey(ServiceAction, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=1)
    text = models.CharField(_("question"), max_length=200)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Visit(models.Model):
    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMPLETED = "completed", _("Completed")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("staff"), related_name="visits")
    # The units of the staff at the time (a joint province–city visit has several).
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="+")
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts met"), blank=True, related_name="visits")
    action = models.ForeignKey(
        ServiceAction,
        verbose_name=_("service action"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-visited_on"]),
            models.Index(fields=["action", "status"]),
            models.Index(fields=["owner_unit", "-visited_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.enterprise}"


class VisitAnswer(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(VisitQuestion, on_delete=models.PROTECT, related_name="answers")
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.question}: {self.answer[:40]}"


class VisitProblem(models.Model):
    """A problem an enterprise raised during a visit.

    The hook for the cases module: a case registered from a problem points back at it, so a visit
    shows which of its problems became cases and which still need one.
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problems")
    description = models.TextField(_("problem"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    access = Access(parent="visit")

    class Meta:
        verbose_name = _("problem raised")
        verbose_name_plural = _("problems raised")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description[:40]


class ImportBatch(models.Model):
    """An uploaded spreadsheet between its preview and its confirmation (kept for the audit trail).
    A large file is checked and applied by the worker: `state` says where it is, `progress` how far
    the check has gone, and `preview` keeps what the check found (importer.import_upload)."""

    class State(models.TextChoices):
        CHECKING = "checking", _("being checked")
        PREVIEWED = "previewed", _("previewed")
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("not imported")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEWED)
    row_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the check done
    # The check's findings, shown until the file is confirmed: counts, ok, encoding, unknown_columns and
    # the rows listed (importer.PREVIEW_ROWS of them), each [row, action, name, [[column, message]], changes].
    preview = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename
