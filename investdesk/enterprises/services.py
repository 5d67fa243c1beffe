"""Every write to the registry: enterprises, contacts, chambers, service actions, visits, merges."""

import contextvars
import dataclasses
import datetime
import re
import unicodedata
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from investdesk.core import policy
from investdesk.core.audit import audit_entries, audit_log, audit_log_many, diff, snapshot
from investdesk.core.errors import DomainError
from investdesk.core.fields import encrypted_changes, encrypted_values
from investdesk.core.models import AuditEntry, Unit, User
from investdesk.core.services import record_share
from investdesk.core.versioning import full_clean, lock_for_update
from investdesk.enterprises.models import (
    Chamber,
    ChamberPerson,
    Contact,
    Enterprise,
    ServiceAction,
    Visit,
    VisitAnswer,
    VisitProblem,
    VisitQuestion,
)
from investdesk.lib.bulk import assign_ids, bulk_insert, bulk_update, one_of
from investdesk.lib.chinese_text import fold, search_key
from investdesk.lib.identifiers import IdentifierError, validate_uscc
from investdesk.lib.phones import normalize_mobile

ENTERPRISE_FIELDS = {
    "name", "name_en", "uscc", "city", "address", "industry", "ownership", "investor_country", "is_key",
    "is_city_support", "is_fortune500", "is_listed", "employees", "status", "liaison", "note", "owner_unit",
}  # fmt: skip
CONTACT_FIELDS = {"name", "title", "mobile", "phone", "email", "wechat", "preferred_channel", "is_primary"}

# Legal-form words that do not tell two enterprises apart: 比亚迪股份有限公司 ≈ 比亚迪股份公司.
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def name_key(name: str) -> str:
    """The name folded for duplicate detection: 繁→简, full-width → half-width, no punctuation or spaces."""
    return _PUNCTUATION.sub("", fold(unicodedata.normalize("NFKC", name or "")))[:120]


def _require_editor(actor) -> None:
    if not policy.can(actor, policy.Capability.EDIT_RECORDS):
        raise DomainError(_("Your role may read records but not change them."))


def _check_owner_unit(actor, unit: Unit) -> None:
    """A record is owned by the actor's unit or one below it (leaders may choose any unit)."""
    if policy.can(actor, policy.Capability.SEE_EVERYTHING):
        return
    if actor.unit_id is None or not unit.path.startswith(actor.unit.path):
        raise DomainError(_("You can only file records under your own unit or its sub-units."), field="owner_unit")


# --- enterprises ----------------------------------------------------------------------------------


def _clean_enterprise(enterprise: Enterprise, *, many: bool = False, given: Collection[str] = ()) -> None:
    """The enterprise's rules. `many`: one of a batch whose caller checks the codes against the
    registry at once and whose related records (unit, industry, liaison) are loaded instances; of its
    fields, those `given` (the row's) and the names are validated (versioning.full_clean's `only`)."""
    enterprise.name = (enterprise.name or "").strip()
    enterprise.name_en = (enterprise.name_en or "").strip()
    if not enterprise.name:
        raise DomainError(_("Enter the enterprise's Chinese name."), field="name")
    if enterprise.uscc:
        try:
            enterprise.uscc = validate_uscc(enterprise.uscc)
        except IdentifierError as exc:
            raise DomainError(str(exc), field="uscc") from None
        clash = None if many else Enterprise.objects.filter(uscc=enterprise.uscc).exclude(pk=enterprise.pk).first()
        if clash is not None:
            raise _uscc_taken(clash.name)
    else:
        enterprise.uscc = None
    foreign = enterprise.ownership in (Enterprise.Ownership.FOREIGN, Enterprise.Ownership.HMT)
    if foreign and not enterprise.investor_country.strip():
        raise DomainError(_("Say where the investor comes from (country or region)."), field="investor_country")
    if enterprise.liaison_id and not enterprise.liaison.is_active:
        raise DomainError(_("The liaison officer's account is deactivated."), field="liaison")
    enterprise.name_key = name_key(enterprise.name)
    if many:
        only = {*given, "name", "name_en", "name_key"}
        full_clean(enterprise, exclude=["uscc", "owner_unit", "industry", "liaison"], unique=False, only=only)
    else:
        full_clean(enterprise, exclude=["uscc"])


def _uscc_taken(name: str) -> DomainError:
    return DomainError(_("Another enterprise already has this code: %(name)s.") % {"name": name}, field="uscc")


def search_text_for(enterprise: Enterprise, contacts: list[tuple[str, str]]) -> str:
    """What the search box matches: names (folded, pinyin, initials), the code, contacts' names and
    office phone numbers. `contacts` holds (name, phone) pairs.

    Mobile numbers are personal data, encrypted at rest: they are never copied here in plaintext. A
    query that is a whole mobile number finds its contact through `Contact.mobile_index` instead
    (selectors.enterprises_for_user), and part of one finds nothing. The landline `phone` is an
    enterprise's office line or switchboard, not personal data, so its digits stay searchable as any
    part; one that is really a mobile number is left out like the mobile field.
    """
    landlines = [re.sub(r"\D", "", phone or "") for _, phone in contacts if not normalize_mobile(phone or "")]
    text = search_key(enterprise.name, enterprise.name_en, *(name for name, _ in contacts))
    return " | ".join(
        part for part in (text, (enterprise.uscc or "").lower(), " ".join(d for d in landlines if d)) if part
    )


def enterprise_refresh_search(enterprise: Enterprise) -> None:
    enterprise.search_text = search_text_for(enterprise, list(enterprise.contacts.values_list("name", "phone")))
    Enterprise.objects.filter(pk=enterprise.pk).update(search_text=enterprise.search_text)


@transaction.atomic
def enterprise_create(*, actor, owner_unit: Unit | None = None, **fields) -> Enterprise:
    _require_editor(actor)
    unknown = set(fields) - ENTERPRISE_FIELDS
    if unknown:
        raise TypeError(f"enterprise_create does not take {sorted(unknown)}")
    owner_unit = owner_unit or actor.unit
    _check_owner_unit(actor, owner_unit)
    enterprise = Enterprise(owner_unit=owner_unit, **fields)
    _clean_enterprise(enterprise)
    enterprise.save()
    enterprise_refresh_search(enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=enterprise, changes=diff({}, snapshot(enterprise)))
    return enterprise


def enterprises_check_new(*, actor, rows: list[tuple[dict, dict | None]]) -> dict[int, DomainError]:
    """What `enterprises_create_new` would refuse, row by row (index → error), writing nothing."""
    return _build_new(actor, rows)[0]


@transaction.atomic
def enterprises_create_new(*, actor, rows: list[tuple[dict, dict | None]]) -> list[Enterprise]:
    """Register many new enterprises, each with its first contact (the import's new rows): the rules of
    enterprise_create and contact_create, checked without a query per row, then written in bulk with
    an audit entry per record. The first invalid row raises its DomainError; nothing is written."""
    errors, built = _build_new(actor, rows)
    if errors:
        raise errors[min(errors)]
    enterprises = [enterprise for enterprise, _contact in built]
    for enterprise, contact in built:
        enterprise.search_text = search_text_for(enterprise, [(contact.name, contact.phone)] if contact else [])
    contacts = []
    for enterprise, contact in built:
        if contact is not None:
            contact.enterprise = enterprise
            contacts.append(contact)
    if assign_ids(enterprises) and assign_ids(contacts):
        # PostgreSQL: the keys are known, so the audit entries (pure Python, a third of the time) are
        # made in a thread while the rows are stored, which is mostly the database's time (the search
        # indexes): 100,000 rows, 11 s of Python beside 13 s of waiting for the database.
        with ThreadPoolExecutor(max_workers=1) as pool:
            context = contextvars.copy_context()  # the request's, for the entries' IP and browser
            made = pool.submit(context.run, _in_own_thread, _creation_audit, actor, enterprises, contacts)
            bulk_insert(enterprises)
            bulk_insert(contacts)
            records, entries = made.result()
    else:
        bulk_insert(enterprises)
        bulk_insert(contacts)
        records, entries = _creation_audit(actor, enterprises, contacts)
    audit_log_many(actor=actor, action=AuditEntry.Action.CREATE, records=records, entries=entries)
    return enterprises


def _creation_audit(actor, enterprises: list[Enterprise], contacts: list[Contact]) -> tuple[list, list]:
    """The records and audit entries of new enterprises and contacts (keys set; their related rows
    are loaded instances, so no query)."""
    records = [(e, diff({}, snapshot(e))) for e in enterprises] + [(c, diff({}, snapshot(c))) for c in contacts]
    return records, audit_entries(actor=actor, action=AuditEntry.Action.CREATE, records=records)


def _in_own_thread(function, *args):
    """Run in a thread of a pool: any connection it opened after all (none is expected) is closed."""
    try:
        return function(*args)
    finally:
        connections.close_all()  # this thread's connections only: they are per thread


def _build_new(actor, rows) -> tuple[dict[int, DomainError], list[tuple[Enterprise, Contact | None]]]:
    _require_editor(actor)
    _check_owner_unit(actor, actor.unit)
    errors: dict[int, DomainError] = {}
    built: dict[int, tuple[Enterprise, Contact | None]] = {}
    for i, (fields, contact_fields) in enumerate(rows):
        unknown = (set(fields) - (ENTERPRISE_FIELDS - {"owner_unit"})) | (set(contact_fields or {}) - CONTACT_FIELDS)
        if unknown:
            raise TypeError(f"enterprises_create_new does not take {sorted(unknown)}")
        enterprise = Enterprise(owner_unit=actor.unit, **fields)
        contact = Contact(**{**contact_fields, "is_primary": True}) if contact_fields else None
        try:
            _clean_enterprise(enterprise, many=True, given=fields)
            if contact is not None:
                _clean_contact(contact, many=True, given=contact_fields)
        except DomainError as exc:
            errors[i] = exc
            continue
        built[i] = (enterprise, contact)
    codes = [e.uscc for e, _c in built.values() if e.uscc]
    taken: dict[str, str] = dict(one_of(Enterprise.objects.values_list("uscc", "name"), "uscc", codes))
    for i, (enterprise, _contact) in list(built.items()):
        if enterprise.uscc in taken:
            errors[i] = _uscc_taken(taken[enterprise.uscc])
            del built[i]
    return errors, list(built.values())


def enterprises_check_updates(*, actor, rows: list[tuple[int, dict, dict | None]]) -> dict[int, DomainError]:
    """What `enterprises_update_many` would refuse, row by row (index → error), writing nothing."""
    return _build_updates(actor, rows, lock=False).errors


@transaction.atomic
def enterprises_update_many(*, actor, rows: list[tuple[int, dict, dict | None]]) -> int:
    """Update many registered enterprises, each with the contact its row names (the import's updated
    rows: enterprise id, fields, contact fields or None): for each row what enterprise_update and then
    contact_create (no contact of that name yet) or contact_update would do, with a few queries per
    500 rows instead of some thirty per row. The first invalid row raises its DomainError; nothing is
    written. Returns how many records changed."""
    built = _build_updates(actor, rows, lock=True)
    if built.errors:
        raise built.errors[min(built.errors)]
    enterprises, new_contacts, contacts = built.enterprises, built.new_contacts, built.contacts
    now = timezone.now()
    for enterprise in enterprises:
        enterprise.updated_at = now
    for enterprise in built.touched:
        enterprise.search_text = search_text_for(
            enterprise, [(c.name, c.phone) for c in built.contacts_of[enterprise.pk]]
        )
    changed = {name for _record, changes in built.updates for name in changes}
    _bulk_update(Enterprise, built.touched, changed | {"version", "updated_at", "search_text", "name_key"})
    bulk_insert(new_contacts)
    _bulk_update(Contact, contacts, changed | {"version"} | ({"mobile_index"} if "mobile" in changed else set()))
    primary = [c for c in [*new_contacts, *contacts] if c.is_primary]
    for start in range(0, len(primary), 500):
        chunk = primary[start : start + 500]
        Contact.objects.filter(enterprise_id__in={c.enterprise_id for c in chunk}, is_primary=True).exclude(
            pk__in=[c.pk for c in chunk]
        ).update(is_primary=False)
    audit_log_many(actor=actor, action=AuditEntry.Action.UPDATE, records=built.updates)
    audit_log_many(
        actor=actor, action=AuditEntry.Action.CREATE, records=[(c, diff({}, snapshot(c))) for c in new_contacts]
    )
    return len(built.updates) + len(new_contacts)


@dataclass
class _Updates:
    errors: dict[int, DomainError] = dataclasses.field(default_factory=dict)
    enterprises: list[Enterprise] = dataclasses.field(default_factory=list)  # changed
    contacts: list[Contact] = dataclasses.field(default_factory=list)  # changed
    new_contacts: list[Contact] = dataclasses.field(default_factory=list)
    touched: list[Enterprise] = dataclasses.field(default_factory=list)  # changed, or a contact of it: to save
    contacts_of: dict[int, list[Contact]] = dataclasses.field(default_factory=dict)
    updates: list[tuple] = dataclasses.field(default_factory=list)  # (record, changes) for the audit, in row order


def _build_updates(actor, rows, *, lock: bool) -> _Updates:
    _require_editor(actor)
    result = _Updates()
    ids = [pk for pk, _fields, _contact in rows]
    loaded: dict[int, Enterprise] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found = Enterprise.objects.filter(pk__in=chunk).select_related("liaison", "owner_unit", "industry")
        contacts = Contact.objects.filter(enterprise_id__in=chunk)  # Meta ordering: as .first() reads them
        if lock:
            found, contacts = found.select_for_update(of=("self",)), contacts.select_for_update()
        loaded.update((e.pk, e) for e in found)
        for contact in contacts:
            contact.enterprise = loaded[contact.enterprise_id]  # its audit snapshot names it
            result.contacts_of.setdefault(contact.enterprise_id, []).append(contact)
    changed_codes: dict[str, int] = {}
    for i, (pk, fields, contact_fields) in enumerate(rows):
        unknown = (set(fields) - ENTERPRISE_FIELDS) | (set(contact_fields or {}) - CONTACT_FIELDS)
        if unknown:
            raise TypeError(f"enterprises_update_many does not take {sorted(unknown)}")
        enterprise = loaded.get(pk)
        if enterprise is None:
            result.errors[i] = DomainError(_("This enterprise no longer exists."), field="name")
            continue
        try:
            row_updates = _update_row(actor, result, enterprise, fields, contact_fields)
        except DomainError as exc:
            result.errors[i] = exc
            continue
        if any(record is enterprise and "uscc" in changes for record, changes in row_updates) and enterprise.uscc:
            changed_codes[enterprise.uscc] = i
        result.updates.extend(row_updates)
    for code, pk, name in one_of(Enterprise.objects.values_list("uscc", "pk", "name"), "uscc", list(changed_codes)):
        i = changed_codes[code]
        if pk != rows[i][0]:
            result.errors[i] = _uscc_taken(name)
    return result


def _update_row(actor, result: _Updates, enterprise: Enterprise, fields: dict, contact_fields) -> list[tuple]:
    """One row of enterprises_update_many, in memory: its (record, changes) for the audit."""
    updates = []
    before = snapshot(enterprise)
    for key, value in fields.items():
        setattr(enterprise, key, value)
    if "owner_unit" in fields:
        _check_owner_unit(actor, enterprise.owner_unit)
    _clean_enterprise(enterprise, many=True, given=fields)
    changes = diff(before, snapshot(enterprise))
    if changes:
        enterprise.version += 1
        result.enterprises.append(enterprise)
        updates.append((enterprise, changes))
    contacts = result.contacts_of.setdefault(enterprise.pk, [])
    created = False
    if contact_fields:
        existing = next((c for c in contacts if c.name == contact_fields.get("name")), None)
        if existing is None:
            contact = Contact(enterprise=enterprise, **contact_fields)
            contact.is_primary = contact.is_primary or not contacts
            _clean_contact(contact, many=True, given=contact_fields)
            result.new_contacts.append(contact)
            contacts.append(contact)
            created = True
        else:
            before, before_personal = snapshot(existing), encrypted_values(existing)
            for key, value in contact_fields.items():
                setattr(existing, key, value)
            _clean_contact(existing, many=True, given=contact_fields)
            contact_changes = diff(before, snapshot(existing)) | encrypted_changes(before_personal, existing)
            if contact_changes:
                existing.version += 1
                result.contacts.append(existing)
                updates.append((existing, contact_changes))
    if updates or created:
        result.touched.append(enterprise)
    return updates


def _bulk_update(model, objs, names: set[str]) -> None:
    """Save the named fields of changed rows (names of other models' fields are left out)."""
    bulk_update(objs, [f.name for f in model._meta.concrete_fields if f.name in names and not f.primary_key])


@transaction.atomic
def enterprise_update(*, actor, enterprise: Enterprise, version: int | None, **fields) -> Enterprise:
    _require_editor(actor)
    unknown = set(fields) - ENTERPRISE_FIELDS
    if unknown:
        raise TypeError(f"enterprise_update does not take {sorted(unknown)}")
    enterprise = lock_for_update(Enterprise, enterprise.pk, version)
    before = snapshot(enterprise)
    for key, value in fields.items():
        setattr(enterprise, key, value)
    if "owner_unit" in fields:
        _check_owner_unit(actor, enterprise.owner_unit)
    _clean_enterprise(enterprise)
    changes = diff(before, snapshot(enterprise))
    if not changes:
        return enterprise
    enterprise.version += 1
    enterprise.updated_at = timezone.now()
    enterprise.save()
    enterprise_refresh_search(enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=enterprise, changes=changes)
    return enterprise


@transaction.atomic
def enterprise_merge(*, actor, survivor: Enterprise, duplicate: Enterprise, reason: str) -> Enterprise:
    """Fold `duplicate` into `survivor`: every related record moves; the duplicate stays, marked merged."""
    _require_editor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why these are the same enterprise."), field="reason")
    if survivor.pk == duplicate.pk:
        raise DomainError(_("Choose two different enterprises."), field="duplicate")
    if duplicate.merged_into_id or survivor.merged_into_id:
        raise DomainError(_("One of these enterprises has already been merged."), field="duplicate")
    survivor = lock_for_update(Enterprise, survivor.pk, None)
    duplicate = lock_for_update(Enterprise, duplicate.pk, None)
    moved = {
        "contacts": Contact.objects.filter(enterprise=duplicate).update(enterprise=survivor),
        "visits": Visit.objects.filter(enterprise=duplicate).update(enterprise=survivor),
    }
    for chamber in duplicate.chambers.all():
        chamber.members.add(survivor)
    for action in duplicate.service_actions.all():
        action.targets.add(survivor)
    moved["chambers"] = duplicate.chambers.count()
    moved["service_actions"] = duplicate.service_actions.count()
    duplicate.chambers.clear()
    duplicate.service_actions.clear()
    # Each later module moves its own records here too (cases, projects, messages, donations).
    for mover in MERGE_HOOKS:
        moved.update(mover(survivor=survivor, duplicate=duplicate))
    # Fill the survivor's blanks from the duplicate; keep the survivor's own values.
    for field in ("name_en", "city", "address", "industry_id", "investor_country", "employees", "liaison_id"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    for flag in ("is_key", "is_city_support", "is_fortune500", "is_listed"):
        setattr(survivor, flag, getattr(survivor, flag) or getattr(duplicate, flag))
    uscc = duplicate.uscc
    duplicate.uscc = None  # the code is unique: release it before the survivor may take it
    duplicate.merged_into = survivor
    duplicate.status = Enterprise.Status.CLOSED
    duplicate.version += 1
    duplicate.save()
    if uscc and not survivor.uscc:
        survivor.uscc = uscc
    survivor.last_visit_on = Visit.objects.filter(enterprise=survivor, status=Visit.Status.COMPLETED).aggregate(
        last=Max("visited_on")
    )["last"]
    survivor.version += 1
    survivor.updated_at = timezone.now()
    survivor.save()
    enterprise_refresh_search(survivor)
    note = f"merged #{duplicate.pk} {duplicate.name} into #{survivor.pk}: {reason}"[:300]
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=survivor, changes={"merged": moved}, note=note)
    audit_log(actor=actor, action=AuditEntry.Action.DELETE, target=duplicate, note=note)
    return survivor


# Later modules register functions `(survivor, duplicate) -> {"cases": n}` that move their records.
MERGE_HOOKS: list = []


# --- contacts -------------------------------------------------------------------------------------


def _clean_contact(contact: Contact, *, many: bool = False, given: Collection[str] = ()) -> None:
    """The contact's rules. `many`: one of a batch (see _clean_enterprise), its `given` fields validated."""
    contact.name = (contact.name or "").strip()
    if not contact.name:
        raise DomainError(_("Enter the contact's name."), field="name")
    if contact.mobile:
        mobile = normalize_mobile(contact.mobile)
        if mobile is None:
            raise DomainError(_("Enter a mainland mobile number of 11 digits, e.g. 13812345678."), field="mobile")
        contact.mobile = mobile
    contact.email = (contact.email or "").strip()
    if many:
        full_clean(contact, exclude=["enterprise"], unique=False, only={*given, "name", "mobile", "email"})
    else:
        full_clean(contact)


def _one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(enterprise_id=contact.enterprise_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )


@transaction.atomic
def contact_create(*, actor, enterprise: Enterprise, **fields) -> Contact:
    _require_editor(actor)
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise TypeError(f"contact_create does not take {sorted(unknown)}")
    contact = Contact(enterprise=enterprise, **fields)
    if not enterprise.contacts.exists():
        contact.is_primary = True
    _clean_contact(contact)
    contact.save()
    _one_primary(contact)
    enterprise_refresh_search(enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=contact, changes=diff({}, snapshot(contact)))
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, version: int | None, **fields) -> Contact:
    _require_editor(actor)
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise TypeError(f"contact_update does not take {sorted(unknown)}")
    contact = lock_for_update(Contact, contact.pk, version)
    before, before_personal = snapshot(contact), encrypted_values(contact)
    for key, value in fields.items():
        setattr(contact, key, value)
    _clean_contact(contact)
    changes = diff(before, snapshot(contact)) | encrypted_changes(before_personal, contact)
    if not changes:
        return contact
    contact.version += 1
    contact.save()
    _one_primary(contact)
    enterprise_refresh_search(contact.enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=contact, changes=changes)
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    _require_editor(actor)
    enterprise = contact.enterprise
    audit_log(actor=actor, action=AuditEntry.Action.DELETE, target=contact, changes=diff(snapshot(contact), {}))
    contact.delete()
    enterprise_refresh_search(enterprise)


# --- chambers -------------------------------------------------------------------------------------


@transaction.atomic
def chamber_create(
    *, actor, name: str, kind: str, owner_unit: Unit | None = None, members=(), people=(), note: str = ""
) -> Chamber:
    _require_editor(actor)
    owner_unit = owner_unit or actor.unit
    _check_owner_unit(actor, owner_unit)
    chamber = Chamber(name=(name or "").strip(), kind=kind, owner_unit=owner_unit, note=note)
    full_clean(chamber)
    chamber.save()
    chamber.members.set(members)
    for person_name, position, mobile in _parse_people(people):
        person = ChamberPerson(chamber=chamber, name=person_name, position=position, mobile=mobile)
        full_clean(person)
        person.save()
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=chamber, changes=diff({}, snapshot(chamber)))
    return chamber


def _parse_people(people) -> list[tuple[str, str, str]]:
    """(name, position, mobile) of each key person named; a mobile given must be a mainland one."""
    parsed = []
    for name, position, mobile in people:
        if not (name and name.strip()):
            continue
        normalized = normalize_mobile(mobile) if (mobile or "").strip() else ""
        if normalized is None:
            raise DomainError(
                _("%(name)s: enter a mainland mobile number of 11 digits, e.g. 13812345678.") % {"name": name.strip()},
                field="people",
            )
        parsed.append((name.strip(), position.strip(), normalized))
    return parsed


@transaction.atomic
def chamber_update(
    *, actor, chamber: Chamber, version: int | None, name: str, kind: str, note: str = "", people=None
) -> Chamber:
    _require_editor(actor)
    chamber = lock_for_update(Chamber, chamber.pk, version)
    before = snapshot(chamber)
    chamber.name, chamber.kind, chamber.note = (name or "").strip(), kind, note
    full_clean(chamber)
    chamber.version += 1
    chamber.save()
    if people is not None:
        chamber.people.all().delete()
        for person_name, position, mobile in _parse_people(people):
            person = ChamberPerson(chamber=chamber, name=person_name, position=position, mobile=mobile)
            full_clean(person)
            person.save()
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=chamber, changes=diff(before, snapshot(chamber)))
    return chamber


@transaction.atomic
def enterprises_attach(*, actor, record, relation: str, enterprises) -> int:
    """Add enterprises to a record's many-to-many `relation` (a chamber's members, an action's targets,
    an event's participants); returns how many were new, and audits them on the record."""
    _require_editor(actor)
    manager = getattr(record, relation)
    existing = set(manager.values_list("pk", flat=True))
    new = [e for e in enterprises if e.pk not in existing]
    manager.add(*new)
    if new:
        audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=record, note=f"added {len(new)} {relation}")
    return len(new)


def chamber_add_members(*, actor, chamber: Chamber, enterprises) -> int:
    return enterprises_attach(actor=actor, record=chamber, relation="members", enterprises=enterprises)


# --- service actions ------------------------------------------------------------------------------


@transaction.atomic
def service_action_create(
    *,
    actor,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    units=(),
    questions: list[str] = (),
    description: str = "",
    owner_unit: Unit | None = None,
) -> ServiceAction:
    _require_editor(actor)
    owner_unit = owner_unit or actor.unit
    _check_owner_unit(actor, owner_unit)
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(_("The action cannot end before it starts."), field="ends_on")
    action = ServiceAction(
        name=(name or "").strip(), starts_on=starts_on, ends_on=ends_on, owner_unit=owner_unit, description=description
    )
    full_clean(action)
    action.save()
    action.units.set(units)
    for position, text in enumerate(q.strip() for q in questions if q and q.strip()):
        VisitQuestion.objects.create(action=action, position=position + 1, text=text[:200])
    # The units responsible work on the action, so they see it.
    for unit in units:
        if not unit.path.startswith(owner_unit.path):
            record_share(actor=actor, record=action, unit=unit)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=action, changes=diff({}, snapshot(action)))
    return action


@transaction.atomic
def service_action_add_targets(*, actor, action: ServiceAction, enterprises) -> int:
    """Add target enterprises (from a filter or an uploaded list); returns how many were new."""
    return enterprises_attach(actor=actor, record=action, relation="targets", enterprises=enterprises)


@transaction.atomic
def service_action_remove_target(*, actor, action: ServiceAction, enterprise: Enterprise) -> None:
    _require_editor(actor)
    action.targets.remove(enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=action, note=f"removed target {enterprise}")


# --- visits ---------------------------------------------------------------------------------------


def _clean_visit_inputs(*, visited_on, staff, action, enterprise, status) -> None:
    if visited_on is None:
        raise DomainError(_("Enter the date of the visit."), field="visited_on")
    if visited_on > timezone.localdate() and status == Visit.Status.COMPLETED:
        raise DomainError(
            _("A completed visit cannot be in the future; save it as a draft (a planned visit)."), field="visited_on"
        )
    if not staff:
        raise DomainError(_("Name at least one member of staff who made the visit."), field="staff")
    if any(not person.is_active or person.unit_id is None for person in staff):
        raise DomainError(_("Every member of staff must have an active account and a unit."), field="staff")
    if action is not None and not (action.starts_on <= visited_on <= action.ends_on):
        raise DomainError(
            _("This date is outside the service action's period (%(start)s to %(end)s).")
            % {"start": action.starts_on, "end": action.ends_on},
            field="visited_on",
        )


def _save_visit_parts(*, visit: Visit, staff, contacts, answers: dict, problems: list[str]) -> None:
    visit.staff.set(staff)
    visit.units.set({person.unit for person in staff})
    foreign = [c for c in contacts if c.enterprise_id != visit.enterprise_id]
    if foreign:
        raise DomainError(_("A contact met must belong to the visited enterprise."), field="contacts")
    visit.contacts.set(contacts)
    if visit.action_id:
        valid = {q.pk: q for q in visit.action.questions.all()}
        for question_id, text in (answers or {}).items():
            if int(question_id) not in valid:
                raise DomainError(_("This question is not part of the service action."), field="answers")
            VisitAnswer.objects.update_or_create(
                visit=visit, question_id=int(question_id), defaults={"answer": (text or "").strip()}
            )
    for description in problems or []:
        if description and description.strip():
            VisitProblem.objects.create(visit=visit, description=description.strip())
    # A joint visit is visible to every unit that took part.
    for unit in {person.unit for person in staff}:
        if not unit.path.startswith(visit.owner_unit.path):
            record_share(actor=visit.created_by, record=visit, unit=unit)


def _touch_last_visit(enterprise: Enterprise) -> None:
    last = Visit.objects.filter(enterprise=enterprise, status=Visit.Status.COMPLETED).aggregate(m=Max("visited_on"))
    Enterprise.objects.filter(pk=enterprise.pk).update(last_visit_on=last["m"])


@transaction.atomic
def visit_create(
    *,
    actor,
    enterprise: Enterprise,
    visited_on: datetime.date,
    mode: str,
    staff: list[User],
    contacts: list[Contact] = (),
    action: ServiceAction | None = None,
    summary: str = "",
    answers: dict | None = None,
    problems: list[str] = (),
    status: str = Visit.Status.DRAFT,
) -> Visit:
    _require_editor(actor)
    staff = list(staff) or [actor]
    _clean_visit_inputs(visited_on=visited_on, staff=staff, action=action, enterprise=enterprise, status=status)
    visit = Visit(
        enterprise=enterprise,
        visited_on=visited_on,
        mode=mode,
        action=action,
        summary=summary.strip(),
        status=status,
        owner_unit=actor.unit,
        created_by=actor,
    )
    full_clean(visit)
    visit.save()
    _save_visit_parts(visit=visit, staff=staff, contacts=list(contacts), answers=answers or {}, problems=list(problems))
    _touch_last_visit(enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.CREATE, target=visit, changes=diff({}, snapshot(visit)))
    return visit


@transaction.atomic
def visit_update(
    *,
    actor,
    visit: Visit,
    version: int | None,
    visited_on: datetime.date,
    mode: str,
    staff: list[User],
    contacts: list[Contact] = (),
    summary: str = "",
    answers: dict | None = None,
    problems: list[str] = (),
    status: str,
) -> Visit:
    _require_editor(actor)
    visit = lock_for_update(Visit, visit.pk, version)
    before = snapshot(visit)
    staff = list(staff)
    _clean_visit_inputs(
        visited_on=visited_on, staff=staff, action=visit.action, enterprise=visit.enterprise, status=status
    )
    visit.visited_on, visit.mode, visit.summary, visit.status = visited_on, mode, summary.strip(), status
    full_clean(visit)
    visit.version += 1
    visit.save()
    _save_visit_parts(visit=visit, staff=staff, contacts=list(contacts), answers=answers or {}, problems=list(problems))
    _touch_last_visit(visit.enterprise)
    audit_log(actor=actor, action=AuditEntry.Action.UPDATE, target=visit, changes=diff(before, snapshot(visit)))
    return visit
