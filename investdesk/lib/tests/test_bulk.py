"""lib.bulk.bulk_update: what save() would store, for many rows at once (PostgreSQL: COPY and one
UPDATE … FROM; other databases: Django's bulk_update)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from investdesk.core.fields import blind_index_q
from investdesk.enterprises.models import Contact, Enterprise, ImportBatch
from investdesk.lib.bulk import bulk_update


def test_bulk_update_stores_what_save_would(owner, chengdu_enterprise, mianyang_enterprise, monkeypatch):
    from investdesk.lib import bulk

    monkeypatch.setattr(bulk, "GIN_BATCH_ROWS", 1)  # PostgreSQL: the search indexes' batched path
    contacts = [
        Contact.objects.create(enterprise=chengdu_enterprise, name=f"联系人{i}", mobile=f"1380000000{i}")
        for i in range(3)
    ]
    for i, contact in enumerate(contacts):
        contact.mobile = f"1390000000{i}"  # encrypted; its blind index follows (pre_save)
        contact.title = f"职务{i}"
    bulk_update(contacts, ["mobile", "mobile_index", "title"])
    stored = Contact.objects.filter(pk__in=[c.pk for c in contacts]).order_by("pk")
    assert [(c.mobile, c.title) for c in stored] == [(f"1390000000{i}", f"职务{i}") for i in range(3)]
    assert Contact.objects.filter(blind_index_q(Contact, "mobile", "13900000001")).get() == contacts[1]
    assert not Contact.objects.filter(blind_index_q(Contact, "mobile", "13800000001")).exists()

    later = timezone.now() + datetime.timedelta(days=1)
    enterprises = [chengdu_enterprise, mianyang_enterprise]
    for i, enterprise in enumerate(enterprises):
        enterprise.employees, enterprise.updated_at, enterprise.is_key = 10 + i, later, True
        enterprise.search_text = f"新检索文本{i}"
        enterprise.name = "不写入"  # not among the fields
    with CaptureQueriesContext(connection) as queries:
        bulk_update(enterprises, ["employees", "updated_at", "is_key", "search_text"])
    assert len(queries) <= 12  # not a query per row
    stored = list(Enterprise.objects.filter(pk__in=[e.pk for e in enterprises]).order_by("pk"))
    assert [(e.employees, e.updated_at, e.is_key) for e in stored] == [(10, later, True), (11, later, True)]
    assert Enterprise.objects.filter(search_text__contains="新检索文本1").get() == mianyang_enterprise
    assert "不写入" not in {e.name for e in stored}

    bulk_update(enterprises, ["employees"])  # twice in one transaction: the temporary table is gone
    batch = ImportBatch.objects.create(created_by=owner, filename="a.csv", content=b"", sha256="")
    batch.preview = {"counts": {"new": 1}, "rows": [[2, "new", "成都", [], []]]}
    bulk_update([batch], ["preview"])
    batch.refresh_from_db()
    assert batch.preview == {"counts": {"new": 1}, "rows": [[2, "new", "成都", [], []]]}


def test_bulk_update_of_a_name_that_is_not_a_field_raises(chengdu_enterprise):
    from django.core.exceptions import FieldDoesNotExist

    with pytest.raises(FieldDoesNotExist):
        bulk_update([chengdu_enterprise], ["no_such_field"])
    bulk_update([], ["no_such_field"])  # nothing to write: nothing checked


def test_one_of_finds_the_rows_whose_field_is_among_the_values(chengdu_enterprise, mianyang_enterprise):
    from investdesk.lib.bulk import one_of

    codes = [chengdu_enterprise.uscc, "913500001579876320", mianyang_enterprise.uscc]
    found = one_of(Enterprise.objects.order_by("pk"), "uscc", codes, chunk=2)  # SQLite: two IN lists
    assert sorted(e.pk for e in found) == sorted([chengdu_enterprise.pk, mianyang_enterprise.pk])
    assert list(one_of(Enterprise.objects.values_list("uscc", "name"), "uscc", codes[:1])) == [
        (chengdu_enterprise.uscc, chengdu_enterprise.name)
    ]
    assert list(one_of(Enterprise.objects.all(), "uscc", [])) == []
