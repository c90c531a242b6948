"""Fill Japanese translations into the catalog from a JSON file {msgid: msgstr} (used after `make translations`).

    .venv/bin/python scripts/translate.py new.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "app" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"


def main(path: str) -> None:
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    for msgid, msgstr in translations.items():
        message = catalog.get(msgid)
        if message is None:
            raise SystemExit(f"not in the catalog: {msgid!r}")
        message.string = msgstr
        message.flags.discard("fuzzy")
    catalog.obsolete.clear()
    with CATALOG.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(translations)} filled; {len(missing)} still untranslated")


if __name__ == "__main__":
    main(sys.argv[1])
