"""Google Takeout activity: YouTube and YouTube Music watch history (JSON and HTML) and My Activity (JSON and HTML).

Both are the same record, Google's *My Activity* entry: `header` (the product: "YouTube", "YouTube Music", "Search",
"検索" …), `title` (a localized sentence: "Watched <video>", "<video> を視聴しました", "„<video>“ angesehen"),
`titleUrl`, `subtitles` (the channel), `time`, `products`, `details` ("From Google Ads", "Google 広告から"). Takeout
writes it as a JSON array (`watch-history.json`, `My Activity.json`) or, by default, as one HTML page of
`outer-cell` divs (`watch-history.html`, `MyActivity.html`) whose ~140 KB of inline CSS comes before the first entry.

Streaming, memory flat: JSON through `ijson.items(stream, "item")` (yajl2_c), HTML through lxml's incremental HTML
parser (`HTMLPullParser`, network off, never `huge_tree`), each entry's cells cleared and their earlier siblings
deleted once read. libxml2's HTML push parser keeps all the input it was fed until it is closed, so a page is fed to
a fresh parser every 4 MiB, cut just before an entry (`html_pages._html_divs`). A UTF-8 BOM is skipped. Nothing
reads a whole file into one string.

Telling watch history and My Activity apart (the watch history *is* My Activity for YouTube):
- An entry is a *watch* when its header or products say YouTube / YouTube Music and its sentence is a watch
  ("Watched …", "… を視聴しました", "… angesehen") with a video link or no link at all (a removed video, an ad on
  the home page); in another language, any YouTube entry with a video link whose wording is not a known other
  activity ("Liked", "Searched for", "… を検索しました" …), with the warning "wording_not_recognised".
- `sniff_watch_history(head)` says "json" when the complete entries in the first 64 KiB are all YouTube / YouTube
  Music entries, at least one is a watch and none is a search; "html" for the same in an HTML page, and also for a
  Takeout activity page whose head holds only its CSS (the real pages: the first entry starts after ~140 KB, so no
  head can tell their product). `My Activity/YouTube/` mixes searches in, so it is My Activity, unless its first
  64 KiB hold watches only (then its later searches are `skipped["not_a_watch"]`).
- `sniff_my_activity(head)` says True for any other My Activity array or page: the two sniffers never both claim a
  file.
- `iter_watch_history` decides on the entries themselves: a page whose first 100 entries hold no watch (YouTube's
  `search-history.html`, a `My Activity/<product>/MyActivity.html`) is read as My Activity (`my_activity` items,
  warning "read_as_my_activity") rather than refused, so a Takeout part in the default HTML format never fails on
  one of them. A JSON file is sniffable, so a JSON that is not a watch history is refused ("not_watch_history").
- The language of the watch sentences read ("en", "ja", "de") becomes `summary.locale` when none is set yet.

Counting units:
- `watch_event`: 1 per watch-history entry that is a watch, each rewatch again (Takeout writes one entry per view).
  An ad is a watch_event flagged `ad: true`; a removed or private video is a watch_event flagged `removed: true`,
  kept without a link. Other entries of a watch history ("Viewed a post", "Used Shorts creation tools", a search)
  are not counted: they are `skipped["not_a_watch"]`. A watch whose time cannot be read is `skipped["watch_event"]`
  (warning "bad_watch_event").
- `my_activity`: 1 per entry of a My Activity file (JSON array item or HTML `outer-cell`) with a readable time and
  a title, whatever its product (otherwise `skipped["my_activity"]`, warning "bad_my_activity"). YouTube watches
  read from `My Activity/YouTube/` are my_activity items, not watch_events: a file is read by one parser, so nothing
  is counted twice. `locationInfos` (where the resident was, often "From your places (Home)") and
  `activityControls` are not kept.

Times: the JSON's UTC times and the HTML's localized dates, which keep the offset of their zone abbreviation (see
`times`).

Modules: `streams` (a file's first bytes, the stream put back together), `wording` (cleaned text, video links, the
watch sentence and the other activities, ads), `times`, `entry` (one entry, format aside), `json_entries` and
`html_pages` (entries from each format), `file_entries` (a file's format and its entries), `items` (what an entry is;
the `watch_event` and `my_activity` items), `sniff`, `watch_history` and `my_activity` (the two readers).
"""

from __future__ import annotations

from app.imports.google.activity.file_entries import LEADING_LIMIT as LEADING_LIMIT
from app.imports.google.activity.file_entries import _first_line as _first_line
from app.imports.google.activity.html_pages import SEGMENT_BYTES as SEGMENT_BYTES
from app.imports.google.activity.items import SCHEMA_VERSION as SCHEMA_VERSION
from app.imports.google.activity.my_activity import iter_my_activity
from app.imports.google.activity.sniff import sniff_my_activity, sniff_watch_history
from app.imports.google.activity.streams import _BOM as _BOM
from app.imports.google.activity.streams import _WHITESPACE as _WHITESPACE
from app.imports.google.activity.streams import SNIFF_BYTES as SNIFF_BYTES
from app.imports.google.activity.streams import _open as _open
from app.imports.google.activity.times import ZONE_OFFSETS as ZONE_OFFSETS
from app.imports.google.activity.times import UnknownZone as UnknownZone
from app.imports.google.activity.times import parse_html_time
from app.imports.google.activity.times import parse_json_time as parse_json_time
from app.imports.google.activity.watch_history import iter_watch_history
from app.imports.summary import FormatError, ImportSummary

__all__ = [
    "FormatError",
    "ImportSummary",
    "iter_my_activity",
    "iter_watch_history",
    "parse_html_time",
    "sniff_my_activity",
    "sniff_watch_history",
]
