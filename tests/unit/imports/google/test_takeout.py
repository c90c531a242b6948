"""A Takeout part's files are each sniffed; a binary one (a NUL among its first 4 KiB) is skipped after those 4 KiB."""

from __future__ import annotations

import io
import random
import zipfile

from app.imports.archive import SafeZip
from app.imports.google import takeout
from app.imports.google.takeout import PROBE_BYTES, classify
from app.imports.summary import ImportSummary
from tests.factories.google_exports import CALENDAR

ICS = CALENDAR.encode()


def test_a_nul_among_the_first_4_kib_is_a_binary_file_no_format_claims():
    assert classify(ICS)[0].name == "calendar"
    assert classify(ICS[:PROBE_BYTES // 2] + b"\x00" + ICS[PROBE_BYTES // 2:]) is None
    # Past the probe a NUL is left to the format's reader (Google writes none; each reader refuses or removes it).
    late = ICS.replace(b"END:VCALENDAR", b"X-PAD:" + b"a" * PROBE_BYTES + b"\x00\r\nEND:VCALENDAR")
    assert classify(late)[0].name == "calendar"


def test_a_binary_file_in_a_part_is_inflated_for_its_probe_only():
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(1).randbytes(2 * 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("Takeout/Google フォト/IMG_0001.JPG", photo)
        out.writestr("Takeout/カレンダー/家族.ics", ICS)
    summary = ImportSummary()
    with SafeZip(io.BytesIO(buffer.getvalue())) as archive:
        items = list(takeout.iter_takeout_zip(archive, summary))
        assert archive.total_read == PROBE_BYTES + len(ICS)
    assert summary.skipped["file"] == 1
    assert summary.formats == {"calendar": 1}
    assert [item["kind"] for item in items] == ["calendar_event", "calendar_event"]
