"""Google's read-API resources (docs/switching.md, "Google (source): read API") → interchange items valid against
app/imports/schemas, the same items a Takeout archive of the same account gives where the two overlap.

`to_interchange_all(resource)` dispatches on Google's `kind` (`to_interchange`: its first item, for a caller
that takes one item per resource):

| resource kind | interchange kind | notes |
| --- | --- | --- |
| `blogger#post` (`blogger#page`) | `post` | `type` "post" ("page"); status LIVE … (SOFT_)TRASHED → live … trashed |
| `blogger#comment` | `comment` | post and parent comment linked by their Atom ids |
| `blogger#user` | `profile` | `locale` `{"language", "country"}` → `ja-JP`; the user's `id`, `url` … listed in `not_kept` |
| `youtube#subscription` | `interest` | the channel's id and URL |
| `youtube#watchHistoryEntry` | `watch_event` | read as a Takeout JSON watch-history entry; one that is not a watch is refused |
| `calendar#event` | `calendar_event` | `google_calendar.calendar_event` |
| `maps#timelineObject` | `place_visit` (+1 per `childVisits[]` entry) or `activity_segment` | read as a Takeout semantic entry |

Source ids (`app.switching.sources.ids`): posts and comments get Blogger's Atom id
`tag:blogger.com,1999:blog-<blog id>.post-<id>` in their `id` (a comment's Atom id uses `.post-` too, as Blogger
writes it), so a post read from the API and from Takeout has one id; the `interest` keeps the channel id in `id`;
the `calendar_event` its `uid`. Kinds whose schema has no id field (`watch_event`, `place_visit`,
`activity_segment`, `profile`) are delivered under an id hashed from the item's identity, so the resource's own
`id` (e.g. a timeline object's) is not needed and not kept.

A resource that cannot be read raises an `AdapterError` (`code`, `resource_kind`): `UnsupportedResource` for a kind
not listed (`blogger#blog`, anything without `kind`), `BadResource` for a listed kind without what the item needs.
The caller counts both as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from app.imports.google.activity.items import _category, _watch_event
from app.imports.google.activity.json_entries import _json_entry
from app.imports.google.blogger import _STATUSES
from app.imports.google.blogger import SCHEMA_VERSION as BLOGGER_VERSION
from app.imports.google.location.semantic import _activity_segment, _place_visit
from app.imports.google.profile import SCHEMA_VERSION as PROFILE_VERSION
from app.imports.summary import ImportSummary
from app.switching.sources.google_calendar import BadEvent, calendar_event
from app.switching.sources.ids import delivered_id

# Google's kind → the interchange kinds its items can be (the intake's `counts` are per Google kind).
RESOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "blogger#post": ("post",),
    "blogger#page": ("post",),
    "blogger#comment": ("comment",),
    "blogger#user": ("profile",),
    "youtube#subscription": ("interest",),
    "youtube#watchHistoryEntry": ("watch_event",),
    "calendar#event": ("calendar_event",),
    "maps#timelineObject": ("place_visit", "activity_segment"),
}
ATOM_PREFIX = "tag:blogger.com,1999:blog-"


class AdapterError(ValueError):
    """A resource that gives no interchange item; `code` says why, `resource_kind` is Google's kind (or None)."""

    code = "adapter_error"

    def __init__(self, resource_kind: Any, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.resource_kind = resource_kind if isinstance(resource_kind, str) else None
        if code is not None:
            self.code = code


class UnsupportedResource(AdapterError):
    code = "unsupported_kind"


class BadResource(AdapterError):
    """Codes: "no_id", "no_time", "not_a_watch", "empty" (a timeline object with neither a visit nor a segment)."""

    code = "bad_resource"


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _rfc3339(value: Any) -> str | None:
    """An RFC 3339 time with its offset and as precise as written (`Z` → `+00:00`); None without an offset."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    spec = "seconds" if not moment.microsecond else "milliseconds" if not moment.microsecond % 1000 else "microseconds"
    return moment.isoformat(timespec=spec)


def atom_id(blog_id: str | None, entry_id: str | None) -> str | None:
    """Blogger's Atom id of a post, page or comment (`tag:blogger.com,1999:blog-<blog>.post-<id>`), as Takeout
    and the legacy backup write it; an id that is one already is kept; without a blog id, the id as it is."""
    if entry_id is None or entry_id.startswith(ATOM_PREFIX):
        return entry_id
    return f"{ATOM_PREFIX}{blog_id}.post-{entry_id}" if blog_id else entry_id


def _status(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    upper = text.upper()
    if upper == "TRASHED":
        return "trashed"
    known = _STATUSES.get(upper)
    lower = text.lower()
    return known or (lower if lower.replace("_", "").isalpha() and lower.isascii() else None)


def _location(value: Any) -> dict[str, Any] | None:
    place = _object(value)
    name = _text(place.get("name"))
    latitude, longitude = place.get("lat"), place.get("lng")
    latitude = float(latitude) if isinstance(latitude, int | float) and not isinstance(latitude, bool) else None
    longitude = float(longitude) if isinstance(longitude, int | float) and not isinstance(longitude, bool) else None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        latitude = longitude = None  # NaN fails the range check too
    if name is None and latitude is None:
        return None
    return {"name": name, "latitude": latitude, "longitude": longitude}


def _post(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    blog_id = _text(_object(resource.get("blog")).get("id"))
    post_id = atom_id(blog_id, _text(resource.get("id")))
    if post_id is None:
        raise BadResource(resource.get("kind"), "a post without an id", "no_id")
    url = _text(resource.get("url"))
    labels = resource.get("labels")
    return [{
        "kind": "post",
        "schema_version": BLOGGER_VERSION,
        "id": post_id,
        "blog_id": blog_id,
        "blog_title": None,  # the post resource does not name its blog
        "type": "page" if resource.get("kind") == "blogger#page" else "post",
        "status": _status(resource.get("status")),
        "title": _text(resource.get("title")),
        "content_html": resource.get("content") if isinstance(resource.get("content"), str) and resource["content"].strip()
        else None,
        "published": _rfc3339(resource.get("published")),
        "updated": _rfc3339(resource.get("updated")),
        "created": None,  # Takeout's blogger:created has no API counterpart
        "url": url,
        "path": (urlsplit(url).path or None) if url else None,
        "labels": list(dict.fromkeys(t for t in (_text(label) for label in labels) if t)) if isinstance(labels, list) else [],
        "author": _text(_object(resource.get("author")).get("displayName")),
        "location": _location(resource.get("location")),
    }]


def _comment(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    blog_id = _text(_object(resource.get("blog")).get("id"))
    comment_id = atom_id(blog_id, _text(resource.get("id")))
    if comment_id is None:
        raise BadResource(resource.get("kind"), "a comment without an id", "no_id")
    content = resource.get("content")
    return [{
        "kind": "comment",
        "schema_version": BLOGGER_VERSION,
        "id": comment_id,
        "blog_id": blog_id,
        "post_id": atom_id(blog_id, _text(_object(resource.get("post")).get("id"))),
        "in_reply_to": atom_id(blog_id, _text(_object(resource.get("inReplyTo")).get("id"))),
        "status": _status(resource.get("status")),
        "content_html": content if isinstance(content, str) and content.strip() else None,
        "published": _rfc3339(resource.get("published")),
        "updated": _rfc3339(resource.get("updated")),
        "author": _text(_object(resource.get("author")).get("displayName")),
        "url": None,  # the API gives a comment no page URL
    }]


_USER_KEYS = frozenset(("kind", "displayName", "locale"))


def _user(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    locale = _object(resource.get("locale"))
    language, country = _text(locale.get("language")), _text(locale.get("country"))
    return [{
        "kind": "profile",
        "schema_version": PROFILE_VERSION,
        "display_name": _text(resource.get("displayName")),
        "email": None,  # blogger#user has none; the userinfo endpoint's is not a Blogger resource
        "locale": f"{language}-{country}" if language and country else language,
        "source": "google_profile",
        "not_kept": sorted(key for key in resource if key not in _USER_KEYS),
    }]


def _subscription(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    snippet = _object(resource.get("snippet"))
    channel = _text(_object(snippet.get("resourceId")).get("channelId"))
    name = _text(snippet.get("title")) or channel
    if name is None:
        raise BadResource(resource.get("kind"), "a subscription with neither a channel nor a title", "no_id")
    return [{
        "kind": "interest",
        "schema_version": PROFILE_VERSION,
        "name": name,
        "source": "youtube_subscription",
        "id": channel,
        "url": f"https://www.youtube.com/channel/{channel}" if channel else None,
    }]


def _watch(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    entry = _json_entry(dict(resource))
    if entry is None or _category(entry) != "watch":
        raise BadResource(resource.get("kind"), "a history entry that is not a watch", "not_a_watch")
    try:
        return [_watch_event(entry, ImportSummary())]
    except ValueError as exc:
        raise BadResource(resource.get("kind"), f"an unreadable time ({exc})", "no_time") from exc


def _timeline(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    summary = ImportSummary()  # the reader's bookkeeping; what it skips shows as an empty result
    items: list[dict[str, Any]] = []
    visit, segment = resource.get("placeVisit"), resource.get("activitySegment")
    if isinstance(visit, dict):
        items.extend(_place_visit(visit, summary, 0, None))
    if isinstance(segment, dict):
        item = _activity_segment(segment, summary)
        if item is not None:
            items.append(item)
    if not items:
        code = "no_time" if isinstance(visit, dict) or isinstance(segment, dict) else "empty"
        raise BadResource(resource.get("kind"), "a timeline object with no readable visit or segment", code)
    return items


_ADAPTERS: dict[str, Callable[[Mapping[str, Any]], list[dict[str, Any]]]] = {
    "blogger#post": _post,
    "blogger#page": _post,
    "blogger#comment": _comment,
    "blogger#user": _user,
    "youtube#subscription": _subscription,
    "youtube#watchHistoryEntry": _watch,
    "maps#timelineObject": _timeline,
}


def to_interchange_all(resource: Mapping[str, Any], *, calendar: str | None = None,
                       calendar_timezone: str | None = None) -> list[dict[str, Any]]:
    """All the interchange items of one read-API resource: one, or for a timeline object whose visit has child
    visits, the visit and then each child. `calendar` / `calendar_timezone` describe the calendar a
    `calendar#event` came from (its list's `timeZone`). Raises `UnsupportedResource` or `BadResource` (both
    `AdapterError`)."""
    kind = resource.get("kind") if isinstance(resource, Mapping) else None
    if kind == "calendar#event":
        try:
            return [calendar_event(resource, calendar=calendar, calendar_timezone=calendar_timezone)]
        except BadEvent as exc:
            raise BadResource(kind, str(exc), "no_time") from exc
    adapter = _ADAPTERS.get(kind) if isinstance(kind, str) else None
    if adapter is None:
        raise UnsupportedResource(kind, f"no interchange item for a {kind!r} resource")
    return adapter(resource)


def to_interchange(resource: Mapping[str, Any], *, calendar: str | None = None,
                   calendar_timezone: str | None = None) -> dict[str, Any]:
    """The interchange item of one read-API resource: `to_interchange_all`'s first. Only a timeline object with
    child visits has more (its children, left out here): a caller that must count every visit uses
    `to_interchange_all`."""
    return to_interchange_all(resource, calendar=calendar, calendar_timezone=calendar_timezone)[0]


def item_id(item: Mapping[str, Any]) -> str:
    """The delivered id `<kind>:<source id>` of an interchange item (`ids.delivered_id`), also for one a format
    does not take."""
    return delivered_id(item)
