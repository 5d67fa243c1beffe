"""Figures computed once and shown many times.

A province-wide dashboard section or the targets page on a million enterprises takes seconds to
compute (distinct enterprises visited, medians of working days, counts over millions of rows), and
people open those pages far more often than the figures change in a way that matters to them. So an
app registers a figures computation (`register(Computation(...))`), and pages ask for its result
through `computed()`, which keeps a snapshot per parameters, permission scope
(`policy.visibility_key`) and language:

* younger than FIGURES_MAX_AGE: shown as it is;
* older, but younger than FIGURES_MAX_STALE: shown, and the worker recomputes it (one task per
  snapshot however many people look: `refresh_queued_at` is claimed by one request);
* older than that, missing, or asked for fresh (the 刷新 button, a bulletin): computed in the request;
* written to since (an audited write to a record of an app it counts): shown once more while the
  worker recomputes it, or — for a computation that asks for it — computed by the next view.

Pages say when their figures were computed. A snapshot never crosses permission scopes: the key holds
the visibility key, and the worker recomputes as the person it was computed for, after checking that
their visibility has not changed."""

import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from investdesk.core import policy
from investdesk.core.models import Snapshot


@dataclass(frozen=True)
class Computation:
    """A named figures computation: `compute(user, params)` in the user's permission scope, and how
    its result becomes JSON (`dump`; Decimals, dates and lazy strings are handled) and back (`load`).

    `depends_on` names the apps whose records it counts: an audited write to one of them makes its
    snapshots stale (shown once more while the worker recomputes them) or, with `fresh_after_write`,
    drops them, so that the next view computes them — for a page where people look for the effect
    of what they just did (the targets page after a project is signed)."""

    name: str
    compute: Callable[[Any, dict], Any]
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    depends_on: tuple[str, ...] = ()
    fresh_after_write: bool = False


COMPUTATIONS: dict[str, Computation] = {}


def register(computation: Computation) -> None:
    COMPUTATIONS[computation.name] = computation


@dataclass
class Computed:
    value: Any
    computed_at: datetime.datetime


def computed(
    *, user, wanted: list[tuple[str, dict]], max_age: int | None = None, compute_missing: bool = True
) -> list[Computed | None]:
    """The results of the (name, params) computations in the user's view, each at most `max_age`
    seconds old (FIGURES_MAX_AGE by default; 0 computes them now). One query when all are fresh.
    With `compute_missing` off, a computation without a snapshot that may be shown comes back as None
    instead of being computed in the caller's request (a page then fetches it by itself)."""
    max_age = settings.FIGURES_MAX_AGE if max_age is None else max_age
    visibility = policy.visibility_key(user)
    language = translation.get_language() or settings.LANGUAGE_CODE
    keys = [_key(name, visibility, params, language) for name, params in wanted]
    stored = {} if max_age <= 0 else {s.key: s for s in Snapshot.objects.filter(key__in=keys)}
    now = timezone.now()
    results = []
    for (name, params), key in zip(wanted, keys, strict=True):
        snapshot = stored.get(key)
        age = (now - snapshot.computed_at).total_seconds() if snapshot else None
        if snapshot is not None and age <= max(max_age, settings.FIGURES_MAX_STALE):
            if age > max_age or snapshot.stale:
                _queue_refresh(snapshot, now)
            results.append(Computed(COMPUTATIONS[name].load(_decode(snapshot.payload)), snapshot.computed_at))
        elif compute_missing:
            results.append(_compute_and_store(COMPUTATIONS[name], user, params, key))
        else:
            results.append(None)
    return results


def _key(name: str, visibility: str, params: dict, language: str) -> str:
    return "|".join([name, visibility, json.dumps(params, sort_keys=True, separators=(",", ":")), language])


def _compute_and_store(computation: Computation, user, params: dict, key: str) -> Computed:
    started_at, started = timezone.now(), time.perf_counter()
    value = computation.compute(user, params)
    if user is not None and user.is_authenticated:
        payload = _encode(computation.dump(value))
        Snapshot.objects.bulk_create(
            [Snapshot(key=key, name=computation.name, params=params, computed_for=user, computed_at=started_at,
                      seconds=time.perf_counter() - started, refresh_queued_at=None, payload=payload)],
            update_conflicts=True, unique_fields=["key"],
            update_fields=["computed_for", "computed_at", "seconds", "refresh_queued_at", "stale", "payload"],
        )  # fmt: skip
    return Computed(value, started_at)


def _queue_refresh(snapshot: Snapshot, now: datetime.datetime) -> None:
    """Have the worker recompute a snapshot, once: the request that claims it enqueues the task; a
    claim older than FIGURES_MAX_AGE (a worker that died) may be taken again."""
    from investdesk.core.tasks import snapshot_refresh

    retry = now - datetime.timedelta(seconds=settings.FIGURES_MAX_AGE)
    claimed = (
        Snapshot.objects.filter(pk=snapshot.pk)
        .filter(Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=retry))
        .update(refresh_queued_at=now)
    )
    if claimed:
        transaction.on_commit(lambda: snapshot_refresh.enqueue(snapshot.pk))


def records_written(app_label: str) -> None:
    """An audited write to a record of `app_label` (core/audit.py calls this in the write's
    transaction): the snapshots of the computations that count that app's records are dropped or
    marked stale. A query only for the apps some computation depends on."""
    dependents = [c for c in COMPUTATIONS.values() if app_label in c.depends_on]
    drop = [c.name for c in dependents if c.fresh_after_write]
    mark = [c.name for c in dependents if not c.fresh_after_write]
    if drop:
        Snapshot.objects.filter(name__in=drop).delete()
    if mark:
        Snapshot.objects.filter(name__in=mark, stale=False).update(stale=True)


def snapshot_recompute(*, snapshot_id: int) -> str:
    """Recompute one snapshot in the view of the person it was computed for (the worker's task).
    A person whose permission scope changed, or who left, takes their snapshot with them."""
    snapshot = Snapshot.objects.select_related("computed_for").filter(pk=snapshot_id).first()
    if snapshot is None:
        return "gone"
    visibility, language = snapshot.key.split("|")[1], snapshot.key.rsplit("|", 1)[1]
    computation = COMPUTATIONS.get(snapshot.name)
    if computation is None or policy.visibility_key(snapshot.computed_for) != visibility:
        snapshot.delete()
        return "dropped"
    with translation.override(language):
        _compute_and_store(computation, snapshot.computed_for, snapshot.params, snapshot.key)
    return "refreshed"


def snapshots_prune() -> int:
    """Forget snapshots too old to be shown (a past day's "this year up to today", say)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.FIGURES_MAX_STALE)
    return Snapshot.objects.filter(computed_at__lt=cutoff).delete()[0]


# --- JSON with Decimals and dates tagged, so they come back as they were ----------------------------


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
    raise TypeError(f"a snapshot cannot hold {type(value).__name__}: {value!r}")


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
