"""Reads of the dashboard and bulletins: the sections' figures for a scope, the rows behind one
figure, the saved bulletins the user may see."""

from django.http import Http404

from investdesk.core import policy, snapshots
from investdesk.reports.figures import Scope, SectionResult, sections


def dashboard(*, user, scope: Scope, keys: list[str] | None = None, max_age: int | None = None) -> list[SectionResult]:
    """Every section (or those named) for the scope, in the user's permission scope, as computed at
    most `max_age` seconds ago (FIGURES_MAX_AGE by default; 0 computes them now): core/snapshots.py."""
    wanted = [s for s in sections() if keys is None or s.key in keys]
    params = scope.as_dict()
    results = []
    for done in snapshots.computed(user=user, wanted=[(f"section.{s.key}", params) for s in wanted], max_age=max_age):
        done.value.computed_at = done.computed_at
        results.append(done.value)
    return results


def figure_of(*, user, scope: Scope, key: str):
    """One figure ("section.name") with the rows behind it; 404 for an unknown key."""
    section_key, _, name = key.partition(".")
    found = [s for s in sections() if s.key == section_key]
    if not found:
        raise Http404
    result = found[0].compute(user, scope)
    figure = result.figures.get(name)
    if figure is None:
        raise Http404
    return figure, (figure.records(user, scope) if figure.records else None)


def bulletins_for_user(*, user):
    from investdesk.reports.models import Bulletin

    return policy.visible(user, Bulletin.objects.select_related("issuing_unit", "created_by")).order_by(
        "-issued_on", "-id"
    )


def bulletin_get_for_user(*, user, bulletin_id: int):
    from investdesk.reports.models import Bulletin

    return policy.get_visible_or_404(user, Bulletin.objects.select_related("issuing_unit"), pk=bulletin_id)
