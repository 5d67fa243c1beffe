"""Reads of the dashboard and bulletins: the sections' figures for a scope, the rows behind one
figure, the saved bulletins the user may see."""

from django.http import Http404

from investdesk.core import policy, snapshots
from investdesk.reports.figures import Scope, Section, SectionResult, sections


def dashboard(
    *, user, scope: Scope, keys: list[str] | None = None, max_age: int | None = None, compute_missing: bool = True
) -> list[SectionResult | Section]:
    """Every section (or those named) for the scope, in the user's permission scope, as computed at
    most `max_age` seconds ago (FIGURES_MAX_AGE by default; 0 computes them now): core/snapshots.py.
    With `compute_missing` off, a section that has no snapshot to show comes back as its `Section`,
    not computed: the dashboard page fetches each of those on its own (`dashboard_section`)."""
    wanted = [s for s in sections() if keys is None or s.key in keys]
    params = scope.as_dict()
    results: list[SectionResult | Section] = []
    done_list = snapshots.computed(
        user=user, wanted=[(f"section.{s.key}", params) for s in wanted], max_age=max_age,
        compute_missing=compute_missing,
    )  # fmt: skip
    for section, done in zip(wanted, done_list, strict=True):
        if done is None:
            results.append(section)
            continue
        done.value.computed_at = done.computed_at
        results.append(done.value)
    return results


def dashboard_section(*, user, scope: Scope, key: str, max_age: int | None = None) -> SectionResult:
    """One section of the dashboard, computed now if no snapshot may be shown; 404 for an unknown key."""
    if key not in {s.key for s in sections()}:
        raise Http404
    [result] = dashboard(user=user, scope=scope, keys=[key], max_age=max_age)
    return result


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
