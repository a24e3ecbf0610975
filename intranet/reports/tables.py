"""A report table — what a drill-down shows and what export writes: columns with their kind
(so CSV/Excel get numbers and dates, not text) and rows as dicts."""
from __future__ import annotations

from dataclasses import dataclass, field

TEXT, INT, MONEY, PERCENT, DECIMAL, DATE, DATETIME = "text", "int", "money", "percent", "decimal", "date", "datetime"


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # translated (lazy) text
    kind: str = TEXT
    link: str | None = None  # an endpoint the cell links to (e.g. "reception.repair_order")
    link_arg: str | None = None  # its argument name; the row holds its value under the same key


@dataclass
class Table:
    title: object
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: object | None = None  # e.g. the formula of the figure the rows explain
