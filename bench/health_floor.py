"""The parsing floor of the Apple Health import benchmark: a bare lxml iterparse of the main XML, streamed from the zip.

    .venv/bin/python bench/health_floor.py EXPORT_ZIP   → prints {"records": N, "member": "…/export.xml"}

No DOCTYPE removal, no values read, nothing stored: `end` events of the top-level kinds only (the tag filter runs in
C), each element cleared and the siblings before it deleted, so memory stays flat. The main XML is the `.xml` at depth
1 other than export_cda.xml (how the generated exports are laid out).
"""

from __future__ import annotations

import json
import sys
import zipfile

from lxml import etree


def count_records(path: str) -> tuple[int, str]:
    with zipfile.ZipFile(path) as archive:
        member = next(name for name in archive.namelist()
                      if name.count("/") == 1 and name.endswith(".xml") and not name.endswith("/export_cda.xml"))
        records = 0
        with archive.open(member) as stream:
            for _event, element in etree.iterparse(stream, events=("end",), tag=("Record", "Workout", "ActivitySummary")):
                if element.tag == "Record":
                    records += 1
                element.clear(keep_tail=False)
                while element.getprevious() is not None:
                    del element.getparent()[0]
    return records, member


if __name__ == "__main__":
    count, name = count_records(sys.argv[1])
    print(json.dumps({"records": count, "member": name}))
