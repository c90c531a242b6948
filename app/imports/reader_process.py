"""The reader process: an export is parsed in a child process of its own while the caller stores the rows.

The import's two halves are both CPU-bound (parsing ≈ the floor of lxml/ijson; storing ≈ the driver's executemany),
and a thread cannot overlap them (the GIL), so the parse runs here, in `python -m app.imports.reader_process`, and
sends its rows to the caller through a pipe: on two cores an import takes about as long as the slower half.

The child imports `app.imports` only (no Flask, no database). Frames on its stdout are a 4-byte length and a
`marshal`led tuple (plain values only; the caller reads nothing else from the child):

    ("format", file_format)
    ("rows", items_so_far, fraction_of_file, records, points, others)     (see app/imports/rows.py)
    ("done", summary_state, stored, withheld, profile)
    ("refused", code, message)                                           (an ArchiveError or a FormatError)

The caller (`read_export`) raises `ReaderRefused` for a refusal and `ReaderFailed` when the child dies or says
nothing it understands; a caller that stops early kills the child.
"""

from __future__ import annotations

import argparse
import contextlib
import marshal
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from app.imports.summary import ImportSummary

BATCH = 2000  # rows per frame (route points included)
_LENGTH = struct.Struct(">I")
MAX_FRAME = 512 * 1024**2
QUEUED_FRAMES = 6  # frames read ahead (a frame is about 0.5 MB)
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class ReaderRefused(Exception):
    """The export was refused (`code` as an ArchiveError's or a FormatError's)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ReaderFailed(Exception):
    """The reader process died or broke the protocol (not the file's fault: the job may retry)."""


@dataclass
class Rows:
    items: int  # items read so far (those skipped for a resume included)
    fraction: float
    records: list[tuple[Any, ...]]
    points: list[tuple[Any, ...]]
    others: list[tuple[str, dict[str, Any]]]


@dataclass
class Done:
    summary: ImportSummary
    stored: dict[str, int] = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=dict)
    profile: dict[str, Any] | None = None


# --------------------------------------------------------------------------- the caller's side


def read_export(path: Path, *, keep_sensitive: bool, skip: int = 0, batch: int = BATCH) -> Iterator[str | Rows | Done]:
    """Run the reader process on `path`: yields the file's format (a str), then `Rows` batches, then `Done`.

    The first `skip` items are counted but not sent (an earlier attempt stored them). A thread moves the frames from
    the pipe into a small queue, so the child parses the next batches while this process stores one (a pipe holds
    64 KiB, a tenth of a batch: without it the child would wait for every INSERT)."""
    command = [sys.executable, "-m", "app.imports.reader_process", str(path), "--skip", str(skip), "--batch", str(batch)]
    if keep_sensitive:
        command.append("--keep-sensitive")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, cwd=_PACKAGE_ROOT)  # noqa: S603
        assert process.stdout is not None
        frames: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=QUEUED_FRAMES)
        pump = threading.Thread(target=_pump, args=(process.stdout, frames), name="reader-frames", daemon=True)
        pump.start()
        finished = False
        try:
            while True:
                body = frames.get()
                if body is None:
                    break
                if isinstance(body, BaseException):
                    raise body
                frame = _decode(body)
                tag = frame[0]
                if tag == "rows":
                    yield Rows(*frame[1:])
                elif tag == "format":
                    yield frame[1]
                elif tag == "done":
                    finished = True
                    yield Done(ImportSummary.from_state(frame[1]), *frame[2:])
                elif tag == "refused":
                    finished = True
                    raise ReaderRefused(frame[1], frame[2])
                else:
                    raise ReaderFailed(f"the reader process sent an unknown frame {tag!r}")
            status = process.wait()
            if not finished or status != 0:
                errors.seek(0)
                tail = errors.read()[-2000:].decode("utf-8", "replace").strip()
                raise ReaderFailed(f"the reader process ended with status {status} before finishing: {tail}")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            while pump.is_alive():  # (a pump waiting on a full queue must see its put through, then the pipe's end)
                with contextlib.suppress(queue.Empty):
                    frames.get(timeout=0.05)
            process.stdout.close()


def _pump(stream: BinaryIO, frames: queue.Queue[bytes | BaseException | None]) -> None:
    try:
        while (body := _read_body(stream)) is not None:
            frames.put(body)
        frames.put(None)
    except BaseException as error:  # noqa: BLE001 (handed to the consumer, which raises it)
        frames.put(error)


def _read_body(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, or None at the end of the output."""
    head = stream.read(_LENGTH.size)
    if not head:
        return None
    if len(head) < _LENGTH.size:
        raise ReaderFailed("the reader process's output was cut short")
    (length,) = _LENGTH.unpack(head)
    if length > MAX_FRAME:
        raise ReaderFailed(f"the reader process sent a frame of {length} bytes")
    body = stream.read(length)
    if len(body) < length:
        raise ReaderFailed("the reader process's output was cut short")
    return body


def _decode(body: bytes) -> tuple[Any, ...]:
    frame = marshal.loads(body)  # noqa: S302 (written by our own child process, from plain values only)
    if not isinstance(frame, tuple) or not frame:
        raise ReaderFailed("the reader process sent something other than a frame")
    return frame


# --------------------------------------------------------------------------- the child


def _send(out: BinaryIO, frame: tuple[Any, ...]) -> None:
    body = marshal.dumps(frame)
    out.write(_LENGTH.pack(len(body)))
    out.write(body)


def read(path: Path, out: BinaryIO, *, keep_sensitive: bool, skip: int, batch: int) -> None:
    """Parse the export at `path` and write its frames to `out`."""
    from app.imports.archive import ArchiveError
    from app.imports.detect import open_export
    from app.imports.rows import RowBatch
    from app.imports.summary import FormatError

    summary = ImportSummary()
    rows = RowBatch(keep_sensitive=keep_sensitive)
    size = max(1, path.stat().st_size)
    index = 0
    try:
        with path.open("rb") as fp:
            archive, items, file_format = open_export(fp, summary, rows=True)
            _send(out, ("format", file_format))
            try:
                add, count = rows.add, rows.count
                for index, item in enumerate(items, 1):  # noqa: B007 (the last index is sent after the loop)
                    if index <= skip:
                        count(item)
                        continue
                    add(item)
                    if rows.pending >= batch:
                        _send(out, ("rows", index, fp.tell() / size, *rows.take()))
            finally:
                if archive is not None:
                    archive.close()
        _send(out, ("rows", index, 1.0, *rows.take()))
        _send(out, ("done", summary.to_state(), rows.stored, rows.withheld, rows.profile))
    except (ArchiveError, FormatError) as error:
        _send(out, ("refused", getattr(error, "code", "invalid"), str(error)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.imports.reader_process", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--keep-sensitive", action="store_true")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    try:
        read(args.path, out, keep_sensitive=args.keep_sensitive, skip=args.skip, batch=max(1, args.batch))
        out.flush()
    except BrokenPipeError:  # the caller stopped reading (it was killed, or gave up): nothing to tell anyone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
