"""Shared write helpers for services: optimistic locking, and model and upload validation as DomainError."""

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db.models import Model

from investdesk.core.errors import ConflictError, DomainError
from investdesk.lib.uploads import UploadError, check_attachment


def lock_for_update(model: type[Model], pk: int, version: int | None) -> Model:
    """Lock the row; refuse when the caller edited an older version than the one stored."""
    obj = model._default_manager.select_for_update().get(pk=pk)
    if version is not None and obj.version != version:
        raise ConflictError()
    return obj


def full_clean(
    obj: Model, exclude: list[str] | None = None, *, unique: bool = True, only: Collection[str] | None = None
) -> None:
    """Model validation as DomainError (the first problem, naming its field). `unique=False` leaves
    out the uniqueness and constraint checks, a query each: for a batch that checks them at once.

    `only`: validate these fields and no others (less `exclude`), as a ModelForm validates only its own
    fields. For a batch's rows, whose other fields hold the model's defaults or stored values, which are
    not input: checking them again was two thirds of the checks' time (100,000 imported rows)."""
    if only is not None:
        exclude = [*(exclude or []), *(f.name for f in obj._meta.concrete_fields if f.name not in only)]
    try:
        obj.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=unique)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field) from None


def check_upload(upload, *, field: str) -> None:
    """An uploaded attachment of an allowed kind (extension and first bytes) and size, or DomainError
    naming the form field."""
    head = upload.read(16)
    upload.seek(0)
    try:
        check_attachment(name=upload.name, head=head, size=upload.size)
    except UploadError as exc:
        raise DomainError(str(exc), field=field) from None
