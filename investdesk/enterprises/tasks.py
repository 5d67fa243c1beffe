"""Background work of the registry (run by `investdesk worker`)."""

from django_tasks import task


@task()
def import_apply_task(batch_id: int) -> str:
    """Apply a confirmed import too large for a web request (importer.import_confirm)."""
    from investdesk.enterprises import importer

    return importer.import_run(batch_id=batch_id)


@task()
def import_check_task(batch_id: int) -> str:
    """Check an uploaded file too large to check in a web request (importer.import_upload)."""
    from investdesk.enterprises import importer

    return importer.import_check_run(batch_id=batch_id)
