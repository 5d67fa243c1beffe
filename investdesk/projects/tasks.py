from django.conf import settings
from django_tasks import task

from investdesk.projects import services


@task()
def remind_project_owners() -> int:
    """Daily: next steps that fall due, and projects nobody has followed up for a while."""
    return services.projects_remind(quiet_days=settings.PROJECT_QUIET_DAYS)


DAILY = [remind_project_owners]
