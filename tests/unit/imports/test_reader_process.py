"""The reader process: the export parsed in a child process, its rows sent back through a pipe."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from app.imports import reader_process
from app.imports.detect import open_export
from app.imports.reader_process import Done, ReaderFailed, ReaderRefused, Rows, read_export
from app.imports.summary import ImportSummary
from tests.factories.exports import EXPORT_XML, export_zip

RECORD = ('<Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" value="{n}" '
          'startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900"/>\n')


def many_records(tmp_path: Path, count: int) -> Path:
    body = "".join(RECORD.format(n=n) for n in range(count))
    path = tmp_path / "many.zip"
    path.write_bytes(export_zip(xml=EXPORT_XML.replace("</HealthData>", body + "</HealthData>")))
    return path


def my_readers() -> list[int]:
    """The pids of this process's live reader children (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"app.imports.reader_process" in cmdline:
            found.append(int(entry))
    return found


def test_the_reader_sends_the_format_the_rows_and_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(export_zip())
    messages = list(read_export(path, keep_sensitive=False, batch=3))
    assert messages[0] == "apple_health_zip"
    rows = [m for m in messages if isinstance(m, Rows)]
    done = messages[-1]
    assert isinstance(done, Done) and not any(isinstance(m, Done) for m in messages[:-1])
    records = [r for batch in rows for r in batch.records]
    withheld = done.withheld.get("health_record", 0)
    assert len(records) == done.stored["health_record"] == done.summary.counts["health_record"] - withheld
    assert rows[-1].items == sum(done.summary.counts.values()) and rows[-1].fraction == 1.0
    assert done.withheld["ecg"] == 1  # 要配慮, not ticked: counted, never sent
    assert all(kind != "ecg" for batch in rows for kind, _values in batch.others)
    assert done.profile is not None and done.summary.locale == "ja_JP"


def test_a_resume_counts_the_first_items_without_sending_them(tmp_path: Path) -> None:
    path = many_records(tmp_path, 50)
    whole = [r for m in read_export(path, keep_sensitive=True) if isinstance(m, Rows) for r in m.records]
    resumed = list(read_export(path, keep_sensitive=True, skip=20))
    sent = [r for m in resumed if isinstance(m, Rows) for r in m.records]
    with path.open("rb") as fp:  # which of the first 20 items are records (the others are <Me>, workouts …)
        archive, items, _format = open_export(fp, ImportSummary(), rows=True)
        first = [next(items) for _ in range(20)]
        archive.close()
    assert len(sent) == len(whole) - sum(isinstance(item, tuple) for item in first)
    assert sent == whole[-len(sent):]
    assert resumed[-1].stored["health_record"] == len(whole)


def test_a_refusal_comes_back_with_its_code(tmp_path: Path) -> None:
    path = tmp_path / "photo.zip"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ReaderRefused) as refused:
        list(read_export(path, keep_sensitive=False))
    assert refused.value.code == "not_zip"


def test_a_killed_reader_is_a_failure_not_a_short_import(tmp_path: Path) -> None:
    path = many_records(tmp_path, 20_000)
    messages = read_export(path, keep_sensitive=False, batch=1)
    assert next(messages) == "apple_health_zip"
    assert isinstance(next(messages), Rows)
    (pid,) = my_readers()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(ReaderFailed, match="before finishing|cut short"):
        for message in messages:
            assert not isinstance(message, Done)


def test_a_caller_that_stops_early_leaves_no_reader_behind(tmp_path: Path) -> None:
    path = many_records(tmp_path, 20_000)
    messages = read_export(path, keep_sensitive=False, batch=1)
    next(messages)
    assert len(my_readers()) == 1
    messages.close()
    assert my_readers() == []


def test_a_broken_frame_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(reader_process, "MAX_FRAME", 10)
    with pytest.raises(ReaderFailed, match="frame of"):
        reader_process._read_body(io.BytesIO(reader_process._LENGTH.pack(11) + b"x" * 11))
    with pytest.raises(ReaderFailed, match="cut short"):
        reader_process._read_body(io.BytesIO(reader_process._LENGTH.pack(5) + b"x"))
    with pytest.raises(ReaderFailed, match="other than a frame"):
        reader_process._decode(b"N")  # marshal's None
