"""YouTube / YouTube Music watch history and My Activity (app.imports.google.activity): JSON and HTML, English,
Japanese and German, ads, removed videos, YouTube Music, a BOM, broken entries, wrong files, the shared samples.

The fixtures are written here after the real Takeout template (the `outer-cell` layout of the LemmingsCode and niimpy
pages: U+00A0 after the verb, U+2003 before a product, U+202F before AM/PM). The Japanese and German pages follow the
documented sentences ("<title> を視聴しました", "„<title>“ angesehen", `2023/01/15 21:03:12 JST`,
`15.01.2023, 21:03:12 MEZ`); no public Japanese Takeout page exists to copy, so their exact spacing is an assumption.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import resource
from pathlib import Path

import pytest

from app.imports.google.activity import (
    LEADING_LIMIT,
    html_pages,
    iter_my_activity,
    iter_watch_history,
    parse_html_time,
    sniff_my_activity,
    sniff_watch_history,
)
from app.imports.summary import FormatError, ImportSummary

SCHEMAS = Path(__file__).resolve().parents[4] / "app" / "imports" / "schemas"
SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "samples"
NBSP, EMSP, NNBSP = "\u00a0", "\u2003", "\u202f"

# --------------------------------------------------------------------------- fixture builders

CSS = "<html><head><title>My Activity History</title><style type=\"text/css\">/**\n * material-design-lite - Material Design " \
      "Components in CSS, JS and HTML\n */\n.mdl-cell{background-color:#FFFFFF}</style></head><body><div class=\"mdl-grid\">"
END = "</div></body></html>"


def cell(body: str, *, header: str | None = "YouTube", products: str = "YouTube", details: str | None = None,
         details_label: str = "Details:") -> str:
    caption = f"<b>Products:</b><br>{EMSP}{products}<br>"
    if details:
        caption += f"<b>{details_label}</b><br>{EMSP}{details}<br>"
    caption += f"<b>Why is this here?</b><br>{EMSP}This activity was saved to your Google Account because the following " \
               f"settings were on:{NBSP}YouTube watch history.{NBSP}You can control these settings {NBSP}" \
               "<a href=\"https://myaccount.google.com/activitycontrols\">here</a>."
    head = (f'<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">{header}<br></p></div>'
            if header is not None else "")
    return ('<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">' + head
            + f'<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">{body}</div>'
            + '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 mdl-typography--text-right"></div>'
            + f'<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">{caption}</div></div></div>')


def page(*cells: str, css: str = CSS) -> bytes:
    return (css + "".join(cells) + END).encode()


def a(href: str, text: str) -> str:
    return f'<a href="{href}">{text}</a>'


def watch_en(vid: str, title: str, channel: str, date: str, host: str = "https://www.youtube.com") -> str:
    return f"Watched{NBSP}{a(f'{host}/watch?v={vid}', title)}<br>" \
           f"{a(f'https://www.youtube.com/channel/UC{vid}', channel)}<br>{date}<br>"


def watch_ja(vid: str, title: str, channel: str, date: str) -> str:
    return f"{a(f'https://www.youtube.com/watch?v={vid}', title)} を視聴しました<br>" \
           f"{a(f'https://www.youtube.com/channel/UC{vid}', channel)}<br>{date}"


def watch_de(vid: str, title: str, channel: str, date: str) -> str:
    return f"{a(f'https://www.youtube.com/watch?v={vid}', title)}{NBSP}angesehen<br>" \
           f"{a(f'https://www.youtube.com/channel/UC{vid}', channel)}<br>{date}"


EN_PAGE = page(
    cell(watch_en("dQw4w9WgXcQ", "Rick &amp; Roll &#39;87", "Rick Astley", f"Feb 4, 2022, 4:20:56{NNBSP}PM EET")),
    cell(watch_en("aaaaaaaaaaa", "Buy now", "Brand", "Feb 4, 2022, 4:21:56 PM EET"), details="From Google Ads"),
    cell(f"Watched a video that has been removed<br>Feb 4, 2022, 4:22:56{NNBSP}PM EET<br>"),
    cell(watch_en("lYBUbBu4W08", "Never Gonna Give You Up", "Rick Astley - Topic", "Feb 5, 2022, 9:00:00 AM EET",
                  host="https://music.youtube.com"), header="YouTube Music", products="YouTube Music"),
    cell(f"Viewed a post that is no longer available<br>Feb 5, 2022, 9:01:00{NNBSP}AM EET<br>"),
    cell(watch_en("bbbbbbbbbbb", "Broken date", "C", "Feb 31, 2022, 9:02:00 AM EET")),
    cell(f"Watched{NBSP}{a('https://www.youtube.com/watch?v=ccccccccccc', 'https://www.youtube.com/watch?v=ccccccccccc')}"
         f"<br>Feb 6, 2022, 12:05:00 AM EET<br>"),
)

JA_PAGE = page(
    cell(watch_ja("jjjjjjjjjj1", "猫の動画", "ねこチャンネル", "2023/01/15 21:03:12 JST")),
    cell(watch_ja("jjjjjjjjjj2", "新商品", "ブランド", "2023/01/15 21:05:00 JST"), details="Google 広告から",
         details_label="詳細:"),
    cell("削除された動画を視聴しました<br>2023/01/16 8:00:00 JST"),
    cell(watch_ja("jjjjjjjjjj3", "夜の曲", "アーティスト - トピック", "2023/01/16 23:59:59 JST"), header="YouTube Music",
         products="YouTube Music"),
)

DE_PAGE = page(
    cell(watch_de("ddddddddddd", "Tagesschau", "ARD", "15.01.2023, 21:03:12 MEZ")),
    cell("Ein Video, das entfernt wurde, angesehen<br>16.07.2023, 08:00:00 MESZ"),
    cell(watch_de("eeeeeeeeeee", "Werbung", "Firma", "17.07.2023, 10:00:00 MESZ"), details="Von Google Ads"),
)


def jwatch(vid: str | None, title: str, time: str, *, header: str = "YouTube", channel: str | None = "Chan",
           ad: str | None = None, music: bool = False) -> dict:
    item: dict = {"header": header, "title": title}
    if vid is not None:
        host = "https://music.youtube.com" if music else "https://www.youtube.com"
        item["titleUrl"] = f"{host}/watch?v={vid}"
        if channel:
            item["subtitles"] = [{"name": channel, "url": f"https://www.youtube.com/channel/UC{vid}"}]
    item.update({"time": time, "products": ["YouTube"], "activityControls": ["YouTube watch history"]})
    if ad:
        item["details"] = [{"name": ad}]
    return item


def dumps(items: list) -> bytes:
    # Google escapes = & ' as \u003d \u0026 \u0027: json.dumps does not, so they are written in by hand.
    return json.dumps(items, ensure_ascii=False, indent=2).replace("v=", "v\\u003d").encode()


EN_JSON = dumps([
    jwatch("dQw4w9WgXcQ", "Watched Rick Astley - Never Gonna Give You Up", "2022-02-04T14:20:56.789Z"),
    jwatch("lYBUbBu4W08", "Watched Never Gonna Give You Up", "2022-02-05T09:00:00.123Z", header="YouTube Music",
           channel="Rick Astley - Topic", music=True),
    jwatch(None, "Watched a video that has been removed", "2022-02-06T09:00:00Z"),
    jwatch("aaaaaaaaaaa", "Watched Buy now", "2022-02-06T10:00:00.5Z", ad="From Google Ads"),
    jwatch(None, "Viewed a post that is no longer available", "2022-02-06T11:00:00Z"),
    jwatch("bbbbbbbbbbb", "Watched Bad time", "yesterday"),
    {"header": "YouTube", "title": "Watched no time", "titleUrl": "https://www.youtube.com/watch?v=ccccccccccc"},
    "not an object",
])

JA_JSON = dumps([
    jwatch("HoASJiuVNhk", "鈴木誠也「ホームラン数は大谷に次ぐ日本人2位」 を視聴しました", "2025-12-27T10:26:59.596Z"),
    {"header": "YouTube", "title": "YouTube のトップページで広告を視聴しました", "time": "2025-12-27T10:28:25.686Z",
     "products": ["YouTube"], "details": [{"name": "Google 広告から"}],
     "activityControls": ["ウェブとアプリのアクティビティ", "YouTube の再生履歴"]},
])

DE_JSON = dumps([
    jwatch("ddddddddddd", "„Tagesschau“ angesehen", "2023-01-15T20:03:12Z"),
    jwatch(None, "Ein Video, das entfernt wurde, angesehen", "2023-07-16T06:00:00Z"),
])

SEARCH_JSON = dumps([
    {"header": "Search", "title": "Searched for kashiwa events", "titleUrl": "https://www.google.com/search?q\u003dkashiwa",
     "time": "2019-05-30T15:37:14.947Z", "products": ["Search"],
     "locationInfos": [{"name": "Around this area", "url": "https://www.google.com/maps/@?api=1",
                        "source": "From your places (Home)"}]},
    {"header": "Search", "title": "Visited Kashiwa city", "titleUrl": "https://www.city.kashiwa.lg.jp/",
     "time": "2019-05-30T15:37:18Z", "products": ["Search"]},
])

YT_SEARCH_JSON = dumps([
    {"header": "YouTube", "title": "Searched for lofi", "titleUrl": "https://www.youtube.com/results?search_query=lofi",
     "time": "2024-01-01T00:00:00Z", "products": ["YouTube"], "activityControls": ["YouTube search history"]},
])


def watches(data: bytes, **kwargs) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    return list(iter_watch_history(io.BytesIO(data), summary, **kwargs)), summary


def activities(data: bytes) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    return list(iter_my_activity(io.BytesIO(data), summary)), summary


def schema(name: str):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    document = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


# --------------------------------------------------------------------------- HTML


def test_english_html_page():
    items, summary = watches(EN_PAGE)
    assert [i["title"] for i in items] == ["Rick & Roll '87", "Buy now", None, "Never Gonna Give You Up", None]
    first, ad, removed, music, url_title = items
    assert first["time"] == "2022-02-04T16:20:56+02:00" and first["raw_time"] == "Feb 4, 2022, 4:20:56 PM EET"
    assert first["video_id"] == "dQw4w9WgXcQ" and first["channel_name"] == "Rick Astley"
    assert first["channel_url"] == "https://www.youtube.com/channel/UCdQw4w9WgXcQ"
    assert (first["product"], first["ad"], first["removed"], first["format"]) == ("youtube", False, False, "html")
    assert ad["ad"] is True and ad["removed"] is False and ad["video_id"] == "aaaaaaaaaaa"
    assert removed["removed"] is True and removed["video_url"] is None and removed["channel_name"] is None
    assert music["product"] == "youtube_music" and music["channel_name"] == "Rick Astley - Topic"
    assert music["time"] == "2022-02-05T09:00:00+02:00"
    assert url_title["video_id"] == "ccccccccccc" and url_title["time"] == "2022-02-06T00:05:00+02:00"  # 12 AM is midnight
    assert summary.counts == {"watch_event": 5}
    assert summary.skipped == {"not_a_watch": 1, "watch_event": 1}  # the post; the 31 February
    assert "bad_watch_event" in summary.warnings
    assert summary.locale == "en"
    assert summary.as_dict()["date_range"] == {"first": "2022-02-04T16:20:56+02:00", "last": "2022-02-06T00:05:00+02:00"}


def test_japanese_html_page():
    items, summary = watches(JA_PAGE)
    assert [i["title"] for i in items] == ["猫の動画", "新商品", None, "夜の曲"]
    assert items[0]["time"] == "2023-01-15T21:03:12+09:00" and items[0]["channel_name"] == "ねこチャンネル"
    assert items[1]["ad"] is True  # 詳細: Google 広告から
    assert items[2]["removed"] is True and items[2]["time"] == "2023-01-16T08:00:00+09:00"
    assert items[3]["product"] == "youtube_music"
    assert summary.counts == {"watch_event": 4} and summary.locale == "ja" and not summary.warnings


def test_german_html_page():
    items, summary = watches(DE_PAGE)
    assert [(i["title"], i["time"], i["ad"], i["removed"]) for i in items] == [
        ("Tagesschau", "2023-01-15T21:03:12+01:00", False, False),
        (None, "2023-07-16T08:00:00+02:00", False, True),
        ("Werbung", "2023-07-17T10:00:00+02:00", True, False),
    ]
    assert summary.locale == "de"


def test_page_without_wrappers_or_headers_and_a_bom():
    """niimpy's page: no `<html>`, no `outer-cell`, no `header-cell`, `<br/>`; the last entry has no caption."""
    body = (f'<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">Watched{NBSP}'
            f'{a("https://music.youtube.com/watch?v=mmmmmmmmmmm", "Song")}<br/>'
            f'{a("https://www.youtube.com/channel/UCx", "Artist")}<br/>Feb 13, 2024, 8:36:49{NNBSP}AM EET</div>'
            '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">'
            f'<b>Products:</b><br/>{EMSP}YouTube Music<br/></div>'
            f'<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">Watched{NBSP}'
            f'{a("https://www.youtube.com/watch?v=vvvvvvvvvvv", "Video")}<br/>Feb 13, 2024, 8:35:03{NNBSP}AM EET</div>')
    data = b"\xef\xbb\xbf" + ("<head><title>My Activity History</title><style>/* material-design-lite */</style></head>"
                              f"<body>{body}</body>").encode()
    items, summary = watches(data)
    assert [(i["title"], i["product"], i["channel_name"]) for i in items] == [("Song", "youtube_music", "Artist"),
                                                                            ("Video", "youtube", None)]


def test_unrecognised_wording_with_a_video_link_is_a_watch():
    """exportube's simplified page has no verb at all; another language's verb is kept out of the title (the link's text)."""
    data = page(cell(f"{a('https://youtu.be/abcdefghijk', 'Some Video')}<br>{a('https://www.youtube.com/channel/UC1', 'Ch')}<br>"
                     "Feb 10, 2024, 8:00:00 PM UTC"),
                cell(f"Vous avez regardé {a('https://www.youtube.com/watch?v=fffffffffff', 'Vidéo')}<br>"
                     "4 févr. 2022, 16:20:56 UTC+1"))
    items, summary = watches(data)
    assert [(i["title"], i["video_id"], i["time"]) for i in items] == [
        ("Some Video", "abcdefghijk", "2024-02-10T20:00:00+00:00"),
        ("Vidéo", "fffffffffff", "2022-02-04T16:20:56+01:00"),
    ]
    assert summary.warnings["wording_not_recognised"]["count"] == 2


@pytest.mark.parametrize(("text", "iso"), [
    ("Jan 15, 2023, 9:03:12 PM JST", "2023-01-15T21:03:12+09:00"),
    (f"Jan 15, 2023, 9:03:12{NNBSP}PM JST", "2023-01-15T21:03:12+09:00"),
    ("Feb 4, 2022, 12:30:00 PM UTC", "2022-02-04T12:30:00+00:00"),
    ("2023/01/15 21:03:12 JST", "2023-01-15T21:03:12+09:00"),
    ("2023年1月15日 21:03:12 JST", "2023-01-15T21:03:12+09:00"),
    ("15.01.2023, 21:03:12 MEZ", "2023-01-15T21:03:12+01:00"),
    ("27 Apr 2021, 17:21:30 AEDT", "2021-04-27T17:21:30+11:00"),
    ("15 jun 2026, 20:30:41 CEST", "2026-06-15T20:30:41+02:00"),
    ("4 févr. 2022, 16:20:56 UTC+1", "2022-02-04T16:20:56+01:00"),
    ("4 Feb 2022, 16:20:56 GMT+05:30", "2022-02-04T16:20:56+05:30"),
    ("Aug 21, 2026, 12:13:55 PM IST", "2026-08-21T12:13:55+05:30"),
    ("Dec 5, 2025, 9:22:22 PM CDT", "2025-12-05T21:22:22-05:00"),
    ("Jan 31, 2018, 10:54:50 PM", "2018-01-31T22:54:50"),
])
def test_localized_html_dates(text, iso):
    assert parse_html_time(text) == iso


@pytest.mark.parametrize("text", ["Feb 31, 2022, 9:00:00 AM EET", "Foo 1, 2022, 9:00:00 AM EET", "13:00:00 PM", "yesterday"])
def test_unreadable_html_dates(text):
    with pytest.raises(ValueError):
        parse_html_time(text)


def test_unknown_zone_keeps_the_local_time():
    items, summary = watches(page(cell(watch_en("ddddddddddd", "T", "C", "Jan 15, 2023, 9:03:12 PM XYZT"))))
    assert items[0]["time"] == "2023-01-15T21:03:12" and "time_zone_unknown" in summary.warnings
    assert summary.as_dict()["date_range"] == {"first": None, "last": None}


# --------------------------------------------------------------------------- JSON


def test_english_json():
    items, summary = watches(EN_JSON)
    assert [(i["title"], i["product"], i["ad"], i["removed"]) for i in items] == [
        ("Rick Astley - Never Gonna Give You Up", "youtube", False, False),
        ("Never Gonna Give You Up", "youtube_music", False, False),
        (None, "youtube", False, True),
        ("Buy now", "youtube", True, False),
    ]
    assert items[0]["time"] == "2022-02-04T14:20:56.789+00:00" and items[0]["raw_time"] is None
    assert items[0]["video_url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"  # \u003d decoded
    assert items[3]["time"] == "2022-02-06T10:00:00.5+00:00"
    assert summary.counts == {"watch_event": 4}
    assert summary.skipped == {"not_a_watch": 1, "watch_event": 3}  # the post; bad time, no time, not an object
    assert summary.as_dict()["date_range"] == {"first": "2022-02-04T14:20:56+00:00", "last": "2022-02-06T10:00:00+00:00"}


def test_japanese_and_german_json():
    items, summary = watches(JA_JSON)
    assert items[0]["title"] == "鈴木誠也「ホームラン数は大谷に次ぐ日本人2位」" and items[0]["video_id"] == "HoASJiuVNhk"
    assert (items[1]["ad"], items[1]["removed"], items[1]["video_url"]) == (True, False, None)  # an ad on the home page
    assert summary.locale == "ja"
    items, _ = watches(DE_JSON)
    assert [(i["title"], i["removed"]) for i in items] == [("Tagesschau", False), (None, True)]


def test_bom_and_fmt_given():
    items, _ = watches(b"\xef\xbb\xbf" + EN_JSON, fmt="json")
    assert len(items) == 4
    items, _ = watches(b"\xef\xbb\xbf\n" + EN_PAGE, fmt="html")
    assert len(items) == 5


def test_legacy_api_shape():
    data = json.dumps([
        {"kind": "youtube#playlistItem", "snippet": {"publishedAt": "2016-03-01T10:00:00.000Z", "title": "Old video",
                                                      "resourceId": {"kind": "youtube#video", "videoId": "ooooooooooo"}},
         "contentDetails": {"videoId": "ooooooooooo"}},
        {"kind": "youtube#playlistItem", "snippet": {"publishedAt": "2016-03-02T10:00:00.000Z", "title": "Deleted video",
                                                      "resourceId": {"kind": "youtube#video", "videoId": "ppppppppppp"}}},
    ]).encode()
    assert sniff_watch_history(data) == "json"
    items, _ = watches(data)
    assert [(i["title"], i["video_id"], i["removed"]) for i in items] == [("Old video", "ooooooooooo", False),
                                                                      ("Deleted video", "ppppppppppp", True)]


# --------------------------------------------------------------------------- refusals and My Activity


@pytest.mark.parametrize(("data", "kwargs", "code"), [
    (SEARCH_JSON, {}, "not_watch_history"),  # another product's My Activity
    (YT_SEARCH_JSON, {}, "not_watch_history"),  # YouTube's search history
    (b'{"locations": []}', {}, "not_watch_history"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", {}, "not_watch_history"),
    (b"<html><body><p>Hello</p></body></html>", {}, "not_watch_history"),
    (EN_PAGE, {"fmt": "json"}, "json"),
    (EN_JSON, {"fmt": "html"}, "html"),
    (EN_JSON[:200], {}, "json"),  # cut short
])
def test_wrong_files_are_refused(data, kwargs, code):
    with pytest.raises(FormatError) as caught:
        watches(data, **kwargs)
    assert caught.value.code == code


def test_a_json_with_only_non_watches_is_refused_after_the_leading_limit():
    items = [{"header": "YouTube", "title": f"Searched for {n}", "titleUrl": f"https://www.youtube.com/results?search_query={n}",
              "time": "2024-01-01T00:00:00Z"} for n in range(LEADING_LIMIT + 5)]
    items.append(jwatch("ddddddddddd", "Watched late", "2024-01-02T00:00:00Z"))
    with pytest.raises(FormatError) as caught:
        watches(json.dumps(items).encode())
    assert caught.value.code == "not_watch_history"


def test_takeout_page_without_watches_is_read_as_my_activity():
    """YouTube's `search-history.html` (or another product's page): its head is CSS only, so it is claimed as a watch
    history; its entries then make it My Activity instead of failing the Takeout part."""
    data = page(cell(f"Searched for{NBSP}{a('https://www.youtube.com/results?search_query=lofi', 'lofi')}<br>"
                     "Jan 1, 2024, 9:00:00 AM JST<br>"))
    items, summary = watches(data)
    assert [i["kind"] for i in items] == ["my_activity"] and items[0]["title"] == "Searched for lofi"
    assert "read_as_my_activity" in summary.warnings


def test_my_activity_json():
    items, summary = activities(SEARCH_JSON)
    assert items[0] == {
        "kind": "my_activity", "schema_version": 1, "time": "2019-05-30T15:37:14.947+00:00", "raw_time": None,
        "header": "Search", "title": "Searched for kashiwa events", "title_url": "https://www.google.com/search?q=kashiwa",
        "products": ["Search"], "subtitles": [], "details": [], "format": "json",
    }  # locationInfos (the resident's home) is not kept
    assert summary.counts == {"my_activity": 2}
    items, summary = activities(EN_JSON)  # the watch history is My Activity too
    assert len(items) == 5 and summary.skipped == {"my_activity": 3} and items[0]["subtitles"] == [{"name": "Chan", "url": "https://www.youtube.com/channel/UCdQw4w9WgXcQ"}]


def test_my_activity_html_and_bad_entries():
    items, summary = activities(EN_PAGE)
    assert len(items) == 6 and summary.skipped == {"my_activity": 1}
    assert items[1]["details"] == ["From Google Ads"] and items[0]["products"] == ["YouTube"]
    assert items[0]["title"] == "Watched Rick & Roll '87" and items[0]["header"] == "YouTube"


@pytest.mark.parametrize(("data", "code"), [
    (b'{"locations": []}', "not_my_activity"),
    (b"[1, 2, 3]", "not_my_activity"),
    (b"[{\"header\": \"Search\"", "json"),
    (b"GIF89a", "not_my_activity"),
])
def test_my_activity_refusals(data, code):
    with pytest.raises(FormatError) as caught:
        activities(data)
    assert caught.value.code == code


# --------------------------------------------------------------------------- sniffing


def padded(data: bytes) -> bytes:
    """A real page: ~140 KB of inline CSS before the first entry, so a 64 KiB head shows no entry."""
    return data.replace(b"</style>", b".mdl-x{}" * 20000 + b"</style>", 1)


@pytest.mark.parametrize(("data", "watch", "activity"), [
    (EN_JSON, "json", False),
    (b"\xef\xbb\xbf" + JA_JSON, "json", False),
    (DE_JSON, "json", False),
    (SEARCH_JSON, None, True),
    (YT_SEARCH_JSON, None, True),
    (EN_PAGE, "html", False),
    (JA_PAGE, "html", False),
    (padded(EN_PAGE), "html", False),
    (padded(page(cell("Searched for x<br>Jan 1, 2024, 9:00:00 AM JST", header="Search", products="Search"))), "html", False),
    (page(cell("Searched for x<br>Jan 1, 2024, 9:00:00 AM JST", header="Search", products="Search")), None, True),
    (b'{"locations": []}', None, False),
    (b"<HealthData locale=\"ja_JP\">", None, False),
    (b"BEGIN:VCALENDAR\r\n", None, False),
    (b"Channel Id,Channel Url,Channel Title\n", None, False),
])
def test_sniffers_are_exclusive(data, watch, activity):
    head = data[:64 * 1024]
    assert sniff_watch_history(head) == watch
    assert sniff_my_activity(head) is activity


# --------------------------------------------------------------------------- schemas, streaming


def test_yielded_dicts_validate():
    validators = {"watch_event": schema("watch_event"), "my_activity": schema("my_activity")}
    seen = set()
    for data in (EN_PAGE, JA_PAGE, DE_PAGE, EN_JSON, JA_JSON, DE_JSON):
        for item in watches(data)[0] + activities(data)[0]:
            validators[item["kind"]].validate(item)
            seen.add(item["kind"])
    assert seen == {"watch_event", "my_activity"}
    assert not validators["watch_event"].is_valid({"kind": "watch_event", "schema_version": 1, "time": "Feb 4, 2022"})


NO_WRAPPERS = ("<head><title>My Activity History</title><style>/* material-design-lite */</style></head><body>" + "".join(
    '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">'
    f'{watch_en(f"{i:011d}", f"V{i}", "C", "Feb 4, 2022, 4:20:56 PM EET")}</div>'
    '<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">'
    f'<b>Products:</b><br/>{EMSP}YouTube<br/></div>'
    for i in range(30)) + "</body>").encode()


@pytest.mark.parametrize("data", [EN_PAGE, JA_PAGE, NO_WRAPPERS, padded(DE_PAGE)], ids=["en", "ja", "no-wrappers", "padded-de"])
def test_segmented_parse_gives_the_same_items(monkeypatch, data):
    """The page is fed to a fresh parser every SEGMENT_BYTES, cut before an entry: with tiny segments and reads
    (a cut in nearly every entry), the items are the same."""
    whole = watches(data)[0]
    monkeypatch.setattr(html_pages, "SEGMENT_BYTES", 200)
    monkeypatch.setattr(html_pages, "_CHUNK", 97)
    assert watches(data)[0] == whole


class Generated:
    """A page of `n` entries made while it is read, never held whole (by the test or by the parser: `read(-1)` fails)."""

    def __init__(self, n: int) -> None:
        self._parts = itertools.chain([CSS.encode()], (self._cell(i) for i in range(n)), [END.encode()])
        self._buffer = b""
        self.largest_read = 0

    TEMPLATE = cell(watch_en("@@@@@@@@@@@", "Video @@@@@@@@@@@ " + "x" * 200, "Channel @@@@@@@@@@@",
                             "Feb 4, 2022, 4:20:56 PM EET")).encode()

    @classmethod
    def _cell(cls, i: int) -> bytes:
        return cls.TEMPLATE.replace(b"@@@@@@@@@@@", b"%011d" % i)

    def read(self, size: int = -1) -> bytes:
        assert size is not None and 0 < size <= 1024 * 1024, f"read({size})"
        self.largest_read = max(self.largest_read, size)
        while len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def test_html_memory_stays_flat():
    """40,000 entries (≈ 60 MB of HTML): the parser's tree is cleared entry by entry, so the peak RSS grows far less
    than the document."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stream = Generated(40_000)
    summary = ImportSummary()
    count = sum(1 for _ in iter_watch_history(stream, summary))  # type: ignore[arg-type]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert count == summary.counts["watch_event"] == 40_000
    assert grown_mb < 30, f"peak RSS grew by {grown_mb:.0f} MB"


# --------------------------------------------------------------------------- the shared samples


def sample(relative: str) -> bytes:
    path = SAMPLES / relative
    if not path.is_file():
        pytest.skip(f"the shared sample {relative} is not here ({SAMPLES})")
    return path.read_bytes()


BODY_CELL = re.compile(rb'class="content-cell[^"]*mdl-typography--body-1(?![^"]*text-right)[^"]*"')


def test_sample_exportube_json():
    data = sample("google-youtube-history/exportube_watch-history.json")
    expected = sum(1 for i in json.loads(data) if i["title"].startswith("Watched"))  # independent: the sentences
    assert sniff_watch_history(data[:65536]) == "json"
    items, summary = watches(data)
    assert summary.counts["watch_event"] == expected == 4
    assert sum(i["removed"] for i in items) == 1 and items[0]["video_id"] == items[1]["video_id"]  # a rewatch is counted again


def test_sample_exportube_html():
    data = sample("google-youtube-history/exportube_watch-history.html")
    items, summary = watches(data)
    assert summary.counts["watch_event"] == len(BODY_CELL.findall(data)) == 2
    assert items[1]["video_url"] == "https://youtu.be/abcdefghijk"


def test_sample_niimpy_html():
    """The real 2024 layout re-saved: no `<html>`, no wrappers, ~140 KB CSS first, U+202F before AM, 10-character ids."""
    data = sample("google-youtube-history/niimpy_watch-history.html")
    assert BODY_CELL.search(data[:65536]) is None  # the head is all CSS
    assert sniff_watch_history(data[:65536]) == "html" and not sniff_my_activity(data[:65536])
    items, summary = watches(data)
    assert summary.counts["watch_event"] == data.count("Watched\u00a0<a".encode()) == len(BODY_CELL.findall(data)) == 4
    assert summary.as_dict()["date_range"] == {"first": "2024-02-13T08:35:03+02:00", "last": "2024-02-13T08:36:49+02:00"}
    assert not summary.warnings and not summary.skipped


@pytest.mark.parametrize("name", ["Google_Play_Books_My Activity.json", "Maps_My Activity.json", "Search_My Activity.json"])
def test_sample_dogsheep_my_activity(name):
    data = sample(f"google-my-activity/dogsheep/{name}")
    assert sniff_watch_history(data) is None and sniff_my_activity(data)
    items, summary = activities(data)
    assert summary.counts["my_activity"] == len(json.loads(data)) == len(items)


def test_sample_purarue_legacy_html():
    """Legacy 2017–2018 page: no zone in its dates, and its first `outer-cell` closes one `div` too many."""
    data = sample("google-my-activity/purarue/MyActivity.html")
    assert sniff_watch_history(data) is None and sniff_my_activity(data)
    items, summary = activities(data)
    assert summary.counts["my_activity"] == len(BODY_CELL.findall(data)) == 3
    assert [i["time"] for i in items] == ["2018-01-31T22:54:50", "2017-02-08T00:32:39", "2017-02-08T00:32:36"]
    assert items[2]["title"] == "Searched for adobe creative cloud" and summary.warnings["time_without_zone"]["count"] == 3


def test_other_shared_samples_are_not_claimed():
    """Location History, Fit, Calendar, Blogger and Apple Health samples: none is taken for activity or a profile."""
    from app.imports.google.profile import sniff_profile

    if not SAMPLES.is_dir():
        pytest.skip(f"the shared samples are not here ({SAMPLES})")
    others = [p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md"
              and p.relative_to(SAMPLES).parts[0] not in ("google-youtube-history", "google-my-activity")]
    assert others
    for path in others:
        head = path.read_bytes()[:64 * 1024]
        assert (sniff_watch_history(head), sniff_my_activity(head), sniff_profile(head)) == (None, False, None), path
