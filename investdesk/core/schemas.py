from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# A record's id as input: a positive 64-bit integer. An id past that range is a 422 naming the field,
# not an overflow in the database driver (SQLite refuses such integers in `IN (...)`).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Pagination(LimitOffsetPagination):
    """`limit`/`offset` of every list (settings.NINJA_PAGINATION_CLASS), the offset bounded like an id:
    past 64 bits it is a 422 naming `offset`, not an overflow in the database (SQLite: "datatype
    mismatch", PostgreSQL: "bigint out of range")."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=2**63 - 1)


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    code: str
    kind: str
    parent_id: int | None
    is_active: bool


class PersonOut(Schema):
    """People in lists: the mobile number is masked (the central masking helper)."""

    id: int
    username: str
    name: str
    unit_id: int | None
    unit_name: str | None = Field(None, alias="unit.name")
    role: str
    title: str
    mobile: str = Field(..., alias="masked_mobile")
    office_phone: str
    email: str


class PersonDetailOut(PersonOut):
    mobile: str  # full value: only for a single record the caller may see (and the read is audited)
    version: int


class PersonIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    name: str = Field(..., min_length=1, max_length=60)
    unit_id: int
    role: str = "staff"
    title: str = ""
    mobile: str = ""
    office_phone: str = ""
    email: str = ""
    password: str = Field(..., min_length=1)


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    unit: UnitOut | None


class AuditOut(Schema):
    id: int
    at: datetime
    actor_username: str
    action: str
    target_type: str
    target_id: str
    target_repr: str
    changes: dict
    note: str
    ip: str | None
