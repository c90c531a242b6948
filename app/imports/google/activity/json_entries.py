"""A JSON array item as an entry: the My Activity record (`title`, `titleUrl`, `subtitles`, `time`, `products`,
`details`), or before 2017 the history playlist in the YouTube Data API's shape (`snippet`)."""

from __future__ import annotations

from typing import Any

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.wording import _clean


def _json_entry(item: Any) -> _Entry | None:
    if not isinstance(item, dict):
        return None
    entry = _Entry("json")
    snippet = item.get("snippet")
    resource = snippet.get("resourceId") if isinstance(snippet, dict) and isinstance(snippet.get("resourceId"), dict) else {}
    details = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
    if isinstance(snippet, dict) and "title" not in item and (resource.get("kind") == "youtube#video" or details.get("videoId")):
        # Before 2017: the history playlist in the Data API's shape.
        entry.legacy = snippet
        entry.title = _clean(snippet.get("title")) if isinstance(snippet.get("title"), str) else ""
        entry.time = snippet.get("publishedAt")
        video = resource.get("videoId") or details.get("videoId")
        entry.url = f"https://www.youtube.com/watch?v={video}" if isinstance(video, str) and video else None
        owner = snippet.get("videoOwnerChannelTitle")
        if isinstance(owner, str) and owner:
            channel = snippet.get("videoOwnerChannelId")
            url = f"https://www.youtube.com/channel/{channel}" if isinstance(channel, str) and channel else None
            entry.subtitles = [{"name": owner, "url": url}]
        return entry
    title = item.get("title")
    entry.title = _clean(title) if isinstance(title, str) else ""
    header = item.get("header")
    entry.header = header if isinstance(header, str) else None
    url = item.get("titleUrl")
    entry.url = url if isinstance(url, str) and url else None
    entry.time = item.get("time")
    products = item.get("products")
    entry.products = [p for p in products if isinstance(p, str)] if isinstance(products, list) else []
    for value in _objects(item.get("subtitles")):
        name, link = value.get("name"), value.get("url")
        entry.subtitles.append({"name": name if isinstance(name, str) else None, "url": link if isinstance(link, str) else None})
    entry.details = [d["name"] for d in _objects(item.get("details")) if isinstance(d.get("name"), str)]
    return entry


def _objects(values: Any) -> list[dict[str, Any]]:
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []
