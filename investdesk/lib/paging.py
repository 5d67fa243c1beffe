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
