"""Pages of a list without counting the whole table: fetch one row more than the page to know
whether a next page exists. On a million rows COUNT(*) costs more than the page itself."""

from dataclasses import dataclass


@dataclass
class Page:
    items: list
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_of(qs, page: str | int | None, size: int = 50) -> Page:
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * size
    rows = list(qs[offset : offset + size + 1])
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)


def page_of_joined(qs, page: str | int | None, size: int = 50) -> Page:
    """`page_of` for a list whose joined tables (select_related) are wide and whose filter matches
    many rows: the page's rows are chosen first by a subquery that reads only the list's own table
    (its filter and order, LIMIT), and only those rows are joined. A plain slice joins every matching
    row before it sorts them (the case queue joined 1,600 cases to their enterprises to show 50).
    One query, the same rows in the same order; the order must be total (end with a unique column)."""
    try:
        number = max(int(page or 1), 1)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * size
    chosen = qs.values("pk")[offset : offset + size + 1]
    rows = list(qs.filter(pk__in=chosen))
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)
