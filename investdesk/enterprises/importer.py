"""Importing enterprises and their contacts from a spreadsheet, in two steps.

`import_preview` reads the file and says, row by row, what confirming would do (new, update by USCC
or by name, unchanged, error with its column and a plain message), and keeps that on the file's batch
(`ImportBatch.preview`). `import_apply` does it in one transaction and only when no row has an error,
so a bad file writes nothing. Re-importing the same file finds every row unchanged.

The upload form calls `import_upload` and the confirm button `import_confirm`. A file of up to
BACKGROUND_ROWS rows is checked and applied in the request. A larger one (100,000 rows take 20 s to
check and minutes to write, longer than a web worker should hold a request) is only read in the
request, for its columns; the worker checks it (`tasks.import_check_task` → `import_check_run`,
writing its `progress`) and, once confirmed, applies it (`tasks.import_apply_task` → `import_run`).
The batch's page follows its `state` throughout.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry, User
from investdesk.core.services import notify
from investdesk.enterprises import services
from investdesk.enterprises.models import Contact, Enterprise, ImportBatch, Industry
from investdesk.lib.bulk import gc_paused, one_of
from investdesk.lib.identifiers import IdentifierError, validate_uscc
from investdesk.lib.phones import normalize_mobile
from investdesk.lib.regions import city_from_text
from investdesk.lib.tabular import TabularError, read_table

# Column headers as people write them → field. Keys are matched after removing spaces and "*".
HEADERS = {
    "name": ["企业名称", "企业名", "名称", "单位名称", "公司名称", "name", "企业"],
    "name_en": ["英文名称", "英文名", "name_en", "englishname"],
    "uscc": ["统一社会信用代码", "信用代码", "社会信用代码", "uscc", "统一代码"],
    "city": ["所在市州", "市州", "所在地", "城市", "所属市州", "注册地", "city"],
    "address": ["地址", "注册地址", "企业地址", "address"],
    "industry": ["所属产业", "产业", "行业", "产业链", "所属行业", "industry"],
    "ownership": ["企业性质", "所有制", "经济类型", "企业类型", "ownership"],
    "investor_country": ["投资方国别", "国别", "投资来源地", "国别地区", "investor_country"],
    "is_key": ["重点企业", "是否重点企业", "is_key"],
    "is_city_support": ["城市运行保障", "城市运行保障企业", "is_city_support"],
    "is_fortune500": ["世界500强", "500强", "is_fortune500"],
    "is_listed": ["上市企业", "是否上市", "上市", "is_listed"],
    "employees": ["员工人数", "从业人数", "职工人数", "employees"],
    "status": ["经营状态", "状态", "status"],
    "liaison": ["包联干部", "联系干部", "liaison"],
    "note": ["备注", "note"],
    "contact_name": ["联系人", "联系人姓名", "contact_name"],
    "contact_title": ["职务", "联系人职务", "contact_title"],
    "contact_mobile": ["手机", "手机号", "手机号码", "联系人手机", "移动电话", "contact_mobile"],
    "contact_phone": ["电话", "座机", "办公电话", "联系电话", "contact_phone"],
    "contact_email": ["邮箱", "电子邮箱", "email", "contact_email"],
    "contact_wechat": ["微信", "微信号", "contact_wechat"],
    "contact_channel": ["首选渠道", "联系方式偏好", "contact_channel"],
}
_LOOKUP = {alias.lower().replace(" ", ""): key for key, aliases in HEADERS.items() for alias in aliases}

_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "重点"}
_FALSE = {"否", "n", "no", "false", "0", ""}
OWNERSHIP_WORDS = {
    Enterprise.Ownership.PRIVATE: ["民营", "私营", "内资", "民企", "private"],
    Enterprise.Ownership.STATE: ["国有", "国企", "央企", "state"],
    Enterprise.Ownership.FOREIGN: ["外资", "外商", "合资", "独资", "foreign"],
    Enterprise.Ownership.HMT: ["港澳台", "港资", "澳资", "台资", "hmt"],
}
STATUS_WORDS = {
    Enterprise.Status.OPERATING: ["在营", "正常", "经营", "存续", "operating"],
    Enterprise.Status.SUSPENDED: ["停产", "停业", "歇业", "suspended"],
    Enterprise.Status.CLOSED: ["注销", "关闭", "吊销", "closed"],
    Enterprise.Status.PROSPECTIVE: ["意向", "潜在", "prospective"],
}
CHANNEL_WORDS = {
    Contact.Channel.EMAIL: ["邮件", "邮箱", "email"],
    Contact.Channel.SMS: ["短信", "sms"],
    Contact.Channel.WECOM: ["微信", "企业微信", "wecom"],
    Contact.Channel.PHONE: ["电话", "phone"],
}


@dataclass
class RowResult:
    row: int
    action: str  # new, update, unchanged, error
    name: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    enterprise_fields: dict = field(default_factory=dict)
    contact_fields: dict = field(default_factory=dict)
    match: Enterprise | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    batch: ImportBatch
    columns: dict[str, str]  # header → field
    unknown_columns: list[str]
    rows: list[RowResult]
    encoding: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        result = {"new": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            result[row.action] += 1
        return result

    @property
    def ok(self) -> bool:
        return not any(r.action == "error" for r in self.rows)

    def rows_to_show(self, limit: int | None = None) -> list[RowResult]:
        """The rows the preview lists: all of a small file; of a large one the rows with errors first,
        then the updates, then the rest, each in file order, `limit` (PREVIEW_ROWS) in all. A page of
        100,000 rows took longer to render than the preview took to compute, and no one reads it."""
        limit = PREVIEW_ROWS if limit is None else limit
        if len(self.rows) <= limit:
            return self.rows
        rank = {"error": 0, "update": 1}
        return sorted(self.rows, key=lambda r: rank.get(r.action, 2))[:limit]  # a stable sort


# How many rows the preview page lists (rows_to_show).
PREVIEW_ROWS = 1_000


def _word(value: str, table: dict) -> str | None:
    value = value.strip().lower()
    for key, words in table.items():
        if any(word in value for word in words):
            return key
    return None


def _parse_row(
    cells: dict[str, str], *, header_of: dict[str, str], industries: dict[str, Industry], liaisons: dict[str, User]
) -> tuple[dict, dict, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    ent: dict = {}
    contact: dict = {}

    def err(key: str, message: str) -> None:
        errors.append((header_of.get(key, key), message))

    name = cells.get("name", "").strip()
    if not name:
        err("name", _("The enterprise name is empty."))
    ent["name"] = name
    for key in ("name_en", "address", "investor_country", "note"):
        if key in cells:
            ent[key] = cells[key].strip()
    if cells.get("uscc"):
        try:
            ent["uscc"] = validate_uscc(cells["uscc"])
        except IdentifierError as exc:
            err("uscc", str(exc))
    if cells.get("city"):
        city = city_from_text(cells["city"])
        if city is None:
            err("city", _("“%(value)s” is not a city or prefecture of Sichuan.") % {"value": cells["city"]})
        ent["city"] = city or ""
    if cells.get("industry"):
        industry = industries.get(cells["industry"].strip())
        if industry is None:
            err(
                "industry",
                _("Unknown industry “%(value)s”; use one of: %(names)s.")
                % {"value": cells["industry"], "names": "、".join(industries)},
            )
        ent["industry"] = industry
    if cells.get("ownership"):
        ownership = _word(cells["ownership"], OWNERSHIP_WORDS)
        if ownership is None:
            err(
                "ownership",
                _("Unknown ownership “%(value)s”: write 民营, 国有, 外资 or 港澳台.") % {"value": cells["ownership"]},
            )
        ent["ownership"] = ownership
    if cells.get("status"):
        status = _word(cells["status"], STATUS_WORDS)
        if status is None:
            err("status", _("Unknown status “%(value)s”: write 在营, 停产, 注销 or 意向.") % {"value": cells["status"]})
        ent["status"] = status
    for key in ("is_key", "is_city_support", "is_fortune500", "is_listed"):
        if key in cells:
            value = cells[key].strip().lower()
            if value in _TRUE:
                ent[key] = True
            elif value in _FALSE:
                ent[key] = False
            else:
                err(key, _("Write 是 or 否, not “%(value)s”.") % {"value": cells[key]})
    if cells.get("employees"):
        try:
            ent["employees"] = int(cells["employees"].replace(",", "").replace("，", ""))
            if ent["employees"] < 0:
                raise ValueError
        except ValueError:
            err("employees", _("The number of employees must be a whole number."))
    if cells.get("liaison"):
        liaison = liaisons.get(cells["liaison"].strip())
        if liaison is None:
            err("liaison", _("No active person named “%(value)s” (name or username).") % {"value": cells["liaison"]})
        ent["liaison"] = liaison
    # The contact on the same row, if any.
    if cells.get("contact_name"):
        contact["name"] = cells["contact_name"].strip()
        for key in ("title", "phone", "email", "wechat"):
            if f"contact_{key}" in cells:
                contact[key] = cells[f"contact_{key}"].strip()
        if cells.get("contact_mobile"):
            mobile = normalize_mobile(cells["contact_mobile"])
            if mobile is None:
                err("contact_mobile", _("Enter a mainland mobile number of 11 digits, e.g. 13812345678."))
            contact["mobile"] = mobile or ""
        if contact.get("email"):
            from django.core.validators import validate_email

            try:
                validate_email(contact["email"])
            except Exception:
                err("contact_email", _("“%(value)s” is not an email address.") % {"value": contact["email"]})
        if cells.get("contact_channel"):
            channel = _word(cells["contact_channel"], CHANNEL_WORDS)
            if channel is None:
                err("contact_channel", _("Write 邮件, 短信, 微信 or 电话."))
            contact["preferred_channel"] = channel
    elif any(cells.get(f"contact_{k}") for k in ("mobile", "phone", "email", "wechat", "title")):
        err("contact_name", _("Contact details are given but the contact's name is empty."))
    return ent, contact, errors


def _compare(obj, fields: dict) -> list[str]:
    changed = []
    for key, value in fields.items():
        current = getattr(obj, key)
        if (current or None) != (value or None):
            changed.append(key)
    return changed


# Reports how far a check has gone, as a fraction from 0 to 1 (import_check_run writes it on the batch).
Progress = Callable[[float], None]


def import_preview(*, actor, filename: str, content: bytes) -> ImportPlan:
    """Read and check the file now, whatever its size, and keep the preview on a new batch for its
    confirmation. Raises DomainError for an unusable file."""
    with gc_paused():
        return _check_now(actor, filename, content, *_read(actor=actor, filename=filename, content=content))


def _check_now(actor, filename: str, content: bytes, table, columns, unknown) -> ImportPlan:
    batch = _new_batch(actor=actor, filename=filename, content=content, rows=len(table.rows))
    plan = _plan(actor=actor, batch=batch, table=table, columns=columns, unknown=unknown)
    _keep_preview(plan)
    return plan


def import_upload(*, actor, filename: str, content: bytes) -> ImportBatch:
    """The upload form's step: a file of up to BACKGROUND_ROWS rows is checked now (the batch comes back
    previewed); a larger one is read for its columns, kept, and queued for the worker's check (the batch
    comes back `checking`). Raises DomainError for an unusable file, which then is not kept."""
    table, columns, unknown = _read(actor=actor, filename=filename, content=content)
    if len(table.rows) <= BACKGROUND_ROWS:
        with gc_paused():
            return _check_now(actor, filename, content, table, columns, unknown).batch
    from investdesk.enterprises.tasks import import_check_task

    with transaction.atomic():
        batch = _new_batch(
            actor=actor,
            filename=filename,
            content=content,
            rows=len(table.rows),
            state=ImportBatch.State.CHECKING,
            queued_at=timezone.now(),
        )
        transaction.on_commit(lambda: import_check_task.enqueue(batch_id=batch.pk))
    return batch


def _check_stalled(now: datetime.datetime) -> Q:
    """The batches whose check started longer than STALLED_AFTER ago and has not ended: its worker
    was stopped with it (a check of 100,000 rows takes seconds)."""
    return Q(state=ImportBatch.State.CHECKING, started_at__lt=now - STALLED_AFTER)


def import_check_again(*, actor, batch_id: int) -> ImportBatch:
    """Queue the check of a file again when its first check stopped with its worker (_check_stalled);
    the batch's page then follows the new one. Raises DomainError when it is not stalled."""
    from investdesk.enterprises.tasks import import_check_task

    batch = _unapplied_batch(actor=actor, batch_id=batch_id)
    now = timezone.now()
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(_check_stalled(now), pk=batch.pk).update(
            started_at=None, queued_at=now, progress=0
        )
        if not claimed:
            raise DomainError(_("This file's check is not stopped; wait for its preview."), field="file")
        transaction.on_commit(lambda: import_check_task.enqueue(batch_id=batch.pk))
    batch.refresh_from_db()
    return batch


def import_check_run(*, batch_id: int) -> str:
    """The worker's side of import_upload: check a large file as the person who uploaded it, writing
    how far it has got on the batch, then keep the preview and tell them. Running it again (a worker
    killed mid-check, the task delivered twice) checks again: a check writes nothing but the batch."""
    batch = ImportBatch.objects.defer("content").select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.state != ImportBatch.State.CHECKING:
        return "not waiting for its check"
    ImportBatch.objects.filter(pk=batch_id).update(started_at=timezone.now(), progress=0)
    try:
        with gc_paused():
            plan = import_plan_for_batch(actor=batch.created_by, batch_id=batch_id, progress=_progress_writer(batch_id))
            _keep_preview(plan)
    except DomainError as exc:
        _failed(batch, exc.message)
        return f"not checked: {exc.message}"
    except Exception:
        _failed(batch, _("The check stopped on an unexpected error; upload the file again."))
        raise
    counts = plan.counts
    notify(
        users=[batch.created_by],
        key=f"import-{batch.pk}-checked",
        text=_(
            "%(file)s is checked: %(new)d new, %(update)d to update, %(unchanged)d unchanged, %(error)d with "
            "errors. Open it to confirm the import."
        )
        % {"file": batch.filename, **counts},
        url=reverse("enterprises:import_batch", args=[batch.pk]),
    )
    return f"checked {batch.filename}: {counts}"


def _progress_writer(batch_id: int) -> Progress:
    """Writes a check's progress on its batch, in whole percents, each once. Not from inside a
    transaction opened since (a dry run's): what it wrote would be seen only at its end, or rolled back."""
    written = -1
    depth = len(connection.atomic_blocks)

    def report(fraction: float) -> None:
        nonlocal written
        percent = max(0, min(99, int(fraction * 100)))  # 100 once the preview is kept
        if percent > written and len(connection.atomic_blocks) == depth:
            ImportBatch.objects.filter(pk=batch_id).update(progress=percent)
            written = percent

    return report


def _read(*, actor, filename: str, content: bytes) -> tuple:
    """The file's table and which of its columns are understood; DomainError when it is unusable."""
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))
    try:
        table = read_table(filename=filename, content=content)
    except TabularError as exc:
        raise DomainError(str(exc), field="file") from None
    columns, unknown = _columns(table.headers)
    if "name" not in columns.values():
        raise DomainError(
            _("No column for the enterprise name: the header row needs a column “企业名称”."), field="file"
        )
    return table, columns, unknown


def _columns(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """header → field for the headers we understand (the first of each field), and the others."""
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        key = _LOOKUP.get(header.lower().replace(" ", "").replace("*", ""))
        if key and key not in columns.values():
            columns[header] = key
        elif header:
            unknown.append(header)
    return columns, unknown


def _new_batch(*, actor, filename: str, content: bytes, rows: int, **fields) -> ImportBatch:
    return ImportBatch.objects.create(
        created_by=actor,
        filename=filename[:200],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=rows,
        **fields,
    )


def _keep_preview(plan: ImportPlan) -> None:
    """Keep what the check found on the batch, for its page and its confirmation."""
    batch = plan.batch
    batch.preview = {
        "counts": plan.counts,
        "ok": plan.ok,
        "encoding": plan.encoding or "",
        "unknown_columns": plan.unknown_columns,
        "rows": [[r.row, r.action, r.name, [list(e) for e in r.errors], r.changes] for r in plan.rows_to_show()],
    }
    batch.state = ImportBatch.State.PREVIEWED
    batch.progress = 100
    ImportBatch.objects.filter(pk=batch.pk).update(preview=batch.preview, state=batch.state, progress=100)


# How the time of a check divides between its steps, for its progress: reading the rows (to 15 %),
# matching them with the registry (to 30 %), then the services' rules (_dry_run). Measured with 20,000
# new rows on SQLite: 10 %, 10 % and 80 % of 1.9 s; the matching is given more for a large registry.
_PARSED, _MATCHED = 0.15, 0.30


def _plan(
    *, actor, batch, table, columns, unknown, dry_run: bool = True, progress: Progress | None = None
) -> ImportPlan:
    report = progress or (lambda fraction: None)
    header_of = {key: header for header, key in columns.items()}
    index = {key: table.headers.index(header) for header, key in columns.items()}
    industries = {i.name: i for i in Industry.objects.filter(is_active=True)}
    liaisons: dict[str, User] = {}
    for person in User.objects.filter(is_active=True):
        liaisons.setdefault(person.name, person)
        liaisons[person.username] = person
    parsed = []
    total = max(len(table.rows), 1)
    for done, (number, cells) in enumerate(table.rows):
        values = {key: cells[i] for key, i in index.items()}
        parsed.append((number, *_parse_row(values, header_of=header_of, industries=industries, liaisons=liaisons)))
        if done % 1000 == 999:
            report(_PARSED * done / total)
    by_uscc, by_name, editable_ids = _matches(actor, [ent for _n, ent, _c, _e in parsed])
    contact_of = _contacts_by_name([*by_uscc.values(), *by_name.values()]) if "contact_name" in index else {}
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    for number, ent, contact, errors in parsed:
        result = RowResult(
            row=number,
            action="new",
            name=ent.get("name", ""),
            errors=errors,
            enterprise_fields=ent,
            contact_fields=contact,
        )
        identity = ent.get("uscc") or services.name_key(ent.get("name", ""))
        if identity in seen:
            result.errors.append(
                (
                    header_of.get("uscc") or header_of["name"],
                    _("The same enterprise already appears on row %(row)d.") % {"row": seen[identity]},
                )
            )
        seen[identity] = number
        match = by_uscc.get(ent["uscc"]) if ent.get("uscc") else None
        if match is None and ent.get("name"):
            match = by_name.get(services.name_key(ent["name"]))
            if match is not None and match.uscc and ent.get("uscc") and match.uscc != ent["uscc"]:
                match = None  # same name, different code: a different enterprise
        if match is not None and match.pk not in editable_ids:
            result.errors.append(
                (
                    header_of.get("uscc") or header_of["name"],
                    _("This enterprise is registered by another unit; ask them to update it."),
                )
            )
        if match is not None:
            result.match = match
            result.changes = _compare(match, ent)
            if contact:
                existing = contact_of.get((match.pk, contact["name"]))
                if existing is None or _compare(existing, contact):
                    result.changes.append("contact")
            result.action = "update" if result.changes else "unchanged"
        if result.errors:
            result.action = "error"
        results.append(result)
    report(_MATCHED)
    plan = ImportPlan(batch=batch, columns=columns, unknown_columns=unknown, rows=results, encoding=table.encoding)
    if dry_run:
        _dry_run(actor=actor, plan=plan, header_of=header_of, progress=report)
    return plan


def _matches(actor, rows: list[dict]) -> tuple[dict, dict, set[int]]:
    """The registered enterprises the rows name, by code and by folded name (a few queries for the
    whole file, not per row), and which of them the actor may edit."""
    codes = list({ent["uscc"] for ent in rows if ent.get("uscc")})
    keys = list({services.name_key(ent["name"]) for ent in rows if ent.get("name")})
    by_uscc: dict[str, Enterprise] = {}
    by_name: dict[str, Enterprise] = {}
    enterprises = Enterprise.objects.select_related("industry", "liaison")  # compared with the rows' own
    by_uscc.update((e.uscc, e) for e in one_of(enterprises, "uscc", codes))
    found = enterprises.filter(merged_into__isnull=True).order_by("updated_at", "id")
    for enterprise in one_of(found, "name_key", keys):  # the last written wins: the most recent
        by_name[enterprise.name_key] = enterprise
    ids = list({e.pk for e in [*by_uscc.values(), *by_name.values()]})
    editable = policy.editable(actor, Enterprise.objects.filter(merged_into__isnull=True))
    editable_ids: set[int] = set()
    for start in range(0, len(ids), 500):
        editable_ids.update(editable.filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True))
    return by_uscc, by_name, editable_ids


def _contacts_by_name(enterprises: list[Enterprise]) -> dict[tuple[int, str], Contact]:
    """(enterprise id, name) → the first such contact, as `enterprise.contacts.filter(name=…).first()`
    would find it, for all the matched enterprises at once."""
    ids = list({e.pk for e in enterprises})
    found: dict[tuple[int, str], Contact] = {}
    for start in range(0, len(ids), 500):
        for contact in Contact.objects.filter(enterprise_id__in=ids[start : start + 500]):  # Meta ordering
            found.setdefault((contact.enterprise_id, contact.name), contact)
    return found


def _update_rows(rows: list[RowResult]) -> list[tuple[int, dict, dict | None]]:
    """The rows that update a registered enterprise, as enterprises_update_many takes them."""
    return [(row.match.pk, row.enterprise_fields, row.contact_fields or None) for row in rows]


def _dry_run(*, actor, plan: ImportPlan, header_of: dict[str, str], progress: Progress) -> None:
    """Check every row with the services' own rules, writing nothing, so the preview reports exactly
    the business-rule errors the confirmation would meet (e.g. 外资 without 投资方国别)."""
    field_to_key = {"name": "name", "uscc": "uscc", "mobile": "contact_mobile", "email": "contact_email"}

    def fail(row: RowResult, exc: DomainError) -> None:
        key = field_to_key.get(exc.field or "", exc.field or "")
        column = header_of.get(key) or header_of.get(f"contact_{key}") or str(_field_label(exc.field))
        row.errors.append((column, exc.message))
        row.action = "error"

    # The bulk paths' own checks (the same rules, no writes), a chunk at a time for the progress.
    new = [row for row in plan.rows if row.action == "new"]
    updates = [row for row in plan.rows if row.action == "update"]
    total, done = max(len(new) + len(updates), 1), 0
    for rows, check, fields in (
        (new, services.enterprises_check_new, lambda chunk: [_new_fields(row) for row in chunk]),
        (updates, services.enterprises_check_updates, _update_rows),
    ):
        for start in range(0, len(rows), CHECK_CHUNK):
            chunk = rows[start : start + CHECK_CHUNK]
            for i, exc in check(actor=actor, rows=fields(chunk)).items():
                fail(chunk[i], exc)
            done += len(chunk)
            progress(_MATCHED + (1 - _MATCHED) * done / total)


def _new_fields(row: RowResult) -> tuple[dict, dict | None]:
    return row.enterprise_fields, row.contact_fields or None


def _field_label(field_name: str | None) -> str:
    aliases = HEADERS.get(field_name or "") or HEADERS.get(f"contact_{field_name}")
    return aliases[0] if aliases else (field_name or "")


def _unapplied_batch(*, actor, batch_id: int, lock: bool = False) -> ImportBatch:
    """The actor's own batch not applied yet, or DomainError. `lock`: applying locks the batch, so a
    second confirmation of the same file waits, then finds it applied."""
    batches = ImportBatch.objects.filter(pk=batch_id, created_by=actor, applied_at__isnull=True)
    batch = (batches.select_for_update() if lock else batches).first()
    if batch is None:
        raise DomainError(_("This import was already applied or does not exist; upload the file again."), field="file")
    return batch


# Rows checked at a time in a dry run, new and updating ones apart (each chunk reports progress).
CHECK_CHUNK = 5_000


def import_plan_for_batch(
    *, actor, batch_id: int, dry_run: bool = True, progress: Progress | None = None
) -> ImportPlan:
    batch = _unapplied_batch(actor=actor, batch_id=batch_id, lock=not dry_run)
    table = read_table(filename=batch.filename, content=bytes(batch.content))
    columns, unknown = _columns(table.headers)
    return _plan(
        actor=actor, batch=batch, table=table, columns=columns, unknown=unknown, dry_run=dry_run, progress=progress
    )


def import_apply(*, actor, batch_id: int) -> dict[str, int]:
    """Apply a previewed file: all rows or none. Re-checks everything, since time has passed: the rows
    are matched and parsed again, and any rule a row now breaks stops the whole import (no separate
    dry run: applying in this one transaction is the check)."""
    with gc_paused():
        return _apply(actor=actor, batch_id=batch_id)


@transaction.atomic
def _apply(*, actor, batch_id: int) -> dict[str, int]:
    refused = DomainError(
        _("Some rows have errors; correct the file and upload it again. Nothing was imported."), field="file"
    )
    plan = import_plan_for_batch(actor=actor, batch_id=batch_id, dry_run=False)
    if not plan.ok:
        raise refused
    try:
        services.enterprises_update_many(actor=actor, rows=_update_rows([r for r in plan.rows if r.action == "update"]))
        new = [_new_fields(row) for row in plan.rows if row.action == "new"]
        services.enterprises_create_new(actor=actor, rows=new)
    except DomainError:
        raise refused from None
    counts = plan.counts
    plan.batch.applied_at = timezone.now()
    plan.batch.summary = counts
    plan.batch.state = ImportBatch.State.DONE
    plan.batch.error = ""
    plan.batch.save(update_fields=["applied_at", "summary", "state", "error"])
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, note=f"import {plan.batch.filename}: {counts}")
    return counts


# A larger file is applied by the worker: 2,000 rows take a few seconds, 100,000 take minutes.
BACKGROUND_ROWS = 2_000
# A batch still "importing" this long after it started was dropped by its worker (a transaction
# killed with it wrote nothing): it may be confirmed again.
STALLED_AFTER = datetime.timedelta(minutes=30)
# A batch waiting this long for a worker: is one running?
WORKER_SLOW = datetime.timedelta(minutes=2)


def _confirmable(now: datetime.datetime) -> Q:
    """The batches a confirmation may queue: previewed, failed, or importing but stalled."""
    return Q(state__in=[ImportBatch.State.PREVIEWED, ImportBatch.State.FAILED]) | Q(
        state=ImportBatch.State.RUNNING, started_at__lt=now - STALLED_AFTER
    )


def import_confirm(*, actor, batch_id: int) -> ImportBatch:
    """Confirm a previewed file: applied now when small (the batch comes back imported), otherwise
    queued for the worker (the batch comes back waiting). Raises DomainError when it cannot be."""
    batch = _unapplied_batch(actor=actor, batch_id=batch_id)
    if batch.state == ImportBatch.State.CHECKING:
        raise DomainError(_("This file is still being checked; confirm it once its preview is shown."), field="file")
    if not batch.preview.get("ok"):
        raise DomainError(_("Some rows have errors; correct the file and upload it again."), field="file")
    if not in_background(batch):
        import_apply(actor=actor, batch_id=batch.pk)
        batch.refresh_from_db()
        return batch
    from investdesk.enterprises.tasks import import_apply_task

    now = timezone.now()
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(_confirmable(now), pk=batch.pk, applied_at__isnull=True).update(
            state=ImportBatch.State.QUEUED, queued_at=now, started_at=None, error=""
        )
        if not claimed:
            raise DomainError(_("This import is already under way."), field="file")
        transaction.on_commit(lambda: import_apply_task.enqueue(batch_id=batch.pk))
    batch.refresh_from_db()
    return batch


def in_background(batch: ImportBatch) -> bool:
    """Whether confirming this file queues it for the worker rather than applying it at once."""
    return batch.row_count > BACKGROUND_ROWS


def import_run(*, batch_id: int) -> str:
    """The worker's side of import_confirm: apply a queued batch as the person who uploaded it and
    record how it ended on the batch. Runs a batch once: another run finds it no longer queued."""
    started = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.QUEUED).update(
        state=ImportBatch.State.RUNNING, started_at=timezone.now()
    )
    if not started:
        return "not queued"
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        counts = import_apply(actor=batch.created_by, batch_id=batch_id)
    except DomainError as exc:
        _failed(batch, exc.message)
        return f"not imported: {exc.message}"
    except Exception:
        _failed(batch, _("The import stopped on an unexpected error; nothing was imported."))
        raise
    notify(
        users=[batch.created_by],
        key=f"import-{batch.pk}",
        text=_("Imported %(file)s: %(new)d new, %(update)d updated, %(unchanged)d unchanged.")
        % {"file": batch.filename, **counts},
        url=reverse("enterprises:import_batch", args=[batch.pk]),
    )
    return f"imported {batch.filename}: {counts}"


def _failed(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, error=message)
    notify(
        users=[batch.created_by],
        key=f"import-{batch.pk}-failed-{timezone.now():%Y%m%d%H%M%S}",
        text=_("%(file)s was not imported: %(reason)s") % {"file": batch.filename, "reason": message},
        url=reverse("enterprises:import_batch", args=[batch.pk]),
    )


@dataclass(frozen=True)
class BatchStatus:
    """What a batch's page shows besides the batch itself."""

    batch: ImportBatch
    waiting_long: bool  # queued, or being checked with no progress, for longer than WORKER_SLOW
    minutes: int  # importing for this many minutes
    confirmable: bool  # import_confirm would queue it again
    stalled: bool  # importing, or being checked, for longer than STALLED_AFTER
    in_background: bool  # the worker checks and applies it (in_background)

    @property
    def preview_rows(self) -> list[dict]:
        """The rows the check listed, for the page."""
        return [
            {"row": row, "action": action, "name": name, "errors": errors, "changes": changes}
            for row, action, name, errors, changes in self.batch.preview.get("rows", [])
        ]

    @property
    def hidden_rows(self) -> int:
        return self.batch.row_count - len(self.batch.preview.get("rows", []))


def import_batch_status(*, user, batch_id: int) -> BatchStatus:
    """A batch's own page: only the person who uploaded it sees it (anyone else: 404)."""
    batch = get_object_or_404(ImportBatch.objects.defer("content"), pk=batch_id, created_by=user)
    now = timezone.now()
    confirmable = batch.applied_at is None and ImportBatch.objects.filter(_confirmable(now), pk=batch.pk).exists()
    checking = batch.state == ImportBatch.State.CHECKING
    return BatchStatus(
        batch=batch,
        waiting_long=(batch.state == ImportBatch.State.QUEUED and now - batch.queued_at > WORKER_SLOW)
        or (checking and batch.started_at is None and now - (batch.queued_at or batch.created_at) > WORKER_SLOW),
        minutes=int((now - batch.started_at).total_seconds() // 60) if batch.started_at else 0,
        confirmable=confirmable and batch.state != ImportBatch.State.PREVIEWED and bool(batch.preview.get("ok")),
        stalled=(confirmable and batch.state == ImportBatch.State.RUNNING)
        or (checking and ImportBatch.objects.filter(_check_stalled(now), pk=batch.pk).exists()),
        in_background=in_background(batch),
    )


def import_batches(*, user, limit: int = 10) -> list[ImportBatch]:
    """The person's latest files, for the upload page (everyone sees only their own)."""
    return list(ImportBatch.objects.filter(created_by=user).defer("content", "preview")[:limit])


def enterprises_from_list(*, actor, filename: str, content: bytes) -> list[Enterprise]:
    """The enterprises an uploaded list names (by USCC or by name), for a service action's targets.

    Every row must match an enterprise the user can see; otherwise nothing is added and the message
    names the rows that did not match.
    """
    try:
        table = read_table(filename=filename, content=content)
    except TabularError as exc:
        raise DomainError(str(exc), field="file") from None
    keys = {_LOOKUP.get(h.lower().replace(" ", "").replace("*", "")): i for i, h in enumerate(table.headers)}
    if "uscc" not in keys and "name" not in keys:
        raise DomainError(_("The list needs a column “企业名称” or “统一社会信用代码”."), field="file")
    visible = policy.visible(actor, Enterprise.objects.filter(merged_into__isnull=True))
    found: dict[int, Enterprise] = {}
    missing: list[int] = []
    for number, cells in table.rows:
        match = None
        if "uscc" in keys and cells[keys["uscc"]]:
            match = visible.filter(uscc=cells[keys["uscc"]].strip().upper()).first()
        if match is None and "name" in keys and cells[keys["name"]]:
            match = visible.filter(name_key=services.name_key(cells[keys["name"]])).first()
        if match is None:
            missing.append(number)
        else:
            found[match.pk] = match
    if missing:
        shown = "、".join(str(n) for n in missing[:20]) + ("…" if len(missing) > 20 else "")
        raise DomainError(
            _("No enterprise you can see matches rows %(rows)s; nothing was added.") % {"rows": shown}, field="file"
        )
    return list(found.values())
