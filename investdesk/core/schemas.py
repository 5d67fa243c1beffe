from datetime import datetime
from typing import Annotated, Any

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


class PaginationWithoutTotal(Pagination):
    """`limit`/`offset` for the lists too large to count on every request (the registry: a city's
    300,000 enterprises took 370 ms to count, the page itself a few): `{"items", "has_next",
    "count": null}`, one row more than the page fetched to know whether another page follows, as
    the HTML lists do (lib/paging.py). A client that needs the total asks for it with `count=true`."""

    # Named apart from Pagination's: two schemas of one name would clash in the OpenAPI document.
    class PageInput(Pagination.Input):
        count: bool = Field(False, description="Also count every matching row (slow on a large list).")

    class PageOutput(Schema):
        items: list[Any]
        has_next: bool
        count: int | None = Field(None, description="Every matching row, only when asked with `count=true`.")

    Input, Output = PageInput, PageOutput

    def _bounds(self, pagination: PageInput) -> tuple[int, int]:
        return pagination.offset, min(pagination.limit, self.max_limit)

    def paginate_queryset(self, queryset, pagination: PageInput, request, **params) -> dict:
        offset, limit = self._bounds(pagination)
        rows = list(queryset[offset : offset + limit + 1])
        total = self._items_count(queryset) if pagination.count else None
        return {"items": rows[:limit], "has_next": len(rows) > limit, "count": total}

    async def apaginate_queryset(self, queryset, pagination: PageInput, request, **params) -> dict:
        offset, limit = self._bounds(pagination)
        rows = [row async for row in queryset[offset : offset + limit + 1]]
        total = await self._aitems_count(queryset) if pagination.count else None
        return {"items": rows[:limit], "has_next": len(rows) > limit, "count": total}


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
