"""Outreach campaigns (一封信/群发): one message written once and sent one-to-one, each recipient by its
own channel; internal notices to staff with read receipts.

Each `Message` is durable: its state, attempts, claim lease and idempotency key live in its row, so
delivery survives killed workers (see `delivery.py`)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.fields import EncryptedCharField
from investdesk.core.models import Access, Unit
from investdesk.enterprises.models import Contact, Enterprise
from investdesk.lib.masking import mask_email, mask_phone


def mask_address(value: str | None) -> str:
    """A recipient's address masked by its kind: an email, a phone number, or a WeCom id."""
    if not value:
        return ""
    if "@" in value:
        return mask_email(value)
    if any(ch.isdigit() for ch in value) and not any(ch.isalpha() for ch in value):
        return mask_phone(value)
    return value[:2] + "*" * max(len(value) - 2, 1)


class Campaign(models.Model):
    class Audience(models.TextChoices):
        ENTERPRISES = "enterprises", _("Enterprises (their contacts)")
        STAFF = "staff", _("Staff of units (internal notice)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=120)
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices, default=Audience.ENTERPRISES)
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(
        _("body"), help_text=_("Paragraphs separated by a blank line; merge fields like {{企业名称}}.")
    )
    attachment = models.FileField(_("attachment"), upload_to="campaigns/", blank=True, max_length=300)
    # Who: enterprises chosen by the registry's filters (a query string of the enterprise list) or
    # listed (ids); units whose staff receive an internal notice.
    filters = models.CharField(_("registry filters"), max_length=500, blank=True)
    enterprises = models.ManyToManyField(Enterprise, verbose_name=_("listed enterprises"), blank=True, related_name="+")
    units = models.ManyToManyField(Unit, verbose_name=_("units"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    owner_unit = models.ForeignKey(Unit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="owner_unit")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One recipient's copy of a campaign, by one channel."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WECOM = "wecom", _("WeCom/WeChat")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone call")
        INAPP = "inapp", _("In the app")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        FAILED_PERMANENTLY = "failed_permanently", _("Failed")
        UNKNOWN = "unknown", _("Unknown: confirm with the provider")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_REACHED = "not_reached", _("Not reached")
        CALL_BACK = "call_back", _("Call back")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="campaign_messages"
    )
    name = models.CharField(max_length=60)  # the recipient's name as addressed
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Email, mobile or WeCom id, copied from the contact: personal data, so encrypted like the contact's.
    address = EncryptedCharField(max_length=254, blank=True, mask="investdesk.outreach.models.mask_address")
    subject = models.CharField(max_length=150)
    text = models.TextField()  # the rendered letter, plain text
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # idempotency key for the provider
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)  # the provider may have it from here on
    provider_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # internal notices: the read receipt
    # Phone calls: a caller reserves a batch; the reservation lapses after a time-out.
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    call_back_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="campaign")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "channel", "next_attempt_at"]),
            models.Index(fields=["state", "claim_expires_at"]),
            # A campaign's messages by state (and channel): its lists of failures, what is left to
            # send, and its progress, which reads only this index (an index-only scan on PostgreSQL:
            # every column it counts is here).
            models.Index(fields=["campaign", "state", "channel", "read_at"], name="message_progress"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="one_message_per_contact"),
            models.UniqueConstraint(fields=["campaign", "user"], name="one_message_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.name} {self.channel} {self.state}"

    @property
    def masked_address(self) -> str:
        return mask_address(self.address)


class Response(models.Model):
    """An enterprise's answer to a campaign (by phone, email, WeChat, letter)."""

    class Via(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat")
        LETTER = "letter", _("Letter")

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+")
    who = models.CharField(_("who answered"), max_length=100)
    received_on = models.DateField(_("received on"))
    via = models.CharField(_("received by"), max_length=10, choices=Via.choices)
    summary = models.TextField(_("summary"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.POSITIVE)
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(parent="campaign")

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.received_on}"
