"""SafeTar: a Takeout `.tgz` read in one pass, with the zip reader's limits and refusals."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from app.imports.archive import Limits
from app.imports.archive_tar import SafeTar


def tgz(*members: tuple[str, bytes], kind: bytes = tarfile.REGTYPE, link: str = "") -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.type, info.linkname = len(data), kind, link
            archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    buffer.seek(0)
    return buffer


def read_all(source: io.BytesIO, limits: Limits | None = None) -> dict[str, bytes]:
    with SafeTar(source, limits) as archive:
        return {member.name: stream.read() for member, stream in archive.members()}


def test_regular_files_are_read_in_order_and_litter_is_skipped() -> None:
    files = read_all(tgz(("Takeout/YouTube/履歴/再生履歴.json", b"[]"), ("Takeout/.DS_Store", b"x"),
                         ("__MACOSX/Takeout/._a", b"x"), ("Takeout/Kalender/Privat.ics", b"BEGIN:VCALENDAR")))
    assert list(files) == ["Takeout/YouTube/履歴/再生履歴.json", "Takeout/Kalender/Privat.ics"]


@pytest.mark.parametrize(("members", "kind", "link", "code"), [
    ((("../evil.json", b"{}"),), tarfile.REGTYPE, "", "path"),
    ((("/etc/passwd", b"x"),), tarfile.REGTYPE, "", "path"),
    ((("Takeout/link", b""),), tarfile.SYMTYPE, "/etc/passwd", "symlink"),
    ((("Takeout/hard", b""),), tarfile.LNKTYPE, "Takeout/other", "symlink"),
    ((("Takeout/dev", b""),), tarfile.CHRTYPE, "", "path"),
], ids=["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_unsafe_members_are_refused(members, kind, link, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as caught:
        read_all(tgz(*members, kind=kind, link=link))
    assert getattr(caught.value, "code", None) == code


def test_a_gzip_bomb_is_refused_while_reading() -> None:
    # 200 MB of zeros in one member: about 1000:1, past the 100:1 limit long before the end.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("Takeout/big.json")
        info.size = 200 * 1024**2
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    packed = io.BytesIO(gzip.compress(raw.getvalue(), compresslevel=9))
    with pytest.raises(Exception) as caught:
        read_all(packed)
    assert caught.value.code == "ratio"


def test_the_total_is_counted_on_what_is_read() -> None:
    with pytest.raises(Exception) as caught:
        read_all(tgz(("a.json", b"a" * 4000), ("b.json", b"b" * 4000)), Limits(max_total_bytes=6000))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("cut", [40, 200], ids=["header", "data"])
def test_a_truncated_or_corrupt_archive_is_refused_as_corrupt(cut: int) -> None:
    data = tgz(("Takeout/a.json", bytes(range(256)) * 64)).getvalue()
    with pytest.raises(Exception) as caught:
        read_all(io.BytesIO(data[:cut]))
    assert caught.value.code == "corrupt"
