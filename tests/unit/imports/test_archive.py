"""SafeZip: hostile archives are refused with a stable code; normal ones stream."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from app.imports.archive import ArchiveError, Limits, SafeZip


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def refused(data: bytes, limits: Limits | None = None, *, read_all: bool = False) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        with SafeZip(io.BytesIO(data), limits) as archive:
            if read_all:
                for entry in archive:
                    archive.read(entry)
    return caught.value


def test_normal_zip_streams_and_skips_macos_litter():
    data = make_zip(
        [
            ("apple_health_export/export.xml", b"<HealthData/>"),
            ("apple_health_export/.DS_Store", b"\0" * 10),
            ("__MACOSX/apple_health_export/._export.xml", b"\0\5\26\7"),
            ("apple_health_export/workout-routes/r.gpx", b"<gpx/>"),
        ]
    )
    with SafeZip(io.BytesIO(data)) as archive:
        names = [e.name for e in archive]
        assert names == ["apple_health_export/export.xml", "apple_health_export/workout-routes/r.gpx"]
        assert archive.read("apple_health_export/export.xml") == b"<HealthData/>"
        assert archive.total_read == len(b"<HealthData/>")
        assert len(archive.skipped) == 2


def test_ratio_bomb_refused_from_header():
    data = make_zip([("bomb.xml", b"\0" * (4 * 1024 * 1024))])
    assert refused(data).code == "ratio"


def test_ratio_enforced_while_streaming():
    data = make_zip([("bomb.xml", b"\0" * (512 * 1024))])
    with SafeZip(io.BytesIO(data)) as archive:  # under the 1 MiB floor: the headers pass
        archive.limits = Limits(ratio_floor=64 * 1024)  # as if the headers had understated the size
        reader = archive.open("bomb.xml")
        with pytest.raises(ArchiveError) as caught:
            while reader.read(16 * 1024):
                pass
    assert caught.value.code == "ratio"
    assert reader.bytes_read <= 64 * 1024 + 16 * 1024


def test_small_regular_files_may_compress_well():
    with SafeZip(io.BytesIO(make_zip([("a.xml", b"\0" * 50_000)]))) as archive:
        assert archive.read("a.xml") == b"\0" * 50_000


def test_total_size_counted_while_streaming():
    data = make_zip([(f"f{i}.bin", bytes(range(256)) * 40) for i in range(5)], compression=zipfile.ZIP_STORED)
    limits = Limits(max_total_bytes=3 * 10240 + 100)
    # The declared sizes already exceed the limit.
    assert refused(data, limits).code == "too_large"


def test_total_size_enforced_on_actual_bytes():
    data = make_zip([(f"f{i}.bin", bytes(range(256)) * 40) for i in range(3)], compression=zipfile.ZIP_STORED)
    with SafeZip(io.BytesIO(data), Limits(max_total_bytes=3 * 10240)) as archive:
        archive.limits = Limits(max_total_bytes=2 * 10240 + 1)  # tighter than the headers said, as if they lied
        archive.read("f0.bin")
        archive.read("f1.bin")
        with pytest.raises(ArchiveError) as caught:
            archive.read("f2.bin")
    assert caught.value.code == "too_large"


def test_too_many_entries():
    data = make_zip([(f"f{i}.txt", b"x") for i in range(6)])
    assert refused(data, Limits(max_entries=5)).code == "too_many_entries"
    with SafeZip(io.BytesIO(data), Limits(max_entries=6)) as archive:
        assert len(archive.entries()) == 6


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/etc/x", "C:/x", "..\\x"])
def test_traversal_and_absolute_names(name: str):
    data = make_zip([("ok.txt", b"x"), (name, b"x")])
    error = refused(data)
    assert error.code == "path"
    assert error.entry == name


def test_symlink_entry():
    info = zipfile.ZipInfo("apple_health_export/export.xml")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = make_zip([(info, b"/etc/passwd")])
    assert refused(data).code == "symlink"


def test_truncated_archive():
    data = make_zip([("export.xml", b"<HealthData>" + b"<Record/>" * 1000 + b"</HealthData>")])
    assert refused(data[: len(data) // 2]).code == "corrupt"


def test_corrupt_entry_data():
    payload = bytes(range(256)) * 64
    data = bytearray(make_zip([("export.xml", payload)], compression=zipfile.ZIP_STORED))
    at = data.find(payload[:64]) + 100
    data[at] ^= 0xFF  # flip a byte in the stored data: the CRC check fails at the end of the stream
    assert refused(bytes(data), read_all=True).code == "corrupt"


def test_not_a_zip():
    assert refused(b"<?xml version='1.0'?><HealthData/>").code == "not_zip"
    assert refused(b"").code == "not_zip"


def test_encrypted_entry_refused():
    data = bytearray(make_zip([("a.txt", b"x")], compression=zipfile.ZIP_STORED))
    # set the "encrypted" flag bit in the central directory header
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x1
    assert refused(bytes(data)).code == "encrypted"


def test_open_path_and_source_file(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip([("导出.xml", b"<HealthData/>")]))
    with SafeZip(path) as archive:
        assert [e.name for e in archive] == ["导出.xml"]
