"""Background work of the reports app (run by `investdesk worker`)."""

from django_tasks import task


@task()
def snapshot_refresh(snapshot_id: int) -> str:
    """Recompute one dashboard snapshot that has grown older than FIGURES_MAX_AGE. Idempotent."""
    from investdesk.reports.snapshots import snapshot_recompute

    return snapshot_recompute(snapshot_id=snapshot_id)


@task()
def snapshots_housekeeping() -> str:
    """Daily: forget dashboard snapshots too old to be shown."""
    from investdesk.reports.snapshots import snapshots_prune

    return f"removed {snapshots_prune()} dashboard snapshots"


DAILY = [snapshots_housekeeping]
