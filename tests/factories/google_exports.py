"""Small Google exports in the real formats: a Takeout part (zip or tgz) with Japanese folder names holding an old
Location History, a YouTube watch history (JSON), a calendar with a recurring event and one exception, and a file
Azukari does not read; and the iOS on-device Timeline as a bare file."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

LOCATIONS = {"locations": [
    {"timestampMs": "1700000000000", "latitudeE7": 358930000, "longitudeE7": 1399530000, "accuracy": 12},
    {"timestampMs": "1700000060000", "latitudeE7": 358931000, "longitudeE7": 1399531000, "accuracy": 9, "altitude": 14},
    {"timestampMs": "1700000120000", "latitudeE7": 358932000, "longitudeE7": 1399532000, "accuracy": 8},
]}

WATCH_HISTORY = [
    {"header": "YouTube", "title": "Watched 柏の葉キャンパスの紅葉", "titleUrl": "https://www.youtube.com/watch?v=abc123DEF45",
     "subtitles": [{"name": "柏の葉チャンネル", "url": "https://www.youtube.com/channel/UC123"}],
     "time": "2023-11-15T12:03:12.000Z", "products": ["YouTube"], "activityControls": ["YouTube watch history"]},
    {"header": "YouTube", "title": "Watched a video that has been removed", "time": "2023-11-14T08:00:00.000Z",
     "products": ["YouTube"], "activityControls": ["YouTube watch history"]},
]

CALENDAR = "\r\n".join([
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "X-WR-CALNAME:家族",
    "X-WR-TIMEZONE:Asia/Tokyo",
    "BEGIN:VEVENT", "DTSTART;TZID=Asia/Tokyo:20231106T100000", "DTEND;TZID=Asia/Tokyo:20231106T110000",
    "RRULE:FREQ=WEEKLY;COUNT=4", "UID:yoga@google.com", "SUMMARY:親子ヨガ", "END:VEVENT",
    "BEGIN:VEVENT", "DTSTART;TZID=Asia/Tokyo:20231114T100000", "DTEND;TZID=Asia/Tokyo:20231114T110000",
    "RECURRENCE-ID;TZID=Asia/Tokyo:20231113T100000", "UID:yoga@google.com", "SUMMARY:親子ヨガ（火曜に変更）", "END:VEVENT",
    "END:VCALENDAR", ""])

IOS_TIMELINE = [
    {"startTime": "2024-01-06T09:00:00.000+09:00", "endTime": "2024-01-06T10:30:00.000+09:00",
     "visit": {"hierarchyLevel": "0", "probability": "0.91",
               "topCandidate": {"probability": "0.85", "semanticType": "Unknown", "placeID": "ChIJkashiwanoha",
                                "placeLocation": "geo:35.893000,139.953000"}}},
    {"startTime": "2024-01-06T10:30:00.000+09:00", "endTime": "2024-01-06T11:00:00.000+09:00",
     "activity": {"start": "geo:35.893000,139.953000", "end": "geo:35.871000,139.971000", "distanceMeters": "3200.0",
                  "probability": "0.9", "topCandidate": {"type": "walking", "probability": "0.8"}}},
]

# Folder and file names as a Japanese account's Takeout writes them.
TAKEOUT_FILES = {
    "Takeout/ロケーション履歴/ロケーション履歴.json": json.dumps(LOCATIONS, ensure_ascii=False),
    "Takeout/YouTube と YouTube Music/履歴/再生履歴.json": json.dumps(WATCH_HISTORY, ensure_ascii=False),
    "Takeout/カレンダー/家族.ics": CALENDAR,
    "Takeout/アーカイブの概要.html": "<html><body><p>Google データ エクスポート</p></body></html>",
}
# What the import of TAKEOUT_FILES finds (kind → number; the calendar: the master event and its one exception).
TAKEOUT_FOUND = {"location_point": 3, "watch_event": 2, "calendar_event": 2}


def takeout_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in TAKEOUT_FILES.items():
            out.writestr(name, "\ufeff" + text if name.endswith("再生履歴.json") else text)  # a BOM, as some parts have
    return buffer.getvalue()


def takeout_tgz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as out:
        for name, text in TAKEOUT_FILES.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ios_timeline() -> bytes:
    return json.dumps(IOS_TIMELINE).encode()
