"""Import: GBK, UTF-8 with BOM and .xlsx; preview; all-or-nothing; idempotent; bad files."""

import io

import openpyxl
import pytest

from investdesk.core.errors import DomainError
from investdesk.enterprises import importer
from investdesk.enterprises.models import Contact, Enterprise
from investdesk.lib.tabular import TabularError, read_table

HEADER = "企业名称,统一社会信用代码,所在市州,所属产业,企业性质,投资方国别,重点企业,员工人数,联系人,职务,手机,备注说明\n"
ROWS = (
    "宁德时代新能源科技股份有限公司,91350000157987632G,宜宾,电子信息,民营,,是,8000,周凯,总经理,+86 138-0000-1111,x\n"
    "戴尔（中国）有限公司,,成都市,电子信息,外资,美国,否,2500,李安娜,总经理,13900002222,\n"
)


def _xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_gbk_csv_is_detected():
    table = read_table(filename="企业.csv", content=(HEADER + ROWS).encode("gbk"))
    assert table.encoding == "gb18030"
    assert table.headers[0] == "企业名称"
    assert table.rows[0][1][0] == "宁德时代新能源科技股份有限公司"


def test_utf8_bom_csv_is_detected():
    table = read_table(filename="企业.csv", content=("\ufeff" + HEADER + ROWS).encode("utf-8"))
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "企业名称"


def test_xlsx_numbers_come_back_as_text():
    content = _xlsx([["企业名称", "员工人数"], ["某公司", 3200]])
    table = read_table(filename="list.xlsx", content=content)
    assert table.rows == [(2, ["某公司", "3200"])]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("a.csv", b"", r"空|empty"),
        ("a.pdf", b"%PDF-1.4 ...", "xlsx"),
        ("a.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", r"spreadsheet|表格"),
        ("a.xls", b"\xd0\xcf\x11\xe0", "xlsx"),
        ("a.xlsx", b"PK\x03\x04 not really a zip", "xlsx"),
        ("a.csv", "企业名称\n".encode(), r"no data rows|没有数据行"),
        ("a.csv", b"x" * (20 * 1024 * 1024 + 1), "20 MB"),
    ],
)
def test_bad_files_get_a_clear_message(filename, content, message):
    with pytest.raises(TabularError, match=message):
        read_table(filename=filename, content=content)


def test_preview_says_what_each_row_will_do(owner, industry, chengdu_enterprise):
    csv = (
        HEADER + ROWS + "比亚迪股份有限公司,914403001922038216,成都,电子信息,民营,,是,12000,王磊,总经理,13812348888,\n"
    )
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=csv.encode("gbk"))
    assert [r.action for r in plan.rows] == ["new", "new", "update"]
    assert plan.unknown_columns == ["备注说明"]
    assert Enterprise.objects.count() == 1  # nothing written by a preview


def test_errors_name_row_and_column_and_block_the_whole_import(owner, industry):
    bad = HEADER + ROWS + "坏数据公司,914403001922038217,火星,电子信息,民营,,也许,很多,张三,,12345,\n"
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=bad.encode("utf-8"))
    error_row = plan.rows[2]
    assert error_row.action == "error" and error_row.row == 4
    columns = {column for column, _ in error_row.errors}
    assert {"统一社会信用代码", "所在市州", "重点企业", "员工人数", "手机"} <= columns
    with pytest.raises(DomainError):
        importer.import_apply(actor=owner, batch_id=plan.batch.pk)
    assert Enterprise.objects.count() == 0 and Contact.objects.count() == 0


def test_confirm_applies_everything_and_reimport_changes_nothing(owner, industry):
    content = (HEADER + ROWS).encode("gbk")
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=content)
    counts = importer.import_apply(actor=owner, batch_id=plan.batch.pk)
    assert counts["new"] == 2
    catl = Enterprise.objects.get(uscc="91350000157987632G")
    assert catl.city == "yibin" and catl.is_key and catl.employees == 8000 and catl.owner_unit == owner.unit
    assert catl.contacts.get().mobile == "13800001111"
    dell = Enterprise.objects.get(name="戴尔（中国）有限公司")
    assert dell.ownership == "foreign"
    # The same file again: every row unchanged, nothing written.
    again = importer.import_preview(actor=owner, filename="企业.csv", content=content)
    assert {r.action for r in again.rows} == {"unchanged"}
    importer.import_apply(actor=owner, batch_id=again.batch.pk)
    assert Enterprise.objects.count() == 2 and Contact.objects.count() == 2


def test_a_confirmed_batch_cannot_be_applied_twice(owner, industry):
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=(HEADER + ROWS).encode())
    importer.import_apply(actor=owner, batch_id=plan.batch.pk)
    with pytest.raises(DomainError):
        importer.import_apply(actor=owner, batch_id=plan.batch.pk)


def test_another_users_batch_is_not_found(owner, colleague, industry):
    plan = importer.import_preview(actor=owner, filename="企业.csv", content=(HEADER + ROWS).encode())
    with pytest.raises(DomainError):
        importer.import_apply(actor=colleague, batch_id=plan.batch.pk)


def test_rows_of_another_units_enterprise_are_errors(owner, mianyang_enterprise, industry):
    csv = "企业名称,统一社会信用代码\n四川长虹电器股份有限公司,91110000600037341L\n"
    plan = importer.import_preview(actor=owner, filename="a.csv", content=csv.encode())
    assert plan.rows[0].action == "error"


def test_a_file_without_a_name_column_is_refused(owner):
    with pytest.raises(DomainError, match="企业名称"):
        importer.import_preview(actor=owner, filename="a.csv", content="代码,城市\n1,2\n".encode())


def test_xlsx_rows_are_numbered_as_in_the_spreadsheet(owner, industry):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "企业名称", "所在市州"
    sheet["C4"], sheet["D4"] = "成都一号科技有限公司", "成都"
    sheet["C6"], sheet["D6"] = "成都二号科技有限公司", "火星"
    sheet["D7"] = 3200  # a number typed in Excel
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(filename="a.xlsx", content=buffer.getvalue())
    assert table.headers[2:4] == ["企业名称", "所在市州"]
    assert [number for number, _cells in table.rows] == [4, 6, 7]
    assert table.rows[2][1][3] == "3200"
    plan = importer.import_preview(actor=owner, filename="a.xlsx", content=buffer.getvalue())
    assert [(r.row, r.action) for r in plan.rows[:2]] == [(4, "new"), (6, "error")]


def test_xlsx_import(owner, industry):
    content = _xlsx(
        [["企业名称", "所在市州", "联系人", "手机号码"], ["成都测试科技有限公司", "成都", "张三", "13700001234"]]
    )
    plan = importer.import_preview(actor=owner, filename="企业.xlsx", content=content)
    importer.import_apply(actor=owner, batch_id=plan.batch.pk)
    assert Enterprise.objects.get(name="成都测试科技有限公司").contacts.get().name == "张三"


def test_business_rules_are_checked_in_the_preview(owner, industry):
    csv = "企业名称,企业性质\n某外资公司,外资\n"
    plan = importer.import_preview(actor=owner, filename="a.csv", content=csv.encode())
    assert plan.rows[0].action == "error"
    assert plan.rows[0].errors[0][0] == "投资方国别"
    assert not Enterprise.objects.exists()


def test_new_rows_are_written_in_bulk_with_an_audit_entry_each_in_an_intact_chain(owner, industry, monkeypatch):
    from django.db import connection

    from investdesk.lib import bulk

    monkeypatch.setattr(bulk, "GIN_BATCH_ROWS", 10)  # PostgreSQL: the search indexes' batched path
    from django.test.utils import CaptureQueriesContext

    from investdesk.core.audit import verify_chain
    from investdesk.core.models import AuditEntry
    from investdesk.enterprises.selectors import EnterpriseFilter, enterprises_for_user

    rows = "".join(
        f"成都测试{i}号科技有限公司,,成都市,电子信息,民营,,否,10,王{i},经理,1380000{i:04d},\n" for i in range(60)
    )
    plan = importer.import_preview(actor=owner, filename="a.csv", content=(HEADER + rows).encode())
    from investdesk.core.audit import RequestContext, request_context

    token = request_context.set(RequestContext(ip="10.8.0.7", user_agent="测试浏览器"))
    try:
        with CaptureQueriesContext(connection) as captured:
            assert importer.import_apply(actor=owner, batch_id=plan.batch.pk)["new"] == 60
    finally:
        request_context.reset(token)
    assert len(captured) < 60  # a few queries for the whole file, not several per row
    created = AuditEntry.objects.filter(
        action="create", target_type__in=["enterprises.enterprise", "enterprises.contact"]
    )
    assert created.count() == 120 and verify_chain().ok
    # On PostgreSQL the entries are made in a thread beside the COPY: still with the request's context.
    assert set(created.values_list("ip", "user_agent")) == {("10.8.0.7", "测试浏览器")}
    enterprise = Enterprise.objects.get(name="成都测试7号科技有限公司")
    assert enterprise.contacts.get().is_primary and enterprise.contacts.get().mobile == "13800000007"
    from investdesk.core.fields import blind_index_q

    assert Contact.objects.filter(blind_index_q(Contact, "mobile", "138 0000 0007")).get().enterprise == enterprise
    assert enterprise.created_at is not None and enterprise.version == 1
    names = list(Enterprise.objects.filter(name__startswith="成都测试").order_by("id").values_list("name", flat=True))
    assert names == [f"成都测试{i}号科技有限公司" for i in range(60)]  # ids follow the rows
    assert list(enterprises_for_user(user=owner, filters=EnterpriseFilter(q="成都测试7号"))) == [enterprise]
    assert enterprises_for_user(user=owner, filters=EnterpriseFilter(q="chengduceshi")).count() == 60


def test_a_code_taken_by_another_unit_since_the_preview_stops_the_whole_import(owner, outsider, industry):
    from investdesk.enterprises import services

    plan = importer.import_preview(actor=owner, filename="企业.csv", content=(HEADER + ROWS).encode())
    services.enterprise_create(actor=outsider, name="别家公司", uscc="91350000157987632G", city="yibin")
    with pytest.raises(DomainError, match="未导入任何数据"):
        importer.import_apply(actor=owner, batch_id=plan.batch.pk)
    assert not Enterprise.objects.filter(name__startswith="戴尔").exists()


# --- rows that update registered enterprises -----------------------------------------------------

UPDATE_HEADER = "企业名称,统一社会信用代码,所在市州,所属产业,企业性质,投资方国别,员工人数,联系人,职务,手机\n"


def _registered(owner, industry, n: int) -> list[Enterprise]:
    """n enterprises of the owner's unit: even ones with a contact 王i, odd ones with none."""
    from investdesk.enterprises import services

    enterprises = []
    for i in range(n):
        enterprise = services.enterprise_create(
            actor=owner, name=f"成都更新{i}号有限公司", city="chengdu", industry=industry, liaison=owner
        )
        if i % 2 == 0:
            services.contact_create(actor=owner, enterprise=enterprise, name=f"王{i}", title="经理")
        enterprises.append(enterprise)
    return enterprises


def _update_file(n: int) -> bytes:
    """Every row changes something: the employees of all; the title and mobile of the even rows'
    contact; a new contact (who becomes primary) for the odd rows."""
    rows = "".join(
        f"成都更新{i}号有限公司,,成都,电子信息,民营,,{100 + i},{'王' if i % 2 == 0 else '新'}{i},总监,1370000{i:04d}\n"
        for i in range(n)
    )
    return (UPDATE_HEADER + rows).encode()


def _state():
    """What the registry holds, and what the audit trail says about it, without ids of the trail."""
    from investdesk.core.models import AuditEntry

    enterprises = list(
        Enterprise.objects.order_by("id").values_list("name", "employees", "version", "search_text", "ownership")
    )
    contacts = list(
        Contact.objects.order_by("enterprise_id", "name").values_list(
            "enterprise__name", "name", "title", "mobile_index", "is_primary", "version"
        )
    )
    entries = AuditEntry.objects.filter(target_type__in=["enterprises.enterprise", "enterprises.contact"])
    audit = sorted(  # by what they name: a contact created twice (rolled back once) has two ids and times
        (e.action, e.target_type, e.target_repr, str({k: v for k, v in e.changes.items() if k != "created_at"}))
        for e in entries
    )
    return enterprises, contacts, audit


def test_updating_rows_in_bulk_does_what_the_services_do_one_row_at_a_time(owner, industry):
    """The import's bulk update path against enterprise_update, contact_create and contact_update
    called row by row on the same data: the same records, versions, search texts, primary contacts,
    blind indexes and audit entries."""
    from django.db import transaction

    from investdesk.core.audit import verify_chain
    from investdesk.enterprises import services

    _registered(owner, industry, 6)
    plan = importer.import_preview(actor=owner, filename="a.csv", content=_update_file(6))
    assert [r.action for r in plan.rows] == ["update"] * 6
    rows = [(r.match.pk, r.enterprise_fields, r.contact_fields) for r in plan.rows]

    with transaction.atomic():
        for pk, fields, contact in rows:  # as the import did before: the services, row by row
            enterprise = services.enterprise_update(
                actor=owner, enterprise=Enterprise.objects.get(pk=pk), version=None, **fields
            )
            existing = enterprise.contacts.filter(name=contact["name"]).first()
            if existing is None:
                services.contact_create(actor=owner, enterprise=enterprise, **contact)
            else:
                services.contact_update(actor=owner, contact=existing, version=None, **contact)
        one_by_one = _state()
        transaction.set_rollback(True)

    assert importer.import_apply(actor=owner, batch_id=plan.batch.pk)["update"] == 6
    assert _state() == one_by_one
    assert verify_chain().ok
    odd = Enterprise.objects.get(name="成都更新1号有限公司")
    assert odd.contacts.get().is_primary and odd.contacts.get().mobile == "13700000001"
    assert "新1" in odd.search_text
    again = importer.import_preview(actor=owner, filename="a.csv", content=_update_file(6))
    assert [r.action for r in again.rows] == ["unchanged"] * 6  # re-importing changes nothing


def test_checking_and_applying_updates_takes_the_same_queries_for_10_rows_as_for_40(owner, industry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _registered(owner, industry, 40)
    counts = []
    for n in (10, 40):
        with CaptureQueriesContext(connection) as checked:
            plan = importer.import_preview(actor=owner, filename="a.csv", content=_update_file(n))
        assert plan.counts["update"] == n
        with CaptureQueriesContext(connection) as applied:
            importer.import_apply(actor=owner, batch_id=plan.batch.pk)
        counts.append((len(checked), len(applied)))
        for enterprise in Enterprise.objects.all():  # the next file changes them all again
            Enterprise.objects.filter(pk=enterprise.pk).update(employees=None)
        Contact.objects.update(title="经理")
    (checked_10, applied_10), (checked_40, applied_40) = counts
    # The same queries but for the bulk UPDATEs' batches (SQLite's take only a few dozen rows each);
    # row by row it was some thirty queries a row.
    assert checked_10 == checked_40 and applied_40 - applied_10 <= 2, counts


def test_an_update_that_breaks_a_rule_or_takes_a_code_is_an_error_of_its_row(owner, outsider, industry):
    from investdesk.enterprises import services

    _registered(owner, industry, 2)
    services.enterprise_create(actor=outsider, name="别家公司", uscc="91350000157987632G", city="mianyang")
    csv = (
        UPDATE_HEADER
        + "成都更新0号有限公司,,成都,,外资,,1,,,\n"  # 外资 without 投资方国别
        + "成都更新1号有限公司,91350000157987632G,成都,,民营,,1,,,\n"  # another unit's code
    )
    plan = importer.import_preview(actor=owner, filename="a.csv", content=csv.encode())
    assert [(r.action, [column for column, _m in r.errors]) for r in plan.rows] == [
        ("error", ["投资方国别"]),
        ("error", ["统一社会信用代码"]),
    ]
    assert Enterprise.objects.get(name="成都更新0号有限公司").ownership != "foreign"


def test_the_rows_own_values_are_still_checked_by_the_model_in_bulk(owner, industry):
    """The bulk paths validate only the fields a row gives (versioning.full_clean's `only`): a value
    too long for its column is still an error of its row, new or updating, enterprise or contact."""
    _registered(owner, industry, 1)
    csv = (
        "企业名称,地址,联系人,职务\n"
        f"成都更新0号有限公司,{'长' * 201},王0,总经理\n"  # an update: the address
        f"成都新来的有限公司,高新区,李四,{'职' * 61}\n"  # new: the contact's title
        "成都另一家有限公司,高新区,赵五,经理\n"
    )
    plan = importer.import_preview(actor=owner, filename="a.csv", content=csv.encode())
    assert [(r.action, [column for column, _m in r.errors]) for r in plan.rows] == [
        ("error", ["地址"]),
        ("error", ["职务"]),
        ("new", []),
    ]
    assert "200" in plan.rows[0].errors[0][1] and "60" in plan.rows[1].errors[0][1]


def test_full_clean_only_checks_the_fields_named(owner):
    from investdesk.core.versioning import full_clean

    enterprise = Enterprise(name="某公司", name_key="某公司", owner_unit=owner.unit, status="nonsense")
    full_clean(enterprise, unique=False, only={"name"})  # the status is not among them
    with pytest.raises(DomainError) as refused:
        full_clean(enterprise, unique=False, only={"name", "status"})
    assert refused.value.field == "status"
