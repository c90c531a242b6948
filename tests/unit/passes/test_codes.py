"""The pass's codes: round trips, forgery, expiry, and what a person may type."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.passes import codes

KEY = codes.pass_key("test-secret-key-" + "x" * 40)
OTHER_KEY = codes.pass_key("another-secret-key-" + "y" * 40)
NOW = datetime(2026, 11, 27, 10, 30, 15, tzinfo=UTC)
PASS_ID = codes.encode32(b"\x01\x02\x03\x04\x05")


@given(st.binary(min_size=1, max_size=30))
def test_base32_round_trips(raw):
    assert codes.decode32(codes.encode32(raw), len(raw)) == raw


def test_base32_reads_what_a_person_types_for_zero_and_one():
    text = codes.encode32(b"\x00\x10\x84\x21")
    assert "0" in text or "1" in text
    typed = text.replace("0", "O").replace("1", "l")
    assert codes.decode32(typed, 4) == b"\x00\x10\x84\x21"


def test_a_rotating_code_reads_back_within_its_minute_and_the_next():
    code = codes.rotating_code(KEY, PASS_ID, NOW)
    assert len(code) == 33 and code.startswith("AZ")
    read = codes.read(KEY, code, NOW)
    assert (read.pass_id, read.offline) == (PASS_ID, False)
    assert codes.read(KEY, code, NOW + timedelta(seconds=60)).code_id == read.code_id
    with pytest.raises(codes.CodeExpired):
        codes.read(KEY, code, NOW + timedelta(seconds=120))
    with pytest.raises(codes.CodeExpired):  # a code from the future (a phone's clock far ahead) is not taken either
        codes.read(KEY, code, NOW - timedelta(seconds=60))


def test_the_rotating_code_changes_every_minute():
    first = codes.rotating_code(KEY, PASS_ID, NOW)
    assert codes.rotating_code(KEY, PASS_ID, NOW + timedelta(seconds=10)) == first  # 10:30:25, the same minute
    assert codes.rotating_code(KEY, PASS_ID, codes.next_rotation(NOW)) != first
    assert codes.next_rotation(NOW) == datetime(2026, 11, 27, 10, 31, tzinfo=UTC)


def test_offline_codes_are_each_different_and_valid_for_24_hours():
    batch = codes.offline_batch(KEY, PASS_ID, NOW)
    assert len(batch) == codes.OFFLINE_BATCH_SIZE == len(set(batch))
    ids = {codes.read(KEY, code, NOW).code_id for code in batch}
    assert len(ids) == len(batch)
    read = codes.read(KEY, batch[0], NOW + timedelta(hours=23, minutes=59))
    assert read.offline and read.pass_id == PASS_ID
    with pytest.raises(codes.CodeExpired):
        codes.read(KEY, batch[0], NOW + timedelta(hours=24, minutes=1))


def test_typing_with_spaces_hyphens_and_lower_case_is_the_same_code():
    code = codes.rotating_code(KEY, PASS_ID, NOW)
    typed = "-".join(codes.grouped(code).lower().split())
    assert codes.read(KEY, typed, NOW).code_id == codes.read(KEY, code, NOW).code_id


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # the MAC's last character
    lambda c: c[:5] + ("0" if c[5] != "0" else "1") + c[6:],  # the pass id: someone else's pass
    lambda c: c[:-3],  # cut short
    lambda c: c + "0",  # too long
    lambda c: "XY" + c[2:],  # not our prefix
    lambda c: c[:10] + "U" + c[11:],  # not a base32 character
    lambda c: "",
])
def test_forged_or_damaged_codes_are_invalid(mangle):
    code = codes.rotating_code(KEY, PASS_ID, NOW)
    with pytest.raises(codes.CodeInvalid):
        codes.read(KEY, mangle(code), NOW)


def test_a_code_signed_with_another_key_is_invalid():
    with pytest.raises(codes.CodeInvalid):
        codes.read(KEY, codes.rotating_code(OTHER_KEY, PASS_ID, NOW), NOW)
    with pytest.raises(codes.CodeInvalid):
        codes.read(KEY, codes.offline_code(OTHER_KEY, PASS_ID, NOW), NOW)


@given(st.text(max_size=60))
def test_any_text_is_either_read_or_refused_with_our_errors(text):
    with contextlib.suppress(codes.CodeInvalid, codes.CodeExpired):
        codes.read(KEY, text, NOW)
