"""The words of an entry: whitespace cleaned, video links, the watch sentence in English, Japanese and German, the
other YouTube activities that are never a watch, and the `details` of an ad."""

from __future__ import annotations

import re


def _clean(text: str | None) -> str:
    """Collapse whitespace, including the no-break (U+00A0), em (U+2003) and narrow no-break (U+202F) spaces Takeout
    writes around verbs, products and AM/PM (`str.split` splits on all of them)."""
    if not text:
        return ""
    if "\u200b" in text:
        text = text.replace("\u200b", "")
    return " ".join(text.split())


# Video ids are 11 characters today; any length is taken (anonymised samples use `video_id_1`).
_VIDEO_ID = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/embed/|/live/)([A-Za-z0-9_-]{1,64})")
_SEARCH_URL = re.compile(r"youtube\.com/results\?|[?&]search_query=")


def _video_id(url: str | None) -> str | None:
    if not url or "youtu" not in url:
        return None
    match = _VIDEO_ID.search(url)
    return match.group(1) if match else None


# The watch sentence in the languages read: (language, pattern whose group 1 is the video title).
# JSON titles are "Watched X" / "X を視聴しました" / "„X“ angesehen"; an HTML entry is the same sentence around a link.
_WATCH_FORMS = (
    ("en", re.compile(r"^Watched(?:\s+(.*))?$", re.S)),
    ("ja", re.compile(r"^(.*?)\s*を視聴しました$", re.S)),
    ("de", re.compile(r"^(.*?)\s*angesehen$", re.S)),
)
# Other YouTube activities found in a watch history or YouTube's My Activity (English, and the search sentence in
# Japanese and German): never read as a watch even with a video link.
_OTHER_FORMS = re.compile(
    r"^(?:Liked|Disliked|Searched for|Commented on|Subscribed to|Shared|Saved|Viewed|Visited|Used|Answered|Voted on|"
    r"Added|Replied|Reported|Dismissed|Removed)\b|(?:を検索しました|gesucht)$"
)
_QUOTES = "„“”\"「」『』"
# `details` of an ad: "From Google Ads", "Google 広告から", "Von Google Ads" …
_AD = re.compile(r"Google[\s\u00a0-]*(?:Ads|AdWords|広告|Anzeigen|Werbung)", re.I)
_YOUTUBE_HEADERS = frozenset({"YouTube", "YouTube Music"})


def _watch_form(title: str) -> tuple[str, str | None] | None:
    """(language, the title inside the watch sentence or None) when `title` is a watch sentence."""
    for language, pattern in _WATCH_FORMS:
        match = pattern.match(title)
        if match:
            inner = _clean(match.group(1))
            if len(inner) >= 2 and inner[0] in _QUOTES and inner[-1] in _QUOTES:
                inner = inner[1:-1].strip()
            return language, inner or None
    return None
