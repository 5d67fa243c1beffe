"""Background work of the cases module (run by `investdesk worker`; enqueued by `investdesk daily`)."""

from django_tasks import task

from investdesk.cases import services


@task()
def supervise_overdue_cases() -> int:
    """Daily: overdue cases go under supervision and their leaders and the dispatchers are told once."""
    return services.cases_supervise_overdue()


DAILY = [supervise_overdue_cases]
