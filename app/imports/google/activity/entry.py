"""One My Activity entry as read from either format (`_Entry`): what the sniffers, the readers and the items use."""

from __future__ import annotations

from typing import Any

from app.imports.google.activity.wording import _AD, _YOUTUBE_HEADERS


class _Entry:
    """One My Activity entry, format aside. `title` is the whole sentence ("Watched X"); `link_text` the text of the
    title link (HTML only: the exact video title); `time` the raw JSON or HTML time."""

    __slots__ = ("header", "title", "verb", "link_text", "url", "subtitles", "time", "products", "details", "fmt", "legacy")

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.header: str | None = None
        self.title = ""
        self.verb: str | None = None  # HTML: the words around the title link ("Watched", "を視聴しました")
        self.link_text: str | None = None
        self.url: str | None = None
        self.subtitles: list[dict[str, str | None]] = []
        self.time: Any = None
        self.products: list[str] = []
        self.details: list[str] = []
        self.legacy: dict[str, Any] | None = None  # the pre-2017 API shape (`snippet`)

    def is_youtube(self) -> bool:
        if self.legacy is not None:
            return True
        if self.header in _YOUTUBE_HEADERS or any(p in _YOUTUBE_HEADERS for p in self.products):
            return True
        return self.header is None and not self.products and "youtu" in (self.url or "")

    def is_music(self) -> bool:
        return (self.header == "YouTube Music" or "YouTube Music" in self.products
                or (self.url or "").startswith(("https://music.youtube.com", "http://music.youtube.com")))

    def is_ad(self) -> bool:
        return any(_AD.search(d) for d in self.details)
