"""Writes of work bulletins: draft from the sections' figures, edit the text (the {tokens} stay
linked to figures), refresh the figures of a draft, issue with the next issue number (第N期), after
which text and figures are kept as they were."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, Unit
from investdesk.core.versioning import lock_for_update
from investdesk.reports.figures import SECTIONS, Scope
from investdesk.reports.models import TOKEN, Bulletin
from investdesk.reports.selectors import dashboard

HEADINGS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def _require_editor(actor) -> None:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))


def scope_of(bulletin: Bulletin) -> Scope:
    return Scope(
        start=bulletin.period_start, end=bulletin.period_end, unit_id=bulletin.unit_id, incident_id=bulletin.incident_id
    )


def _compute(actor, scope: Scope, keys: list[str]):
    # A bulletin's figures are those of the moment it is drafted or refreshed (not a snapshot).
    results = dashboard(user=actor, scope=scope, keys=keys, max_age=0)
    figures = {fig.key: fig.snapshot() for r in results for fig in r.figures.values()}
    return results, figures


@transaction.atomic
def bulletin_draft(
    *,
    actor,
    scope: Scope,
    keys: list[str],
    title: str = "",
    name: str = "工作简报",
    rounded: bool = False,
    issuing_unit: Unit | None = None,
) -> Bulletin:
    """Draft a bulletin from the chosen sections' figures for the scope, in the actor's view."""
    _require_editor(actor)
    keys = [k for k in keys if k in SECTIONS]
    if not keys:
        raise DomainError(_("Choose at least one section."), field="sections")
    if scope.end < scope.start:
        raise DomainError(_("The end cannot be before the start."), field="to")
    if scope.end > timezone.localdate():
        raise DomainError(_("A bulletin reports what has happened: the period cannot end in the future."), field="to")
    issuing_unit = issuing_unit or actor.unit
    if issuing_unit is None:
        raise DomainError(_("You belong to no unit, so you cannot issue bulletins."))
    results, figures = _compute(actor, scope, keys)
    sections = [
        {"key": r.key, "heading": f"{HEADINGS[i % 10]}、{r.title}", "text": "\n".join(r.sentences)}
        for i, r in enumerate(results)
    ]
    bulletin = Bulletin(
        name=(name or "工作简报").strip(),
        year=scope.end.year,
        title=(title or "").strip() or _default_title(issuing_unit, scope),
        issuing_unit=issuing_unit,
        period_start=scope.start,
        period_end=scope.end,
        unit_id=scope.unit_id,
        incident_id=scope.incident_id,
        rounded=rounded,
        sections=sections,
        figures=figures,
        figures_at=timezone.now(),
        created_by=actor,
    )
    bulletin.full_clean()
    bulletin.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=bulletin, note=bulletin.title)
    return bulletin


def _default_title(unit: Unit, scope: Scope) -> str:
    return f"{unit.short_name or unit.name}工作情况（{scope.start:%-m月%-d日}—{scope.end:%-m月%-d日}）"


def _editable(actor, bulletin: Bulletin, version: int | None) -> Bulletin:
    _require_editor(actor)
    bulletin = lock_for_update(Bulletin, bulletin.pk, version)
    if bulletin.status != Bulletin.Status.DRAFT:
        raise DomainError(_("An issued bulletin is kept as it was; draft a new one to change it."))
    return bulletin


@transaction.atomic
def bulletin_update(
    *,
    actor,
    bulletin: Bulletin,
    version: int | None,
    title: str,
    texts: dict[str, str],
    name: str | None = None,
    rounded: bool | None = None,
    send_to: str = "",
    copy_to: str = "",
) -> Bulletin:
    """Edit the text of a draft. Figures are written as {section.name}; an unknown one is refused."""
    bulletin = _editable(actor, bulletin, version)
    before = snapshot(bulletin)
    if not (title or "").strip():
        raise DomainError(_("Give the bulletin a title."), field="title")
    sections = []
    for section in bulletin.sections:
        text = texts.get(section["key"], section["text"]).replace("\r\n", "\n").strip()
        unknown = [t for t in TOKEN.findall(text) if t not in bulletin.figures]
        if unknown:
            raise DomainError(
                _("No figure is called {%(name)s}; use one of the figures listed beside the text.")
                % {"name": unknown[0]},
                field=f"text_{section['key']}",
            )
        sections.append({**section, "text": text})
    bulletin.title = title.strip()
    if name is not None:
        bulletin.name = name.strip() or bulletin.name
    if rounded is not None:
        bulletin.rounded = rounded
    bulletin.sections, bulletin.send_to, bulletin.copy_to = sections, send_to.strip(), copy_to.strip()
    bulletin.full_clean()
    bulletin.version += 1
    bulletin.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=bulletin, changes=diff(before, snapshot(bulletin)))
    return bulletin


@transaction.atomic
def bulletin_refresh(*, actor, bulletin: Bulletin, version: int | None) -> Bulletin:
    """Recompute a draft's figures for its scope (the text keeps its tokens)."""
    bulletin = _editable(actor, bulletin, version)
    _results, figures = _compute(actor, scope_of(bulletin), [s["key"] for s in bulletin.sections])
    bulletin.figures, bulletin.figures_at = figures, timezone.now()
    bulletin.version += 1
    bulletin.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=bulletin, note="figures refreshed")
    return bulletin


@transaction.atomic
def bulletin_issue(*, actor, bulletin: Bulletin, version: int | None, issued_on: datetime.date | None = None):
    """Give the draft the next issue number of its bulletin and year; from now on it is kept."""
    bulletin = _editable(actor, bulletin, version)
    bulletin.issued_on = issued_on or timezone.localdate()
    for _attempt in range(3):
        last = Bulletin.objects.filter(
            issuing_unit=bulletin.issuing_unit, name=bulletin.name, year=bulletin.year
        ).aggregate(n=Max("number"))["n"]
        bulletin.number = (last or 0) + 1
        try:
            with transaction.atomic():
                bulletin.status = Bulletin.Status.ISSUED
                bulletin.version += 1
                bulletin.save()
            break
        except IntegrityError:
            continue
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=bulletin, note=f"issued 第{bulletin.number}期")
    return bulletin


@transaction.atomic
def bulletin_delete(*, actor, bulletin: Bulletin) -> None:
    bulletin = _editable(actor, bulletin, None)
    audit_log(actor=actor, action=AuditEntry.Action.DELETE, target=bulletin, note=bulletin.title)
    bulletin.delete()
