"""What every converter shares: the `Format` it writes, the declarative `Table` of the kinds it takes (destination
type, interchange fields carried over, how to build the rest), and the value helpers that keep every output
canonicalisable (app/switching/canonical.py).

A `Table` answers the three questions of the converter interface from one declaration, so what the pre-transfer
report says is lost cannot drift from what `convert` does:

- `takes(kind)`: the kind is in the table;
- `lost_fields(kind)`: the interchange fields (app/imports/schemas/<kind>.json) the table does not carry; all of
  them for a kind it does not take; bookkeeping fields (`kind`, `schema_version`, `sensitive`, `not_kept`) are never
  listed. Raises `UnknownKind` for a kind that is not an interchange kind;
- `convert(item)`: `{"id": "<kind>:<source id>", "type": …, …}` or None (a kind not taken, or an item of it that
  the build function refuses, e.g. an unmapped health record type).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.imports import SCHEMA_NAMES, load_schema
from app.switching.canonical import MAX_SAFE_INTEGER
from app.switching.sources.ids import UnknownKind, delivered_id

# Fields about the item rather than of it: never reported as lost.
BOOKKEEPING = frozenset(("kind", "schema_version", "sensitive", "not_kept"))


@dataclass(frozen=True)
class Format:
    """A destination format: `str(Format("blog-a", 1))` is `blog-a/1`, the name the registry and jobs use."""

    name: str
    version: int

    def __str__(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class KindMap:
    """How one interchange kind becomes one destination type. `carried`: the interchange fields whose content
    reaches the destination item (fields that make the delivered id count); `build`: the destination fields besides
    `id` and `type`, or None when this item cannot be taken."""

    type: str
    carried: frozenset[str]
    build: Callable[[Mapping[str, Any]], dict[str, Any] | None]


@cache
def schema_fields(kind: str) -> tuple[str, ...]:
    """The data fields of an interchange kind, sorted; `UnknownKind` for anything else."""
    if kind not in SCHEMA_NAMES:
        raise UnknownKind(kind)
    return tuple(sorted(set(load_schema(kind)["properties"]) - BOOKKEEPING))


class Table:
    def __init__(self, format: Format, kinds: Mapping[str, KindMap]) -> None:
        for kind, spec in kinds.items():
            unknown = spec.carried - set(schema_fields(kind))
            if unknown:  # a typo here would silently under-report what is lost
                raise ValueError(f"{format}: {kind} carries fields its schema lacks: {sorted(unknown)}")
        self.format = format
        self.kinds = dict(kinds)

    def takes(self, kind: str) -> bool:
        return kind in self.kinds

    def lost_fields(self, kind: str) -> list[str]:
        fields = schema_fields(kind)
        spec = self.kinds.get(kind)
        return list(fields) if spec is None else [field for field in fields if field not in spec.carried]

    def convert(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        spec = self.kinds.get(item.get("kind"))  # type: ignore[arg-type]
        if spec is None:
            return None
        fields = spec.build(item)
        if fields is None:
            return None
        return {"id": delivered_id(item), "type": spec.type, **fields}


def number(value: Any) -> int | float | None:
    """A JSON number every party canonicalises alike: rounded to 12 significant digits, then an int when integral,
    else a float; None for a non-number, NaN, an infinity or a magnitude beyond 2^53 (no reading is that large;
    RFC 8785 cannot carry it back). Twelve digits are far finer than any measurement (a coordinate in E7 has ten)
    and drop the noise of unit conversions: 418.4 kJ is 100 kcal, not 99.99999999999999."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = float(f"{value:.12g}")
        if value.is_integer():
            value = int(value)
    return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else None


def text(value: Any) -> str | None:
    """A string as it is (empty becomes None); None for anything else."""
    return value if isinstance(value, str) and value else None


def texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def boolean(value: Any) -> bool:
    return value is True


def linked(kind: str, source: Any) -> str | None:
    """The delivered id of another item this one points to (a comment's post), when it names one."""
    found = text(source)
    return f"{kind}:{found}" if found else None


# Shared by blog-a and tv-a (the contract gives both formats the same `profile` and `interest`).
PROFILE = KindMap("profile", frozenset(("display_name", "locale")),
                  lambda item: {"display_name": text(item.get("display_name")), "locale": text(item.get("locale"))})
INTEREST = KindMap("interest", frozenset(("id", "name", "source")),
                   lambda item: {"topic": text(item.get("name")), "source": text(item.get("source"))})
