"""Converters from interchange items (docs/interchange.md) to the destinations' formats (docs/switching.md,
"Formats"): one module per format, pure functions, no database.

Each converter module has:

- `FORMAT`: a `Format` (name and version; `str(FORMAT)` is the registry key, e.g. `blog-a/1`);
- `convert(item) -> dict | None`: the destination's item, `{"id": "<interchange kind>:<source id>", "type", …}`
  (`app.switching.sources.ids` says how the source id is derived per kind), or None when the format does not take
  the item;
- `takes(kind) -> bool` and `lost_fields(kind) -> list[str]` (interchange fields not carried; all of them for a
  kind not taken), answered from the same declaration `convert` uses, so the pre-transfer report can say what is
  lost without converting anything.

Their module docstrings list, per kind, the destination fields and what is lost. Outputs are always RFC 8785
canonicalisable (ints when integral, never NaN or beyond 2^53), so `app.switching.canonical.digest` never fails
on them. Converters never read the clock: the same item converts to the same bytes at any time (the snapshot tests
under tests/unit/switching/ hold them to it).

`converter_for(format)` gives the module of a format name; `UnknownFormat` for any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from app.switching.converters import blog_a, health_b, tv_a
from app.switching.converters._table import Format


class Converter(Protocol):
    FORMAT: Format

    def convert(self, item: Mapping[str, Any]) -> dict[str, Any] | None: ...

    def takes(self, kind: str) -> bool: ...

    def lost_fields(self, kind: str) -> list[str]: ...


class UnknownFormat(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


CONVERTERS: dict[str, Converter] = {str(module.FORMAT): module for module in (blog_a, tv_a, health_b)}


def converter_for(format: str) -> Converter:
    """The converter of a format name (`blog-a/1`, `tv-a/1`, `health-b/1`); `UnknownFormat` otherwise."""
    try:
        return CONVERTERS[format]
    except KeyError:
        raise UnknownFormat(format) from None


__all__ = ["CONVERTERS", "Converter", "Format", "UnknownFormat", "converter_for"]
