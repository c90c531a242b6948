"""Disclosure control: every aggregate shown to staff (pages and exports) goes through this package, so that no
figure tells anything about fewer than 10 people. The rules are in `control`."""

from app.disclosure.control import (
    HIDDEN_JA,
    HIDDEN_LABEL,
    THRESHOLD,
    Cell,
    Suppressed,
    Table,
    derived,
    exclusive_table,
    export_count,
    export_figure,
    group_table,
    is_small,
    mean,
    overlapping_table,
    percent,
    share_of,
    shown_count,
)

__all__ = [
    "HIDDEN_JA",
    "HIDDEN_LABEL",
    "THRESHOLD",
    "Cell",
    "Suppressed",
    "Table",
    "derived",
    "exclusive_table",
    "export_count",
    "export_figure",
    "group_table",
    "is_small",
    "mean",
    "overlapping_table",
    "percent",
    "share_of",
    "shown_count",
]
