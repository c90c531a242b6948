"""What an entry is (`_category`: a watch, a search, another YouTube activity, another product) and the interchange
items made from it (`watch_event`, `my_activity`), counted in the summary or skipped with a warning."""

from __future__ import annotations

from typing import Any

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.times import UnknownZone, parse_html_time, parse_json_time
from app.imports.google.activity.wording import _OTHER_FORMS, _SEARCH_URL, _video_id, _watch_form
from app.imports.summary import ImportSummary

SCHEMA_VERSION = 1


def _category(entry: _Entry) -> str:
    """"watch", "search", "other" (YouTube, not a watch) or "foreign" (another product)."""
    if not entry.is_youtube():
        return "foreign"
    if entry.legacy is not None:
        return "watch"
    if entry.url and _SEARCH_URL.search(entry.url):
        return "search"
    video = _video_id(entry.url)
    if _watch_form(entry.title) is not None:
        return "watch" if video or not entry.url else "other"  # "Watched" + a post or a story link is not a video
    if _OTHER_FORMS.search(entry.verb if entry.fmt == "html" and entry.url else entry.title):
        return "other"
    if video:  # wording not recognised (another language, or none at all), but a video link
        return "watch"
    return "other"


def _watch_event(entry: _Entry, summary: ImportSummary) -> dict[str, Any]:
    """The watch_event of an entry `_category` called a watch; ValueError when its time is unreadable."""
    time = _entry_time(entry, summary)
    form = _watch_form(entry.title) if entry.legacy is None else None
    if form is None and entry.legacy is None:
        summary.warn("wording_not_recognised",
                     "entries whose wording was not recognised were read as watches because they link to a video")
    elif form is not None and summary.locale is None:
        summary.locale = form[0]
    video_id = _video_id(entry.url)
    video_url = entry.url if video_id else None
    ad = entry.is_ad()
    if entry.legacy is not None:
        title = entry.title or None
        removed = video_url is None or title in ("Deleted video", "Private video")
    elif video_url is None:
        title, removed = None, not ad  # "Watched a video that has been removed"; an ad on the home page has no link
    else:
        # HTML: the link's text is the exact title; JSON: the sentence without its verb.
        title = form[1] if form else entry.title
        if entry.fmt == "html" and entry.link_text:
            title = entry.link_text
        removed = False
        if title and title.strip() in (entry.url, video_url):
            title = None  # the title was unavailable: Takeout wrote the URL instead
    channel = entry.subtitles[0] if entry.subtitles else {"name": None, "url": None}
    return {
        "kind": "watch_event",
        "schema_version": SCHEMA_VERSION,
        "time": time,
        "raw_time": entry.time if entry.fmt == "html" else None,
        "title": title or None,
        "video_url": video_url,
        "video_id": video_id,
        "channel_name": channel["name"] or None,
        "channel_url": channel["url"] or None,
        "product": "youtube_music" if entry.is_music() else "youtube",
        "ad": ad,
        "removed": removed,
        "format": entry.fmt,
    }


def _entry_time(entry: _Entry, summary: ImportSummary) -> str:
    if entry.fmt == "json":
        return parse_json_time(entry.time)
    if not entry.time:
        raise ValueError("no date")
    try:
        iso = parse_html_time(entry.time)
    except UnknownZone as unknown:
        summary.warn("time_zone_unknown", f"times in a zone not known ({unknown.zone}) were kept without an offset")
        return unknown.naive
    if len(iso) == 19:
        summary.warn("time_without_zone", "times written without a zone (pages before 2018) were kept without an offset")
    return iso


def _my_activity(entry: _Entry, summary: ImportSummary) -> dict[str, Any]:
    if not entry.title:
        raise ValueError("no title")
    return {
        "kind": "my_activity",
        "schema_version": SCHEMA_VERSION,
        "time": _entry_time(entry, summary),
        "raw_time": entry.time if entry.fmt == "html" else None,
        "header": entry.header,
        "title": entry.title,
        "title_url": entry.url,
        "products": entry.products,
        "subtitles": entry.subtitles,
        "details": entry.details,
        "format": entry.fmt,
    }


def _counted(item: dict[str, Any], summary: ImportSummary) -> dict[str, Any]:
    summary.counts[item["kind"]] += 1
    time = item["time"]
    if len(time) > 19:
        # The range is kept to the second: ISO strings of one offset compare in time order only without fractions.
        moment = time[:19] + time[19:].lstrip(".0123456789")
        summary.see_range(moment, moment)
    return item


def _bad(kind: str, summary: ImportSummary, exc: Exception | str) -> None:
    summary.skipped[kind] += 1
    summary.warn(f"bad_{kind}", f"{kind} entries skipped for an unreadable value ({exc})")
