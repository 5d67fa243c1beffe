"""Model fields for personal data: encrypted at rest (core/crypto.py), with a keyed blind index.

    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)   # mask: 138****5678
    mobile_index = BlindIndexField(source="mobile")                      # exact search

* `EncryptedCharField` stores a crypto token (`sm4:k1:…`) in a text column; the attribute always holds
  the plaintext. A value in the column that is not a token (a row written before encryption) reads
  as it is, and is encrypted the next time the row is saved (or by `investdesk rekey`). "" stays "",
  so `blank=True` works and `filter(mobile="")` still finds rows without one. Any other lookup on it
  raises: a ciphertext is random, so compare blind indexes instead (`blind_index_q`).
  `field.mask` is the function that masks it for lists, exports and the audit log (`mask=` names it).
* `BlindIndexField(source=...)` holds HMAC-SM3 of the normalised source value (digits only for phones,
  upper case for ID numbers, "" when blank), filled by `save()` and `bulk_create()`. `QuerySet.update()`
  and `bulk_update()` do not call it: recompute it with `blind_index_for` there (or run `rekey`).
"""

from __future__ import annotations

import functools
import re

from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.db.models.signals import pre_save
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from investdesk.core.crypto import get_provider
from investdesk.lib.phones import normalize_mobile

MASK_PHONE = "investdesk.lib.masking.mask_phone"
MASK_ID_NUMBER = "investdesk.lib.masking.mask_id_number"
NORMALIZE_PHONE = "investdesk.core.fields.normalize_phone"
NORMALIZE_ID_NUMBER = "investdesk.core.fields.normalize_id_number"
_NOT_DIGITS = re.compile(r"\D")


def normalize_phone(value: str) -> str:
    """A phone number for the index: the 11-digit mobile (+86 and separators dropped), else its digits."""
    return normalize_mobile(value or "") or _NOT_DIGITS.sub("", value or "")


def normalize_id_number(value: str) -> str:
    """An ID number for the index: no spaces, upper case (the check character X)."""
    return re.sub(r"\s", "", value or "").upper()


@functools.cache
def _function(path: str):
    return import_string(path)


class _BlankOnlyExact(Exact):
    """`field=""` (rows without a value) is the one comparison an encrypted column can answer."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(self.lhs.output_field.lookup_refusal("exact"))
        return super().get_prep_lookup()


class EncryptedCharField(models.TextField):
    """Short personal data (a mobile or ID number) stored encrypted; see the module docstring."""

    description = "Text encrypted at rest (SM4)"

    def __init__(self, *args, mask: str = MASK_PHONE, normalize: str = NORMALIZE_PHONE, **kwargs):
        self.mask_path = mask
        self.normalize_path = normalize
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.mask_path != MASK_PHONE:
            kwargs["mask"] = self.mask_path
        if self.normalize_path != NORMALIZE_PHONE:
            kwargs["normalize"] = self.normalize_path
        return name, path, args, kwargs

    @property
    def mask(self):
        """The masking function (value → masked text), e.g. investdesk.lib.masking.mask_phone."""
        return _function(self.mask_path)

    def normalize_for_index(self, value: str) -> str:
        return _function(self.normalize_path)(value or "")

    @cached_property
    def validators(self):
        # A TextField checks no length; the plaintext still has one.
        extra = [validators.MaxLengthValidator(self.max_length)] if self.max_length else []
        return [*super().validators, *extra]

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        provider = get_provider()
        return provider.decrypt(value) if provider.is_token(value) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return get_provider().encrypt(value)

    def lookup_refusal(self, lookup_name: str) -> str:
        model = getattr(self, "model", None)
        model_name = model.__name__ if model else "Model"
        return (
            f"{model_name}.{self.name} is encrypted at rest, so the database cannot compare it ({lookup_name!r}). "
            f"Search its blind index instead: blind_index_q({model_name}, {self.name!r}, value) "
            "from investdesk.core.fields."
        )

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _BlankOnlyExact
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(self.lookup_refusal(lookup_name))

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.CharField, "widget": forms.TextInput, **kwargs})


class BlindIndexField(models.CharField):
    """The keyed blind index of an EncryptedCharField of the same model (`source`), for exact search."""

    description = "Blind index (HMAC-SM3) of an encrypted field"
    _DEFAULTS = {"max_length": 64, "db_index": True, "editable": False, "blank": True, "default": ""}

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        super().__init__(*args, **{**self._DEFAULTS, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in self._DEFAULTS.items():
            if kwargs.get(key, models.NOT_PROVIDED) == value:
                kwargs.pop(key)
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def source_field(self, model=None) -> EncryptedCharField:
        return (model or self.model)._meta.get_field(self.source)

    def pre_save(self, model_instance, add):
        source = self.source_field(type(model_instance))
        value = blind_index_for(source, getattr(model_instance, source.attname))
        setattr(model_instance, self.attname, value)
        return value


def blind_index_for(field: EncryptedCharField, value: str | None) -> str:
    """The blind index of `value` for the encrypted `field` (normalised the field's way); "" for blank."""
    normalized = field.normalize_for_index(value or "")
    return get_provider().blind_index(normalized) if normalized else ""


def index_field_of(model, source: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == source:
            return field
    raise FieldError(f"{model.__name__}.{source} has no BlindIndexField.")


def blind_index_q(model, source: str, value: str | None, *, prefix: str = "") -> models.Q:
    """The filter "the encrypted `source` of `model` equals `value` exactly", through its blind index.
    A blank value matches nothing. `prefix` reaches the model through a relation ("contacts__")."""
    digest = blind_index_for(model._meta.get_field(source), value)
    if not digest:
        return models.Q(pk__in=[])
    return models.Q(**{f"{prefix}{index_field_of(model, source).name}": digest})


def encrypted_fields(model) -> list[EncryptedCharField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def encrypted_values(obj: models.Model) -> dict[str, str]:
    """The plaintexts of a row's encrypted fields, to compare after a change (see encrypted_changes)."""
    return {f.name: getattr(obj, f.attname) or "" for f in encrypted_fields(type(obj))}


def encrypted_changes(before: dict[str, str], obj: models.Model) -> dict[str, list[str]]:
    """{field: [masked before, masked after]} for encrypted fields whose plaintext changed.

    An audit snapshot records these fields masked, so a change of hidden digits (138****5678 →
    138****5678) looks like no change there; services add this to their diff so it is saved and audited.
    """
    changes = {}
    for field in encrypted_fields(type(obj)):
        old, new = before.get(field.name, ""), getattr(obj, field.attname) or ""
        if old != new:
            changes[field.name] = [field.mask(old), field.mask(new)]
    return changes


def _index_needs_its_source(sender, instance, update_fields=None, **kwargs) -> None:
    """`save(update_fields=["mobile"])` would leave `mobile_index` stale: refuse it loudly."""
    if not update_fields:
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source in update_fields and field.name not in update_fields:
            raise ValueError(f"save(update_fields=...) names {field.source!r} but not its blind index {field.name!r}.")


pre_save.connect(_index_needs_its_source, dispatch_uid="investdesk.core.fields.blind_index")


def reencrypt(model, *, batch_size: int = 500) -> int:
    """Rewrite every row of `model` that holds an encrypted value: encrypted again with the current key
    (legacy plaintext encrypted for the first time) and its blind indexes recomputed with the current
    index key. Batches in primary-key order, each locked and committed on its own, so it can run while
    the site is up and be resumed. Used by the migrations that introduced encryption and by `rekey`."""
    from django.db import transaction

    encrypted = encrypted_fields(model)
    if not encrypted:
        return 0
    indexes = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    names = [f.name for f in encrypted] + [f.name for f in indexes]
    holds_value = models.Q(pk__in=[])
    for field in encrypted:
        holds_value |= models.Q(**{f"{field.name}__isnull": False}) & ~models.Q(**{field.name: ""})
    rows_with_values = model._base_manager.filter(holds_value).order_by("pk")
    done, last_pk = 0, None
    while True:
        with transaction.atomic():
            batch = rows_with_values if last_pk is None else rows_with_values.filter(pk__gt=last_pk)
            rows = list(batch.select_for_update().only(*names)[:batch_size])
            if not rows:
                return done
            for row in rows:
                for index in indexes:
                    source = index.source_field(model)
                    setattr(row, index.attname, blind_index_for(source, getattr(row, source.attname)))
            model._base_manager.bulk_update(rows, names)
        done += len(rows)
        last_pk = rows[-1].pk


def decrypt_in_place(model, schema_editor, *, batch_size: int = 500) -> int:
    """Write the plaintext back into the encrypted columns of `model` (the reverse of the migrations
    that introduced encryption, before the columns become plain CharFields again)."""
    encrypted = encrypted_fields(model)
    if not encrypted:
        return 0
    quote = schema_editor.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in encrypted)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    done = 0
    for row in model._base_manager.only(*(f.name for f in encrypted)).order_by("pk").iterator(batch_size):
        schema_editor.execute(sql, [*(getattr(row, f.attname) for f in encrypted), row.pk])
        done += 1
    return done
