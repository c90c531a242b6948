"""Google profile and interests (app.imports.google.profile): `Profile/Profile.json` and YouTube subscriptions.

No public sample of `Profile.json` exists (none is among the shared samples): PROFILE_JSON is written from the shape
two independent public parsers read (`name.givenName/familyName/formattedName`, `displayName`, `emails[].value`,
`birthday` "YYYY-MM-DD", `gender.type`). The subscriptions CSV follows the real file of LemmingsCode/youtube-history
(`Channel ID,Channel URL,Channel title`, quoted titles with commas, a blank last line); the Japanese header is an
assumption (the columns are read by position, so its wording does not matter).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app.imports.google.activity import sniff_my_activity, sniff_watch_history
from app.imports.google.profile import iter_profile, sniff_profile
from app.imports.summary import FormatError, ImportSummary

SCHEMAS = Path(__file__).resolve().parents[4] / "app" / "imports" / "schemas"

PROFILE_JSON = json.dumps({
    "name": {"givenName": "花子", "familyName": "柏", "formattedName": "柏 花子"},
    "displayName": "柏 花子",
    "emails": [{"value": "hanako@example.com"}, {"value": "hanako.work@example.com"}],
    "birthday": "1988-04-01",
    "gender": {"type": "female"},
}, ensure_ascii=False, indent=2).encode()

SUBSCRIPTIONS_CSV = (
    b"Channel ID,Channel URL,Channel title\n"
    b"UC-JQzTHQrVA8j-tamvy66fw,http://www.youtube.com/channel/UC-JQzTHQrVA8j-tamvy66fw,EJ Media\n"
    b'UCRQhZGXC0WK85YRXl7nGX0w,http://www.youtube.com/channel/UCRQhZGXC0WK85YRXl7nGX0w,"All Things JavaScript, LLC"\n'
    b"UC8butISFwT-Wl7EV0hUK0BQ,http://www.youtube.com/channel/UC8butISFwT-Wl7EV0hUK0BQ,freeCodeCamp.org\n"
    b"\n"
)

SUBSCRIPTIONS_CSV_JA = (
    "\ufeffチャンネル ID,チャンネルの URL,チャンネルのタイトル\r\n"
    "UCaaaaaaaaaaaaaaaaaaaaaa,http://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa,柏市公式チャンネル\r\n"
    "UCaaaaaaaaaaaaaaaaaaaaaa,http://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa,柏市公式チャンネル\r\n"
    "UCbbbbbbbbbbbbbbbbbbbbbb\r\n"
    "UCcccccccccccccccccccccc,http://www.youtube.com/channel/UCcccccccccccccccccccccc,音楽 - トピック\r\n"
).encode()

SUBSCRIPTIONS_JSON = json.dumps([
    {"kind": "youtube#subscription", "snippet": {
        "publishedAt": "2018-01-01T00:00:00.000Z", "title": "Old Channel",
        "resourceId": {"kind": "youtube#channel", "channelId": "UCdddddddddddddddddddddd"}}},
    {"kind": "youtube#subscription", "snippet": {"title": None, "resourceId": {"kind": "youtube#channel"}}},
]).encode()


def read(data: bytes, **kwargs) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    return list(iter_profile(io.BytesIO(data), summary, **kwargs)), summary


def test_profile_is_minimised():
    items, summary = read(PROFILE_JSON)
    assert items == [{
        "kind": "profile", "schema_version": 1, "display_name": "柏 花子", "email": "hanako@example.com", "locale": None,
        "source": "google_profile", "not_kept": ["birthday", "gender", "name", "emails (other than the primary)"],
    }]
    assert summary.counts == {"profile": 1}


def test_profile_variants():
    data = b"\xef\xbb\xbf" + json.dumps({"name": {"givenName": "Taro", "familyName": "Kashiwa"}, "locale": "ja",
                                         "emails": [{"value": "a@example.com"}, {"value": "b@example.com", "isPrimary": True}],
                                         "gender": {"type": "male"}}).encode()
    items, summary = read(data)
    assert (items[0]["display_name"], items[0]["email"], items[0]["locale"]) == ("Taro Kashiwa", "b@example.com", "ja")
    assert "name" not in items[0]["not_kept"] and "gender" in items[0]["not_kept"]
    assert summary.locale == "ja"


def test_subscriptions_csv():
    items, summary = read(SUBSCRIPTIONS_CSV)
    assert [(i["name"], i["id"]) for i in items] == [
        ("EJ Media", "UC-JQzTHQrVA8j-tamvy66fw"),
        ("All Things JavaScript, LLC", "UCRQhZGXC0WK85YRXl7nGX0w"),
        ("freeCodeCamp.org", "UC8butISFwT-Wl7EV0hUK0BQ"),
    ]
    assert items[0] == {"kind": "interest", "schema_version": 1, "name": "EJ Media", "source": "youtube_subscription",
                        "id": "UC-JQzTHQrVA8j-tamvy66fw", "url": "http://www.youtube.com/channel/UC-JQzTHQrVA8j-tamvy66fw"}
    assert summary.counts == {"interest": 3} and not summary.skipped


def test_localized_csv_with_bom_duplicate_and_broken_row():
    items, summary = read(SUBSCRIPTIONS_CSV_JA)
    assert [i["name"] for i in items] == ["柏市公式チャンネル", "音楽 - トピック"]
    assert summary.counts == {"interest": 2} and summary.skipped == {"interest": 2}
    assert set(summary.warnings) == {"duplicate_interest", "bad_interest"}


def test_csv_without_header_and_header_only():
    items, _ = read(SUBSCRIPTIONS_CSV.split(b"\n", 1)[1])
    assert len(items) == 3
    items, summary = read(b"Channel Id,Channel Url,Channel Title\n")
    assert items == [] and summary.counts == {}


def test_legacy_subscriptions_json():
    items, summary = read(SUBSCRIPTIONS_JSON)
    assert [(i["name"], i["id"], i["url"]) for i in items] == [
        ("Old Channel", "UCdddddddddddddddddddddd", "https://www.youtube.com/channel/UCdddddddddddddddddddddd")]
    assert summary.skipped == {"interest": 1}


@pytest.mark.parametrize(("data", "kind"), [
    (PROFILE_JSON, "google_profile"),
    (b"\xef\xbb\xbf" + PROFILE_JSON, "google_profile"),
    (SUBSCRIPTIONS_CSV, "youtube_subscriptions_csv"),
    (SUBSCRIPTIONS_CSV_JA, "youtube_subscriptions_csv"),
    (b"Channel Id,Channel Url,Channel Title\n", "youtube_subscriptions_csv"),
    (SUBSCRIPTIONS_JSON, "youtube_subscriptions_json"),
    (b'{"locations": [{"timestampMs": "1"}]}', None),
    (b'{"user": {"name": "x", "email": "y"}}', None),
    (b'[{"header": "YouTube", "title": "Watched x", "titleUrl": "https://www.youtube.com/watch?v=x", '
     b'"time": "2024-01-01T00:00:00Z"}]', None),
    (b"Video ID,Playlist Video Creation Timestamp\nabc,2024\n", None),
    (b"BEGIN:VCALENDAR\r\n", None),
    (b"\x89PNG\r\n", None),
])
def test_sniff_profile(data, kind):
    assert sniff_profile(data) == kind
    if kind is not None:  # no other Google sniffer here claims a profile or an interest file
        assert sniff_watch_history(data) is None and sniff_my_activity(data) is False


@pytest.mark.parametrize(("data", "kwargs", "code"), [
    (b'{"locations": []}', {}, "not_profile"),
    (b"\x89PNG\r\n", {}, "not_profile"),
    (b'{"displayName": "x", ', {"kind": "google_profile"}, "json"),
    (b'{"birthday": "1990-01-01"}', {"kind": "google_profile"}, "not_profile"),
    (b"[1, 2]", {"kind": "google_profile"}, "not_profile"),
    (b"a,b\nc,d\n", {"kind": "youtube_subscriptions_csv"}, "not_profile"),
    (b"Channel Id,Channel Url,Channel Title\n\xff\xfe,x,y\n", {"kind": "youtube_subscriptions_csv"}, "encoding"),
    (b'[{"snippet": ', {"kind": "youtube_subscriptions_json"}, "json"),
])
def test_wrong_files_are_refused(data, kwargs, code):
    with pytest.raises(FormatError) as caught:
        read(data, **kwargs)
    assert caught.value.code == code


def test_yielded_dicts_validate():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    validators = {}
    for name in ("profile", "interest"):
        document = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(document)
        assert document["$id"] == f"https://azukari.example/schemas/imports/{name}/1.json"
        validators[name] = jsonschema.Draft202012Validator(document)
    seen = set()
    for data in (PROFILE_JSON, SUBSCRIPTIONS_CSV, SUBSCRIPTIONS_CSV_JA, SUBSCRIPTIONS_JSON):
        for item in read(data)[0]:
            validators[item["kind"]].validate(item)
            seen.add(item["kind"])
    assert seen == {"profile", "interest"}
    assert not validators["profile"].is_valid({"kind": "profile", "schema_version": 1, "display_name": "x", "birthday": "1990"})
