"""Paging a query: used by public pages, the workspace and every API dialect."""
import math
from dataclasses import dataclass


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_next(self):
        return self.number < self.pages

    @property
    def has_previous(self):
        return self.number > 1


def paginate(query, number=1, per_page=20):
    number = max(1, int(number or 1))
    total = query.count()
    items = list(query.paginate(number, per_page))
    return Page(items, number, per_page, total)
