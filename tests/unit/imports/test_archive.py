"""SafeZip: hostile archives are refused with a stable code; normal ones stream."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib

import pytest

from app.imports.archive import ArchiveError, Limits, RatioError, SafeZip, TooLargeError


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


def test_entries_under_the_floor_do_not_add_up_to_a_bomb():
    """Each entry under the 1 MiB floor may compress as well as it likes, the archive as a whole not: 8,191 such
    entries of 1 MiB made 8 GiB of a 9.9 MB zip (test_hostile_bounds.py, `no_health_xml_8191_decoys`)."""
    with SafeZip(io.BytesIO(make_zip([(f"f{i}.xml", b"\0" * 500_000) for i in range(2)]))) as archive:
        assert len(archive.entries()) == 2  # 1,000,000 bytes in all: under the floor
    error = refused(make_zip([(f"f{i}.xml", b"\0" * 500_000) for i in range(3)]))
    assert isinstance(error, RatioError) and "whole archive" in str(error) and error.entry is None


def test_archive_ratio_enforced_while_streaming():
    data = make_zip([(f"f{i}.xml", b"\0" * 300_000) for i in range(3)])
    with SafeZip(io.BytesIO(data)) as archive:  # 900,000 bytes in all: under the floor, the headers pass
        archive.limits = Limits(ratio_floor=500_000)  # as if the headers had understated the sizes
        archive.read("f0.xml")
        with pytest.raises(ArchiveError) as caught:
            archive.read("f1.xml")
    assert caught.value.code == "ratio" and "whole archive (read" in str(caught.value)


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


def test_the_streamed_total_counts_each_entry_once_and_refuses_past_the_limit(tmp_path):
    """Headers are checked on open; what is read is counted too (each entry's furthest read, so finding the export
    and then parsing it does not count the main file twice), here with a limit lowered after opening."""
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        out.writestr("a.xml", b"a" * 3000)
        out.writestr("b.xml", b"b" * 3000)
    with SafeZip(path) as archive:
        archive.read("a.xml")
        archive.read("a.xml")
        assert archive.total_read == 3000
        archive.limits = Limits(max_total_bytes=5000)
        with pytest.raises(TooLargeError):
            archive.read("b.xml")


def test_the_ratio_is_measured_against_the_compressed_bytes_really_used(tmp_path):
    """A 2 MiB bomb followed by zero padding inside the entry declares a modest ratio; the bytes it really takes
    from the file give it away while it is read."""
    payload = zlib.compress(b"\0" * (64 * 1024**2), 9)[2:-4]  # raw deflate, ~1000:1
    padding = b"\0" * (len(payload) * 900)
    path = tmp_path / "padded.zip"
    # Built by hand: local header + data + central directory with the padded compressed size.
    data = payload + padding
    name = b"export.xml"
    crc = zlib.crc32(b"\0" * (64 * 1024**2))
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), 64 * 1024**2, len(name), 0) + name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), 64 * 1024**2,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    with SafeZip(path) as archive:
        assert archive.entries()[0].size <= 100 * archive.entries()[0].compressed_size  # the headers look fine
        with pytest.raises(RatioError):
            archive.read("export.xml")
