"""Background work of outreach (run by `investdesk worker`)."""

from django_tasks import task

from investdesk.outreach import delivery


@task()
def deliver(campaign_id: int | None = None) -> dict:
    """Deliver the due messages (of one campaign, or all) until none is left for now. Restartable:
    a task killed mid-run leaves its claims to expire, and the next run (or `investdesk deliver`)
    returns them (see delivery.py)."""
    return delivery.run(campaign_id=campaign_id)


@task()
def resume() -> dict:
    """Daily: reap expired claims and deliver what is due (e.g. retries after a restart)."""
    delivery.reap()
    return delivery.run()


DAILY = [resume]
