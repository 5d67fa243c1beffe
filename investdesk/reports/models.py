"""A work bulletin (工作简报): its heading (name, issue number 第N期, issuing unit, date), the scope its
figures were computed for, the text of each section with {tokens} naming figures, and the figures
themselves as they were when last refreshed — a saved bulletin keeps its numbers."""

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from investdesk.core.models import Access, Unit

TOKEN = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


class Bulletin(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    name = models.CharField(_("bulletin name"), max_length=60, default="工作简报")
    number = models.PositiveIntegerField(_("issue number"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=120)
    issuing_unit = models.ForeignKey(Unit, verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("date"), default=timezone.localdate)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    unit = models.ForeignKey(
        Unit, verbose_name=_("scope: unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        "emergency.Incident", verbose_name=_("scope: incident"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    rounded = models.BooleanField(_("round counts (余)"), default=False)
    sections = models.JSONField(default=list)  # [{"key", "heading", "text"}]
    figures = models.JSONField(default=dict)  # {"section.name": Figure.snapshot()}
    figures_at = models.DateTimeField(_("figures as of"), default=timezone.now)
    send_to = models.CharField(_("报 (sent up to)"), max_length=200, blank=True)
    copy_to = models.CharField(_("送 (copied to)"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    access = Access(owner="issuing_unit")

    class Meta:
        verbose_name = _("work bulletin")
        verbose_name_plural = _("work bulletins")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuing_unit", "name", "year", "number"], name="one_issue_number_per_bulletin_year"
            )
        ]

    def __str__(self) -> str:
        number = f"第{self.number}期" if self.number else str(_("draft"))
        return f"{self.name}（{self.year}年{number}）{self.title}"
