"""Dashboard figures computed once and shown many times.

A province-wide section on a million enterprises takes seconds to compute (distinct enterprises
visited, medians of working days, counts over two million messages), and leaders open the dashboard
far more often than the figures change in a way that matters to them. So a section's result is kept
as a snapshot per scope, permission scope (`policy.visibility_key`) and language:

* younger than FIGURES_MAX_AGE: shown as it is;
* older, but younger than FIGURES_MAX_STALE: shown, and the worker recomputes it (one task per
  snapshot however many people look: `refresh_queued_at` is claimed by one request);
* older than that, missing, or asked for fresh (the 刷新 button, a bulletin): computed in the request.

The page and the API say when the figures were computed. A snapshot never crosses permission scopes:
the key holds the visibility key, and the worker recomputes as the person it was computed for, after
checking that their visibility has not changed."""

import datetime
import time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from investdesk.core import policy
from investdesk.reports.figures import SECTIONS, Figure, Scope, Section, SectionResult
from investdesk.reports.models import SectionSnapshot

_FIGURE_FIELDS = ("key", "label", "value", "kind", "measure", "query")


def section_results(*, user, scope: Scope, sections: list[Section], max_age: int | None = None) -> list[SectionResult]:
    """The sections' results for the scope in the user's view, each at most `max_age` seconds old
    (FIGURES_MAX_AGE by default; 0 computes them now). One query when every snapshot is fresh."""
    max_age = settings.FIGURES_MAX_AGE if max_age is None else max_age
    visibility = policy.visibility_key(user)
    language = translation.get_language() or settings.LANGUAGE_CODE
    keys = {s.key: _key(s.key, visibility, scope, language) for s in sections}
    stored = {} if max_age <= 0 else {s.key: s for s in SectionSnapshot.objects.filter(key__in=keys.values())}
    now = timezone.now()
    results = []
    for section in sections:
        snapshot = stored.get(keys[section.key])
        age = (now - snapshot.computed_at).total_seconds() if snapshot else None
        if snapshot is not None and age <= max(max_age, settings.FIGURES_MAX_STALE):
            if age > max_age:
                _queue_refresh(snapshot, now)
            results.append(_load(snapshot))
        else:
            results.append(_compute_and_store(section, user, scope, keys[section.key]))
    return results


def _key(section: str, visibility: str, scope: Scope, language: str) -> str:
    return "|".join([section, visibility, scope.start.isoformat(), scope.end.isoformat(),
                     str(scope.unit_id or ""), str(scope.incident_id or ""), language])  # fmt: skip


def _compute_and_store(section: Section, user, scope: Scope, key: str) -> SectionResult:
    started_at, started = timezone.now(), time.perf_counter()
    result = section.compute(user, scope)
    result.computed_at = started_at
    if user is not None and user.is_authenticated:
        SectionSnapshot.objects.bulk_create(
            [SectionSnapshot(key=key, section=section.key, computed_for=user, computed_at=started_at,
                             seconds=time.perf_counter() - started, refresh_queued_at=None, payload=_dump(result))],
            update_conflicts=True, unique_fields=["key"],
            update_fields=["section", "computed_for", "computed_at", "seconds", "refresh_queued_at", "payload"],
        )  # fmt: skip
    return result


def _queue_refresh(snapshot: SectionSnapshot, now: datetime.datetime) -> None:
    """Have the worker recompute a snapshot, once: the request that claims it enqueues the task; a
    claim older than FIGURES_MAX_AGE (a worker that died) may be taken again."""
    from investdesk.reports.tasks import snapshot_refresh

    retry = now - datetime.timedelta(seconds=settings.FIGURES_MAX_AGE)
    claimed = (
        SectionSnapshot.objects.filter(pk=snapshot.pk)
        .filter(Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=retry))
        .update(refresh_queued_at=now)
    )
    if claimed:
        transaction.on_commit(lambda: snapshot_refresh.enqueue(snapshot.pk))


def snapshot_recompute(*, snapshot_id: int) -> str:
    """Recompute one snapshot in the view of the person it was computed for (the worker's task).
    A person whose permission scope changed, or who left, takes their snapshot with them."""
    snapshot = SectionSnapshot.objects.select_related("computed_for").filter(pk=snapshot_id).first()
    if snapshot is None:
        return "gone"
    section_key, visibility, start, end, unit, incident, language = snapshot.key.split("|")
    user = snapshot.computed_for
    section = SECTIONS.get(section_key)
    if section is None or policy.visibility_key(user) != visibility:
        snapshot.delete()
        return "dropped"
    scope = Scope(start=datetime.date.fromisoformat(start), end=datetime.date.fromisoformat(end),
                  unit_id=int(unit) if unit else None, incident_id=int(incident) if incident else None)  # fmt: skip
    with translation.override(language):
        _compute_and_store(section, user, scope, snapshot.key)
    return "refreshed"


def snapshots_prune() -> int:
    """Forget snapshots too old to be shown (a past day's "this year up to today", say)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.FIGURES_MAX_STALE)
    return SectionSnapshot.objects.filter(computed_at__lt=cutoff).delete()[0]


# --- a SectionResult as JSON: Decimals and dates tagged so they come back as they were -------------


def _dump(result: SectionResult) -> dict:
    return _encode({
        "key": result.key,
        "title": result.title,
        "figures": {name: {**{f: getattr(fig, f) for f in _FIGURE_FIELDS}, "linked": fig.linked}
                    for name, fig in result.figures.items()},
        "charts": result.charts,
        "tables": result.tables,
        "sentences": result.sentences,
        "empty": result.empty,
    })  # fmt: skip


def _load(snapshot: SectionSnapshot) -> SectionResult:
    data = _decode(snapshot.payload)
    return SectionResult(
        key=data["key"],
        title=data["title"],
        figures={name: Figure(**f) for name, f in data["figures"].items()},
        charts=data["charts"],
        tables=data["tables"],
        sentences=data["sentences"],
        empty=data["empty"],
        computed_at=snapshot.computed_at,
    )


def _encode(value):
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a dashboard figure cannot hold {type(value).__name__}: {value!r}")


def _decode(value):
    if isinstance(value, dict):
        if len(value) == 1 and "$decimal" in value:
            return Decimal(value["$decimal"])
        if len(value) == 1 and "$date" in value:
            return datetime.date.fromisoformat(value["$date"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
