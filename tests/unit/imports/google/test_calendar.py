"""Google Calendar `.ics`: one calendar_event per VEVENT, zones, recurrence kept as written, bad events skipped."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from app.imports.google import calendar
from app.imports.google.calendar import iter_calendar, sniff_calendar
from app.imports.summary import FormatError, ImportSummary

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema validation cannot run")

REPO = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((REPO / "app" / "imports" / "schemas" / "calendar_event.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SAMPLES = REPO.parent / "shared" / "data" / "samples" / "google-calendar-ics"

TOKYO = """BEGIN:VTIMEZONE
TZID:Asia/Tokyo
X-LIC-LOCATION:Asia/Tokyo
BEGIN:STANDARD
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
"""

HEAD = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:仕事
X-WR-TIMEZONE:Asia/Tokyo
"""

# A weekly meeting with two excluded days (two EXDATE values on one line, one on another) and two overrides:
# one moved an hour later, one cancelled. The overrides come before their master, as Google sometimes writes them.
RECURRING = HEAD + TOKYO + """BEGIN:VEVENT
DTSTART;TZID=Asia/Tokyo:20240115T110000
DTEND;TZID=Asia/Tokyo:20240115T120000
DTSTAMP:20240301T000000Z
UID:weekly-1@google.com
RECURRENCE-ID;TZID=Asia/Tokyo:20240115T100000
SEQUENCE:1
STATUS:CONFIRMED
SUMMARY:定例会議（時間変更）
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Asia/Tokyo:20240108T100000
DTEND;TZID=Asia/Tokyo:20240108T110000
RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20240331T145959Z;BYDAY=MO
EXDATE;TZID=Asia/Tokyo:20240212T100000,20240219T100000
EXDATE;TZID=Asia/Tokyo:20240311T100000
DTSTAMP:20240301T000000Z
UID:weekly-1@google.com
CREATED:20231220T010203Z
LAST-MODIFIED:20240105T000000Z
DESCRIPTION:毎週の<b>定例</b>\\n議事録はドライブに
LOCATION:会議室A\\, 3階
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:定例会議
TRANSP:OPAQUE
ORGANIZER;CN=山田 太郎:mailto:taro.yamada@example.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=鈴木 花子;X-NUM-GUESTS=0:mailto:hanako.suzuki@example.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN=guest@example.org;X-NUM-GUESTS=0:mailto:guest@example.org
BEGIN:VALARM
ACTION:EMAIL
ATTENDEE:mailto:taro.yamada@example.com
TRIGGER:-P0DT0H10M0S
DESCRIPTION:This is an event reminder
SUMMARY:Alarm notification
END:VALARM
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Asia/Tokyo:20240122T100000
DTEND;TZID=Asia/Tokyo:20240122T110000
DTSTAMP:20240301T000000Z
UID:weekly-1@google.com
RECURRENCE-ID;TZID=Asia/Tokyo:20240122T100000
SEQUENCE:2
STATUS:CANCELLED
SUMMARY:定例会議
END:VEVENT
END:VCALENDAR
"""


def ics(text: str, *, newline: str = "\r\n", bom: bool = False) -> bytes:
    data = text.replace("\r\n", "\n").replace("\n", newline).encode("utf-8")
    return (b"\xef\xbb\xbf" if bom else b"") + data


def parse(data: bytes) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    items = list(iter_calendar(io.BytesIO(data), summary))
    for item in items:
        VALIDATOR.validate(item)
    return items, summary


def event(body: str, *, head: str = HEAD) -> bytes:
    return ics(head + "BEGIN:VEVENT\nDTSTAMP:20240301T000000Z\nUID:e@google.com\n" + body + "END:VEVENT\nEND:VCALENDAR\n")


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("head", [
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
    b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n",
    b"\r\n  \n\tbegin:vcalendar\n",
    b"BEGIN:VCALENDAR",
])
def test_sniff_accepts_a_calendar(head):
    assert sniff_calendar(head)


@pytest.mark.parametrize("head", [
    b"",
    b"BEGIN:VCARD\r\n",
    b"BEGIN:VCALENDARX\r\n",
    b"PRODID:x\r\nBEGIN:VCALENDAR\r\n",
    "BEGIN:VCALENDAR\r\n".encode("utf-16"),
    b"<?xml version='1.0'?><feed/>",
])
def test_sniff_refuses_anything_else(head):
    assert not sniff_calendar(head)


# --------------------------------------------------------------------------- recurrence


def test_recurring_event_with_two_overrides_counts_three():
    items, summary = parse(ics(RECURRING))
    assert summary.counts["calendar_event"] == 3 and len(items) == 3
    assert not summary.skipped and not summary.warnings
    master = next(item for item in items if item["recurrence_id"] is None)
    moved, cancelled = (item for item in items if item["recurrence_id"] is not None)
    assert {moved["uid"], cancelled["uid"]} == {master["uid"]} == {"weekly-1@google.com"}
    assert moved["recurrence_id"] == "2024-01-15T10:00:00+09:00"
    assert (moved["start"], moved["end"]) == ("2024-01-15T11:00:00+09:00", "2024-01-15T12:00:00+09:00")
    assert cancelled["recurrence_id"] == "2024-01-22T10:00:00+09:00" and cancelled["status"] == "cancelled"
    assert moved["rrule"] is None and moved["exdates"] == []


def test_master_keeps_its_rule_as_written_and_every_exdate():
    master = next(item for item in parse(ics(RECURRING))[0] if item["rrule"])
    assert master["rrule"] == "FREQ=WEEKLY;WKST=SU;UNTIL=20240331T145959Z;BYDAY=MO"  # icalendar would reorder it
    assert master["exdates"] == ["2024-02-12T10:00:00+09:00", "2024-02-19T10:00:00+09:00", "2024-03-11T10:00:00+09:00"]
    assert master["start"] == "2024-01-08T10:00:00+09:00" and master["timezone"] == "Asia/Tokyo"
    assert master["time_basis"] == "tzid" and master["all_day"] is False
    assert master["calendar"] == "仕事" and master["calendar_timezone"] == "Asia/Tokyo"
    assert master["description"] == "毎週の<b>定例</b>\n議事録はドライブに"
    assert master["location"] == "会議室A, 3階"
    assert master["sequence"] == 0 and master["transparency"] == "opaque"
    assert master["created"] == "2023-12-20T01:02:03+00:00" and master["last_modified"] == "2024-01-05T00:00:00+00:00"


def test_attendees_are_counted_and_no_third_party_address_is_kept():
    items, _ = parse(ics(RECURRING))
    master = next(item for item in items if item["rrule"])
    assert master["attendee_count"] == 2 and master["alarm_count"] == 1
    text = json.dumps(items, ensure_ascii=False)
    for personal in ("mailto", "example.com", "example.org", "山田", "鈴木"):
        assert personal not in text


def test_override_without_its_master_is_kept_with_a_warning():
    body = "DTSTART:20240101T010000Z\nRECURRENCE-ID:20240101T000000Z\nSUMMARY:only this one\n"
    items, summary = parse(event(body))
    assert items[0]["recurrence_id"] == "2024-01-01T09:00:00+09:00"
    assert summary.warnings["override_without_master"]["count"] == 1


def test_recurrence_id_of_an_all_day_series_and_its_range():
    body = "DTSTART;VALUE=DATE:20240102\nRECURRENCE-ID;VALUE=DATE;RANGE=THISANDFUTURE:20240101\n"
    item = parse(event(body))[0][0]
    assert item["recurrence_id"] == "2024-01-01" and item["recurrence_range"] == "thisandfuture"


def test_rdate_values_and_periods():
    body = ("DTSTART:20240101T000000Z\nDTEND:20240101T010000Z\nRDATE;VALUE=DATE:20240105,20240106\n"
            "RDATE;VALUE=PERIOD:20240110T000000Z/20240110T020000Z\n")
    item = parse(event(body))[0][0]
    assert item["rdates"] == ["2024-01-05", "2024-01-06", "2024-01-10T09:00:00+09:00/2024-01-10T11:00:00+09:00"]


# --------------------------------------------------------------------------- time zones


def test_utc_times_are_shown_in_the_x_wr_timezone():
    """The sample rie_x_wr_timezone_simple_events_issue_59.ics in small: 17:00Z is noon in New York."""
    head = HEAD.replace("Asia/Tokyo", "America/New_York")
    item = parse(event("DTSTART:20211222T170000Z\nDTEND:20211222T180000Z\n", head=head))[0][0]
    assert (item["start"], item["end"]) == ("2021-12-22T12:00:00-05:00", "2021-12-22T13:00:00-05:00")
    assert item["timezone"] == "America/New_York" and item["time_basis"] == "utc"


def test_utc_times_without_a_calendar_zone_stay_in_utc():
    head = HEAD.replace("X-WR-TIMEZONE:Asia/Tokyo\n", "")
    item, = parse(event("DTSTART:20240301T000000Z\nDTEND:20240301T003000Z\n", head=head))[0]
    assert (item["start"], item["end"], item["timezone"]) == ("2024-03-01T00:00:00+00:00", "2024-03-01T00:30:00+00:00", "UTC")


def test_floating_times_are_read_in_the_x_wr_timezone():
    item = parse(event("DTSTART:20240301T090000\nDTEND:20240301T093000\n"))[0][0]
    assert item["start"] == "2024-03-01T09:00:00+09:00" and item["time_basis"] == "floating"
    assert item["timezone"] == "Asia/Tokyo"


def test_floating_times_without_any_zone_keep_no_offset_and_warn():
    head = HEAD.replace("X-WR-TIMEZONE:Asia/Tokyo\n", "")
    items, summary = parse(event("DTSTART:20240301T090000\nDTEND:20240301T093000\n", head=head))
    assert items[0]["start"] == "2024-03-01T09:00:00" and items[0]["timezone"] is None
    assert "floating_time" in summary.warnings
    assert summary.first is None  # a time without an offset is no instant: it leaves the date range alone


def test_tzid_with_its_vtimezone_follows_daylight_saving():
    head = HEAD.replace("Asia/Tokyo", "Europe/Berlin")
    body = "DTSTART;TZID=Europe/Berlin:20240330T120000\nDTEND;TZID=Europe/Berlin:20240331T120000\n"
    item = parse(event(body, head=head))[0][0]
    assert (item["start"], item["end"]) == ("2024-03-30T12:00:00+01:00", "2024-03-31T12:00:00+02:00")


def test_windows_and_vendor_prefixed_tzids():
    body = "DTSTART;TZID=Tokyo Standard Time:20240301T090000\nDTEND;TZID=\"/citadel.org/Asia/Tokyo\":20240301T100000\n"
    item = parse(event(body))
    assert item[0][0]["start"] == "2024-03-01T09:00:00+09:00" and item[0][0]["timezone"] == "Asia/Tokyo"
    assert item[0][0]["end"] == "2024-03-01T10:00:00+09:00" and "timezone_guessed" in item[1].warnings


CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:Azukari Test Zone
BEGIN:STANDARD
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
TZNAME:AZT
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
"""


def test_custom_vtimezone_of_the_file_is_used_and_not_cached_process_wide():
    from icalendar.timezone import tzp

    item = parse(event("DTSTART;TZID=Azukari Test Zone:20240301T090000\nDTEND;TZID=Azukari Test Zone:20240301T100000\n",
                       head=HEAD + CUSTOM_ZONE))[0][0]
    assert item["start"] == "2024-03-01T09:00:00+05:30" and item["timezone"] == "Azukari Test Zone"
    assert tzp.timezone("Azukari Test Zone") is None  # another resident's file cannot see it
    # and another file that uses the name without defining it does not get it either
    other, summary = parse(event("DTSTART;TZID=Azukari Test Zone:20240301T090000\n"))
    assert other[0]["start"] == "2024-03-01T09:00:00+09:00" and "unknown_timezone" in summary.warnings


def test_custom_vtimezone_with_a_non_yearly_rule_is_ignored():
    zone = CUSTOM_ZONE.replace("DTSTART:19700101T000000\n", "DTSTART:19700101T000000\nRRULE:FREQ=SECONDLY\n")
    items, summary = parse(event("DTSTART;TZID=Azukari Test Zone:20240301T090000\n", head=HEAD + zone))
    assert "bad_timezone" in summary.warnings and items[0]["start"] == "2024-03-01T09:00:00+09:00"


def test_unknown_x_wr_timezone_is_warned_and_ignored():
    head = HEAD.replace("X-WR-TIMEZONE:Asia/Tokyo", "X-WR-TIMEZONE:Mars/Olympus_Mons")
    items, summary = parse(event("DTSTART:20240301T000000Z\n", head=head))
    assert items[0]["start"] == "2024-03-01T00:00:00+00:00" and "unknown_calendar_timezone" in summary.warnings


@pytest.mark.parametrize("tzid", ["localtime", "../../etc/passwd", "x" * 300])
def test_tzids_that_are_not_zones_are_never_looked_up_as_files(tzid):
    items, summary = parse(event(f"DTSTART;TZID={tzid}:20240301T090000\n"))
    assert items[0]["start"] == "2024-03-01T09:00:00+09:00" and "unknown_timezone" in summary.warnings


# --------------------------------------------------------------------------- all-day


def test_all_day_events_are_dates_with_an_exclusive_end():
    items, summary = parse(event("DTSTART;VALUE=DATE:20240501\nDTEND;VALUE=DATE:20240506\nSUMMARY:ゴールデンウィーク\n"))
    item = items[0]
    assert (item["start"], item["end"], item["all_day"]) == ("2024-05-01", "2024-05-06", True)
    assert item["timezone"] is None and item["time_basis"] == "date"
    assert summary.first.isoformat() == "2024-05-01T00:00:00+09:00"  # the days, from midnight in the calendar's zone
    assert summary.last.isoformat() == "2024-05-06T00:00:00+09:00"


def test_all_day_event_without_dtend_lasts_one_day():
    item = parse(event("DTSTART;VALUE=DATE:20240229\n"))[0][0]
    assert (item["start"], item["end"]) == ("2024-02-29", "2024-03-01")


def test_duration_gives_the_end():
    item = parse(event("DTSTART;TZID=Asia/Tokyo:20240301T233000\nDURATION:PT1H\n"))[0][0]
    assert item["end"] == "2024-03-02T00:30:00+09:00"


# --------------------------------------------------------------------------- bytes


def test_bom_and_bare_lf_line_ends():
    items, summary = parse(ics(RECURRING, newline="\n", bom=True))
    assert summary.counts["calendar_event"] == 3 and items[0]["calendar"] == "仕事"


def fold(line: str) -> bytes:
    """RFC 5545 folding at 75 octets, the way Google does it: a multi-byte character can be cut in two."""
    data = line.encode("utf-8")
    parts = [data[:75]] + [data[i:i + 74] for i in range(75, len(data), 74)]
    return b"\r\n ".join(parts)


def test_folded_japanese_lines_split_inside_a_character():
    summary_line = "SUMMARY:" + "東京都千代田区で開催される年次総会と懇親会のご案内" * 3
    description_line = "DESCRIPTION:" + "あいうえお、かきくけこ。" * 20 + "\\nhttps://example.com/" + "a" * 100
    folded = [fold(summary_line), fold(description_line)]
    assert any(part.decode("utf-8", "replace") != part.decode("utf-8", "ignore") for part in folded[0].split(b"\r\n "))
    body = b"\r\n".join([b"DTSTART:20240301T000000Z", *folded]) + b"\r\n"
    data = ics(HEAD) + b"BEGIN:VEVENT\r\nUID:j@google.com\r\n" + body + b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    items, summary = parse(data)
    assert items[0]["summary"] == summary_line.removeprefix("SUMMARY:")
    assert items[0]["description"] == "あいうえお、かきくけこ。" * 20 + "\nhttps://example.com/" + "a" * 100
    assert not summary.warnings


def test_text_that_is_not_utf8_is_replaced_with_a_warning():
    data = event("DTSTART:20240301T000000Z\nSUMMARY:caf\xe9\n").replace("café".encode(), b"caf\xe9")
    items, summary = parse(data)
    assert items[0]["summary"] == "caf\ufffd" and "ics_not_utf8" in summary.warnings


# --------------------------------------------------------------------------- bad events and bad files


def test_a_broken_vevent_is_skipped_and_the_others_kept():
    data = ics(HEAD + """BEGIN:VEVENT
UID:good-1@google.com
DTSTART:20240301T000000Z
END:VEVENT
BEGIN:VEVENT
UID:bad-date@google.com
DTSTART:2024-03-01 09:00
END:VEVENT
BEGIN:VEVENT
UID:no-start@google.com
SUMMARY:no DTSTART at all
END:VEVENT
BEGIN:VEVENT
UID:cut-off@google.com
DTSTART:20240302T000000Z
BEGIN:VEVENT
UID:good-2@google.com
DTSTART:20240303T000000Z
END:VEVENT
BEGIN:VEVENT
UID:unbalanced@google.com
DTSTART:20240304T000000Z
BEGIN:VALARM
END:VEVENT
BEGIN:VTODO
UID:todo@google.com
END:VTODO
END:VCALENDAR
""")
    items, summary = parse(data)
    assert [item["uid"] for item in items] == ["good-1@google.com", "good-2@google.com"]
    assert summary.counts["calendar_event"] == 2 and summary.skipped["calendar_event"] == 4
    assert summary.skipped["vtodo"] == 1
    assert summary.warnings["bad_event"]["count"] == 2
    assert summary.warnings["event_unterminated"]["count"] == 1 and summary.warnings["event_structure"]["count"] == 1


def test_other_components_are_counted_under_a_fixed_set_of_keys():
    other = "".join(f"BEGIN:X-THING-{n}\nUID:{n}\nEND:X-THING-{n}\n" for n in range(50))
    data = ics(HEAD + other + "BEGIN:VJOURNAL\nUID:j\nEND:VJOURNAL\nEND:VCALENDAR\n")
    items, summary = parse(data)
    assert items == [] and summary.skipped == {"other_component": 50, "vjournal": 1}


def test_bad_non_essential_property_keeps_the_event():
    items, summary = parse(event("DTSTART:20240301T000000Z\nDTEND:not-a-date\nSEQUENCE:many\n"))
    assert items[0]["end"] == "2024-03-01T09:00:00+09:00" and items[0]["sequence"] is None
    assert "bad_property" in summary.warnings


@pytest.mark.parametrize("data", [
    b"",
    b"hello, world\n",
    b"PK\x03\x04\x14\x00",
    "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".encode("utf-16"),
    b'{"locations": []}',
])
def test_not_a_calendar_is_refused(data):
    with pytest.raises(FormatError) as caught:
        parse(data)
    assert caught.value.code == "not_calendar"


@pytest.mark.parametrize("cut", ["END:VCALENDAR\n", "END:VEVENT\nEND:VCALENDAR\n"])
def test_a_cut_off_file_is_refused_after_what_was_read(cut):
    data = ics(RECURRING.removesuffix(cut))
    summary = ImportSummary()
    items = []
    with pytest.raises(FormatError) as caught:
        items.extend(iter_calendar(io.BytesIO(data), summary))
    assert caught.value.code == "ics"
    assert len(items) == (3 if cut == "END:VCALENDAR\n" else 2)


def test_content_after_the_calendar_is_ignored_and_a_second_calendar_read():
    data = ics(RECURRING) + b"junk\r\n" + ics(RECURRING.replace("weekly-1", "weekly-2"))
    items, summary = parse(data)
    assert summary.counts["calendar_event"] == 6 and "content_after_calendar" in summary.warnings


def test_oversized_lines_and_events_are_skipped(monkeypatch):
    monkeypatch.setattr(calendar, "LINE_LIMIT", 200)
    monkeypatch.setattr(calendar, "EVENT_LIMIT", 1000)
    long_line = "DESCRIPTION:" + "x" * 300 + "\n"
    folded_long = "DESCRIPTION:" + "\n ".join(["y" * 60] * 5) + "\n"
    many_lines = "".join(f"X-N{i}:{'z' * 50}\n" for i in range(30))
    data = ics(HEAD + "".join(
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTART:20240301T000000Z\n{extra}END:VEVENT\n"
        for uid, extra in [("a", long_line), ("b", folded_long), ("c", many_lines), ("d", "")]
    ) + "END:VCALENDAR\n")
    items, summary = parse(data)
    assert [item["uid"] for item in items] == ["d"] and summary.skipped["calendar_event"] == 3
    assert summary.warnings["line_too_long"]["count"] == 2 and summary.warnings["event_too_large"]["count"] == 1


class Recording(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def test_the_file_is_streamed_not_read_whole(monkeypatch):
    monkeypatch.setattr(calendar, "CHUNK", 4096)
    body = "".join(
        f"BEGIN:VEVENT\nUID:e{i}@google.com\nDTSTART:20240301T{i % 24:02}0000Z\nSUMMARY:予定 {i}\nEND:VEVENT\n"
        for i in range(5000)
    )
    stream = Recording(ics(HEAD + body + "END:VCALENDAR\n"))
    items = iter_calendar(stream, ImportSummary())
    next(items)
    # the first event comes after the 64 KiB sniffed and at most one chunk more, long before the file's end
    assert stream.tell() <= calendar.SNIFF_BYTES + 4096 < len(stream.getvalue()) // 5
    assert len(list(items)) == 4999 and all(0 < size <= calendar.SNIFF_BYTES for size in stream.reads)


def test_date_range_and_sources():
    _, summary = parse(ics(RECURRING))
    assert summary.first.isoformat() == "2024-01-08T10:00:00+09:00"
    assert summary.last.isoformat() == "2024-01-22T11:00:00+09:00"  # the rule is not expanded
    assert summary.sources == {"仕事": 3}


# --------------------------------------------------------------------------- the shared samples

VEVENT_BLOCK = re.compile(rb"^BEGIN:VEVENT\r?\n(.*?)^END:VEVENT\r?$", re.MULTILINE | re.DOTALL)


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.ics")) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"the shared Google Calendar samples are not here ({SAMPLES})")
@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_sample(path: Path):
    """Counts checked against a byte scan of the file: VEVENT blocks, and within them RRULE and RECURRENCE-ID lines."""
    data = path.read_bytes()
    blocks = VEVENT_BLOCK.findall(data)
    items, summary = parse(data)
    assert summary.counts["calendar_event"] == len(blocks) == len(re.findall(rb"^BEGIN:VEVENT", data, re.MULTILINE)) > 0
    assert not summary.skipped
    assert sum(item["rrule"] is not None for item in items) == sum(bool(re.search(rb"^RRULE[:;]", b, re.M)) for b in blocks)
    assert sum(item["recurrence_id"] is not None for item in items) == sum(b"\nRECURRENCE-ID" in b"\n" + b for b in blocks)
    exdate_lines = [line for b in blocks for line in re.findall(rb"^EXDATE[;:].*$", b, re.M)]
    exdate_values = sum(len(line.split(b":", 1)[1].split(b",")) for line in exdate_lines)
    assert sum(len(item["exdates"]) for item in items) == exdate_values
    attendees = sum(len(re.findall(rb"^ATTENDEE[;:]", b.split(b"BEGIN:VALARM")[0], re.M)) for b in blocks)
    assert sum(item["attendee_count"] for item in items) == attendees
    text = json.dumps(items, ensure_ascii=False)
    assert "mailto:" not in text
    for item in items:
        assert item["calendar"] and item["calendar_timezone"]


@pytest.mark.skipif(not (SAMPLES / "rie_x_wr_timezone_simple_events_issue_59.ics").is_file(), reason="sample not here")
def test_sample_x_wr_timezone_times_are_what_google_shows():
    items, _ = parse((SAMPLES / "rie_x_wr_timezone_simple_events_issue_59.ics").read_bytes())
    assert [(i["start"], i["end"]) for i in items] == [
        ("2021-12-22T12:00:00-05:00", "2021-12-22T13:00:00-05:00"),  # "noon to 1PM on 12/22/2021"
        ("2021-12-22T21:00:00-05:00", "2021-12-22T22:00:00-05:00"),  # "9PM to 10PM on 12/22/2021"
    ]


@pytest.mark.skipif(not (SAMPLES / "rie_issue_62_moved_event.ics").is_file(), reason="sample not here")
def test_sample_moved_event_links_to_its_master():
    override, master = parse((SAMPLES / "rie_issue_62_moved_event.ics").read_bytes())[0]
    assert override["uid"] == master["uid"] and override["recurrence_id"] == "2021-12-31T21:30:00+01:00"
    assert master["rrule"] == "FREQ=MONTHLY;BYDAY=-1FR" and master["recurrence_id"] is None
    assert override["end"] == override["start"] == "2021-12-17T21:30:00+01:00"  # no DTEND: ends when it starts


@pytest.mark.skipif(not (SAMPLES / "icalendar_alarm_google_acknowledged.ics").is_file(), reason="sample not here")
def test_sample_whose_x_wr_timezone_and_vtimezone_disagree():
    """X-WR-TIMEZONE says London, the VTIMEZONE is Berlin: UTC times keep their instant, shown in London time."""
    item, = parse((SAMPLES / "icalendar_alarm_google_acknowledged.ics").read_bytes())[0]
    assert item["start"] == "2024-10-04T19:15:00+01:00" and item["timezone"] == "Europe/London"
    assert item["alarm_count"] == 4 and "googlemail" not in json.dumps(item)
