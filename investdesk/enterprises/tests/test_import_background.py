"""A large confirmed file is applied by the worker: the batch's page follows it until it is imported
or says why not; a small one is still applied in the request."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from investdesk.core.errors import DomainError
from investdesk.core.models import Notification
from investdesk.enterprises import importer
from investdesk.enterprises.models import Contact, Enterprise, ImportBatch

CSV = (
    "企业名称,统一社会信用代码,所在市州,联系人,手机\n"
    "成都甲科技有限公司,91350000157987632G,成都,张三,13700001234\n"
    "成都乙科技有限公司,,成都,李四,13700005678\n"
)


@pytest.fixture
def large(monkeypatch):
    """Files of more than one row count as large here (BACKGROUND_ROWS is 2,000 in production)."""
    monkeypatch.setattr(importer, "BACKGROUND_ROWS", 1)


def _checked_by_worker(batch: ImportBatch) -> None:
    from investdesk.enterprises.tasks import import_check_task

    assert import_check_task.call(batch_id=batch.pk).startswith("checked")


def _previewed(owner) -> ImportBatch:
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=CSV.encode())
    assert plan.ok and plan.batch.row_count == 2
    return plan.batch


def test_a_small_file_is_applied_in_the_request(client_for, owner, industry):
    client = client_for(owner)
    response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", CSV.encode())})
    page = client.get(response["Location"])
    assert page.context["batch"].state == ImportBatch.State.PREVIEWED  # checked in the request
    assert "由后台任务导入" not in page.content.decode()
    batch = importer.import_confirm(actor=owner, batch_id=page.context["batch"].pk)
    assert batch.state == ImportBatch.State.DONE and batch.summary["new"] == 2
    assert Enterprise.objects.count() == 2


def test_a_large_file_waits_for_the_worker_which_imports_it_and_notifies(
    owner, industry, large, django_capture_on_commit_callbacks
):
    from investdesk.enterprises.tasks import import_apply_task

    with django_capture_on_commit_callbacks() as callbacks:
        batch = importer.import_confirm(actor=owner, batch_id=_previewed(owner).pk)
    assert batch.state == ImportBatch.State.QUEUED and batch.queued_at is not None
    assert len(callbacks) == 1  # the task is enqueued once the confirmation commits
    assert not Enterprise.objects.exists()
    with pytest.raises(DomainError, match="已在进行中"):
        importer.import_confirm(actor=owner, batch_id=batch.pk)  # a second click queues nothing

    assert import_apply_task.call(batch_id=batch.pk).startswith("imported")
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE and batch.applied_at is not None and batch.started_at is not None
    assert batch.summary == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert Enterprise.objects.count() == 2 and Contact.objects.count() == 2
    notification = Notification.objects.get(user=owner)
    assert "企业.csv" in notification.text and notification.url == f"/enterprises/import/{batch.pk}/"
    assert import_apply_task.call(batch_id=batch.pk) == "not queued"  # a repeated task does nothing
    assert Enterprise.objects.count() == 2


def test_what_changed_since_the_preview_fails_the_background_import_whole(owner, outsider, industry, large):
    from investdesk.enterprises import services

    batch = importer.import_confirm(actor=owner, batch_id=_previewed(owner).pk)
    services.enterprise_create(actor=outsider, name="别家公司", uscc="91350000157987632G", city="yibin")
    assert importer.import_run(batch_id=batch.pk).startswith("not imported")
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED and "未导入任何数据" in batch.error
    assert batch.applied_at is None
    assert not Enterprise.objects.filter(name__startswith="成都").exists()
    assert "未导入" in Notification.objects.get(user=owner).text


def test_an_unexpected_error_is_recorded_and_the_batch_may_be_confirmed_again(owner, industry, large, monkeypatch):
    batch = importer.import_confirm(actor=owner, batch_id=_previewed(owner).pk)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "import_apply", broken)
    with pytest.raises(RuntimeError):
        importer.import_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED and "意外错误" in batch.error
    monkeypatch.undo()
    monkeypatch.setattr(importer, "BACKGROUND_ROWS", 1)
    assert importer.import_confirm(actor=owner, batch_id=batch.pk).state == ImportBatch.State.QUEUED


def test_a_stalled_import_may_be_confirmed_again_but_a_running_one_may_not(client_for, owner, industry, large):
    batch = importer.import_confirm(actor=owner, batch_id=_previewed(owner).pk)
    page = f"/enterprises/import/{batch.pk}/"
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.RUNNING, started_at=timezone.now())
    assert "再次确认导入" not in client_for(owner).get(page).content.decode()
    with pytest.raises(DomainError):
        importer.import_confirm(actor=owner, batch_id=batch.pk)
    stalled = timezone.now() - importer.STALLED_AFTER - datetime.timedelta(minutes=1)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=stalled)
    body = client_for(owner).get(page).content.decode()
    assert "似乎已中断" in body and "再次确认导入" in body
    assert importer.import_confirm(actor=owner, batch_id=batch.pk).state == ImportBatch.State.QUEUED


def test_the_pages_follow_a_large_import(client_for, owner, colleague, industry, large):
    client = client_for(owner)
    response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", CSV.encode("gbk"))})
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/enterprises/import/{batch.pk}/"
    _checked_by_worker(batch)
    page = client.get(response["Location"]).content.decode()
    assert "由后台任务导入" in page  # the preview says so before confirming
    response = client.post(f"/enterprises/import/{batch.pk}/confirm/")
    assert response.status_code == 302 and response["Location"] == f"/enterprises/import/{batch.pk}/"

    page = client.get(response["Location"]).content.decode()
    assert "由后台任务导入" in page and 'hx-trigger="every 2s"' in page
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="import-state"') and "<html" not in fragment

    ImportBatch.objects.filter(pk=batch.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=5))
    assert "investdesk worker" in client.get(response["Location"]).content.decode()

    importer.import_run(batch_id=batch.pk)
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：新增 2 家" in page and "every 2s" not in page
    assert client_for(colleague).get(response["Location"]).status_code == 404  # only its uploader sees it


def test_a_large_file_is_checked_by_the_worker_whose_progress_its_page_shows(
    client_for, owner, industry, large, django_capture_on_commit_callbacks, monkeypatch
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", CSV.encode())})
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.CHECKING and batch.row_count == 2 and batch.preview == {}
    assert len(callbacks) == 1  # the check is queued once the upload commits
    page = client.get(response["Location"]).content.decode()
    assert "后台任务逐行核对" in page and 'aria-valuenow="0"' in page and 'hx-trigger="every 2s"' in page
    assert "确认导入" not in page
    with pytest.raises(DomainError, match="仍在核对"):
        importer.import_confirm(actor=owner, batch_id=batch.pk)  # nothing to confirm yet

    # The check writes its progress as it goes, outside any transaction; here one chunk a row.
    seen = []
    monkeypatch.setattr(importer, "CHECK_CHUNK", 1)
    original = importer._progress_writer

    def watching(batch_id):
        write = original(batch_id)

        def report(fraction):
            write(fraction)
            seen.append(ImportBatch.objects.get(pk=batch_id).progress)

        return report

    monkeypatch.setattr(importer, "_progress_writer", watching)
    _checked_by_worker(batch)
    assert seen == sorted(seen) and seen[-1] == 99 and len(set(seen)) >= 2, seen
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PREVIEWED and batch.progress == 100
    assert batch.preview["counts"] == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert "已核对" in Notification.objects.get(user=owner).text
    page = client.get(response["Location"]).content.decode()
    assert "确认导入" in page and "成都乙科技有限公司" in page and "every 2s" not in page
    assert not Enterprise.objects.exists()  # the check wrote nothing but its batch
    from investdesk.enterprises.tasks import import_check_task

    assert import_check_task.call(batch_id=batch.pk) == "not waiting for its check"


def test_a_check_that_finds_errors_cannot_be_confirmed(client_for, owner, industry, large):
    bad = CSV + "成都丙科技有限公司,123,成都,王五,13700009999\n"  # not a USCC
    response = client_for(owner).post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", bad.encode())})
    batch = ImportBatch.objects.get()
    from investdesk.enterprises.tasks import import_check_task

    import_check_task.call(batch_id=batch.pk)
    page = client_for(owner).get(response["Location"]).content.decode()
    assert "有错误" in page and "确认导入" not in page and "「统一社会信用代码」" in page
    with pytest.raises(DomainError):
        importer.import_confirm(actor=owner, batch_id=batch.pk)
    assert not Enterprise.objects.exists()


def test_an_unreadable_file_is_refused_in_the_request_and_not_kept(client_for, owner, large):
    response = client_for(owner).post(
        "/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", "代码,城市\n1,2\n3,4\n".encode())}
    )
    assert response.status_code == 400 and "企业名称" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_check_without_a_worker_or_whose_worker_died_says_so(client_for, owner, industry, large):
    client = client_for(owner)
    response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", CSV.encode())})
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=5))
    assert "investdesk worker" in client.get(response["Location"]).content.decode()
    started = timezone.now() - importer.STALLED_AFTER - datetime.timedelta(minutes=1)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=started, progress=40)
    page = client.get(response["Location"]).content.decode()
    assert "核对似乎已中断" in page and 'aria-valuenow="40"' in page


def test_a_stalled_check_is_checked_again_without_a_new_upload(
    client_for, owner, colleague, industry, large, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("企业.csv", CSV.encode())})
    batch = ImportBatch.objects.get()
    again = f"/enterprises/import/{batch.pk}/check/"
    # Still being checked: not stopped, so not checked again.
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now(), progress=40)
    assert "重新核对" not in client.get(response["Location"]).content.decode()
    with pytest.raises(DomainError):
        importer.import_check_again(actor=owner, batch_id=batch.pk)
    stalled = timezone.now() - importer.STALLED_AFTER - datetime.timedelta(minutes=1)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=stalled)
    assert "重新核对" in client.get(response["Location"]).content.decode()
    with pytest.raises(DomainError):  # not theirs
        importer.import_check_again(actor=colleague, batch_id=batch.pk)
    assert ImportBatch.objects.get().started_at == stalled
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(again)["Location"] == response["Location"]
    assert len(callbacks) == 1  # the check task, enqueued once the claim commits
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CHECKING and batch.started_at is None and batch.progress == 0
    assert "investdesk worker" not in client.get(response["Location"]).content.decode()  # queued just now
    _checked_by_worker(batch)
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PREVIEWED and batch.preview["counts"]["new"] == 2
    page = client.get(response["Location"]).content.decode()
    assert "似乎已中断" not in page and "确认导入" in page
