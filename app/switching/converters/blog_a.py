"""`blog-a/1`: a blog service's importer (docs/switching.md, "Formats").

Interchange kind → blog-a type: fields (from); lost, i.e. interchange fields not carried:

- `post` → `post`: `title`, `body_html` (content_html), `status`, `published_at` (published), `updated_at`
  (updated), `tags` (labels); lost `author`, `blog_id`, `blog_title`, `created`, `location`, `path`, `type` (a page
  becomes a post), `url`;
- `comment` → `comment`: `post_id`, `body_html` (content_html), `author_name` (author), `published_at`
  (published), `in_reply_to`; lost `blog_id`, `status`, `updated`, `url`;
- `profile` → `profile`: `display_name`, `locale`; lost `email`, `source`;
- `interest` → `interest`: `topic` (name), `source`; lost `url`.

Every other kind is not taken. Post status: live → published, draft → draft, scheduled → scheduled, trashed →
trashed; anything else (no status, Blogger's rarer ones) → draft, so nothing is published that was not. A
comment's `post_id` and `in_reply_to` are the delivered ids of the post and comment it points to
(`post:<post's Atom id>`, `comment:<comment's Atom id>`), so the destination links items of one transfer; null
when the interchange item names none. Times are the interchange's (ISO 8601 with offset), never rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.switching.converters._table import INTEREST, PROFILE, Format, KindMap, Table, linked, text, texts

FORMAT = Format("blog-a", 1)

STATUSES = {"live": "published", "draft": "draft", "scheduled": "scheduled", "trashed": "trashed"}
UNKNOWN_STATUS = "draft"


def _post(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": text(item.get("title")),
        "body_html": text(item.get("content_html")),
        "status": STATUSES.get(item.get("status"), UNKNOWN_STATUS),  # type: ignore[arg-type]
        "published_at": text(item.get("published")),
        "updated_at": text(item.get("updated")),
        "tags": texts(item.get("labels")),
    }


def _comment(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "post_id": linked("post", item.get("post_id")),
        "body_html": text(item.get("content_html")),
        "author_name": text(item.get("author")),
        "published_at": text(item.get("published")),
        "in_reply_to": linked("comment", item.get("in_reply_to")),
    }


TABLE = Table(FORMAT, {
    "post": KindMap("post", frozenset(("id", "title", "content_html", "status", "published", "updated", "labels")), _post),
    "comment": KindMap("comment", frozenset(("id", "post_id", "content_html", "author", "published", "in_reply_to")),
                       _comment),
    "profile": PROFILE,
    "interest": INTEREST,
})


def takes(kind: str) -> bool:
    """Whether blog-a/1 takes items of this interchange kind."""
    return TABLE.takes(kind)


def lost_fields(kind: str) -> list[str]:
    """The interchange fields of `kind` blog-a/1 does not carry (all of them for a kind it does not take)."""
    return TABLE.lost_fields(kind)


def convert(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The blog-a/1 item of an interchange item (with its `kind`), or None when the format does not take it."""
    return TABLE.convert(item)
