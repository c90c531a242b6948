"""Blogger exports → `post` and `comment` interchange dicts, streamed with a strict lxml `iterparse`.

Two layouts, both Atom feeds (`sniff_blogger` tells them apart by content; file names are localized):
- "legacy": the GData "Back up content" XML (`blog-MM-DD-YYYY.xml`, one line). An entry's kind is a category
  with scheme `http://schemas.google.com/g/2005#kind` and term `http://schemas.google.com/blogger/2008/kind#post`
  (`#page`, `#comment`, `#settings`, `#template`); labels are categories with scheme
  `http://www.blogger.com/atom/ns#`; a draft has `app:control/app:draft` = `yes` (app namespace
  `http://purl.org/atom/app#` in real exports, `http://www.w3.org/2007/app` accepted too); a comment names its
  post in `thr:in-reply-to@ref`, and a reply to a comment links that comment with `link@rel="related"`.
- "takeout": Takeout's `Blogger/Blogs/<blog title>/feed.atom` in the `http://schemas.google.com/blogger/2018`
  namespace: `blogger:type` POST|PAGE|COMMENT, `blogger:status` LIVE|DRAFT|SOFT_TRASHED (and SCHEDULED), a
  comment's post in `blogger:parent` and the comment it answers in `blogger:inReplyTo`, the path in
  `blogger:filename`, labels as `category@term`.

The parse is strict (`recover` and `huge_tree` off, entities, DTD loading and the network off) and streaming:
each entry is turned into a dict, then cleared and dropped, so memory stays flat whatever the blog's size. A
document with a DOCTYPE is refused ("entity"): Blogger never writes one, and entity declarations are how XML
bombs and external-entity reads start. Characters XML 1.0 forbids are removed while reading, with a warning.

Statuses: "live", "draft", "trashed" (SOFT_TRASHED), "scheduled", and for comments whatever else Blogger says,
in lower case ("pending", "spam", …). Content is HTML as Blogger stores it (Atom `type="text"` content is
escaped into HTML). Authors: the name only, never the e-mail address or profile URL (comment authors are
third parties; Blogger writes `noreply@blogger.com` for most anyway).

Counting units:
- `post`: one per post or page entry (`type` "post" or "page"), whatever its status: drafts, scheduled and
  trashed posts count. Legacy `#settings` and `#template` entries are not content: they are counted in
  `summary.skipped["settings"]` and `summary.skipped["template"]`, without a warning.
- `comment`: one per comment entry, whatever its status; replies to comments count like other comments.
An entry that cannot be read (no id, an unknown kind or type) is counted in `summary.skipped` under "post" or
"comment" when its kind is known, else under "entry", with a warning. The date range is that of `published`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from lxml import etree

from app.imports.apple_health.reader import SanitizingReader
from app.imports.strict_xml import strict_iterparse, xml_error
from app.imports.summary import FormatError, HealthImportError, ImportSummary

SCHEMA_VERSION = 1
LAYOUTS = ("legacy", "takeout")
SNIFF_BYTES = 64 * 1024

ATOM = "http://www.w3.org/2005/Atom"
BLOGGER_2018 = "http://schemas.google.com/blogger/2018"
THREAD = "http://purl.org/syndication/thread/1.0"
GEORSS = "http://www.georss.org/georss"
APP_NAMESPACES = ("http://purl.org/atom/app#", "http://www.w3.org/2007/app")
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
KIND_PREFIX = "http://schemas.google.com/blogger/2008/kind#"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"

_FEED = f"{{{ATOM}}}feed"
_ENTRY = f"{{{ATOM}}}entry"
_ID = f"{{{ATOM}}}id"
_TITLE = f"{{{ATOM}}}title"
_GENERATOR = f"{{{ATOM}}}generator"
_CATEGORY = f"{{{ATOM}}}category"
_LINK = f"{{{ATOM}}}link"
_B_TYPE = f"{{{BLOGGER_2018}}}type"
_B_STATUS = f"{{{BLOGGER_2018}}}status"

_SKIPPED_KINDS = frozenset({"settings", "template"})
_STATUSES = {"LIVE": "live", "DRAFT": "draft", "SOFT_TRASHED": "trashed", "SCHEDULED": "scheduled"}
_STATUS_TEXT = re.compile(r"[A-Za-z_]{1,40}")
_BLOG_ID = re.compile(r"\bblog-(\d+)")
_RELATED_COMMENT = re.compile(r"/comments/default/(\d+)/?$")
_BOM = b"\xef\xbb\xbf"
_FEED_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?feed[\s>/]")
_TAKEOUT_NS = re.compile(rb"xmlns(?::[\w.\-]+)?\s*=\s*[\"']http://schemas\.google\.com/blogger/2018/?[\"']")
_ATOM_NS = re.compile(rb"xmlns(?::[\w.\-]+)?\s*=\s*[\"']http://www\.w3\.org/2005/Atom[\"']")
_LEGACY_MARK = re.compile(rb"schemas\.google\.com/blogger/2008/kind#|tag:blogger\.com,1999:blog-\d+")


def sniff_blogger(head: bytes) -> str | None:
    """Return "legacy" or "takeout" when `head` (at most the first 64 KiB are read) starts a Blogger export, else None."""
    head = head[:SNIFF_BYTES]
    if not head.removeprefix(_BOM).lstrip().startswith(b"<") or not _FEED_TAG.search(head):
        return None
    if _TAKEOUT_NS.search(head):
        return "takeout"
    if _ATOM_NS.search(head) and _LEGACY_MARK.search(head):
        return "legacy"
    return None


class _BloggerReader(SanitizingReader):
    """The Apple Health reader's prolog scan and control-character removal, but a DOCTYPE is refused, not removed."""

    def _note_doctype(self, header: bytes, subset: bytes) -> None:
        what = "declares XML entities" if b"<!ENTITY" in subset else (
            "references an external DTD" if b"SYSTEM" in header or b"PUBLIC" in header else "has a DOCTYPE")
        raise FormatError("entity", f"the document {what}, which Blogger never writes: it is refused unread")


# --------------------------------------------------------------------------- values


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    text = el.text.strip()
    return text or None


def _child_text(entry: etree._Element, tag: str) -> str | None:
    return _text(entry.find(tag))


def _date(text: str | None, summary: ImportSummary) -> tuple[str | None, str | None]:
    """(ISO 8601 with offset as precise as written, the same to the second for the date range) of an RFC 3339 text."""
    if text is None:
        return None, None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        summary.warn("bad_date", "dates that are not RFC 3339 with an offset were left out")
        return None, None
    spec = "seconds" if not moment.microsecond else "milliseconds" if not moment.microsecond % 1000 else "microseconds"
    return moment.isoformat(timespec=spec), moment.isoformat(timespec="seconds")


def _content(entry: etree._Element) -> str | None:
    el = entry.find(f"{{{ATOM}}}content")
    if el is None:
        return None
    kind = (el.get("type") or "html").lower()
    if kind == "xhtml":
        inner = (el.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in el)
        return inner.strip() or None
    text = el.text or ""
    if not text.strip():
        return None
    # Atom says a missing type means text, but Blogger always writes type="html": a missing one is read as HTML.
    return html.escape(text) if kind == "text" else text


def _author(entry: etree._Element) -> str | None:
    author = entry.find(f"{{{ATOM}}}author")
    return _child_text(author, f"{{{ATOM}}}name") if author is not None else None


def _link(entry: etree._Element, rel: str) -> str | None:
    for link in entry.iterchildren(_LINK):
        if link.get("rel") == rel and (rel != "alternate" or link.get("type", "text/html") == "text/html"):
            href = (link.get("href") or "").strip()
            if href:
                return href
    return None


def _path(url: str | None) -> str | None:
    try:
        return urlsplit(url).path or None if url else None
    except ValueError:  # e.g. "Invalid IPv6 URL"
        return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _location(entry: etree._Element) -> dict[str, Any] | None:
    name = latitude = longitude = None
    place = entry.find(f"{{{BLOGGER_2018}}}location")
    if place is not None:
        name = _child_text(place, f"{{{BLOGGER_2018}}}name")
        latitude = _number(_child_text(place, f"{{{BLOGGER_2018}}}latitude"))
        longitude = _number(_child_text(place, f"{{{BLOGGER_2018}}}longitude"))
    else:
        name = _child_text(entry, f"{{{GEORSS}}}featurename")
        point = (_child_text(entry, f"{{{GEORSS}}}point") or "").split()
        if len(point) == 2:
            latitude, longitude = _number(point[0]), _number(point[1])
    if latitude is not None and not -90 <= latitude <= 90 or longitude is not None and not -180 <= longitude <= 180:
        latitude = longitude = None
    if name is None and latitude is None and longitude is None:
        return None
    return {"name": name, "latitude": latitude, "longitude": longitude}


class _Feed:
    def __init__(self) -> None:
        self.id: str | None = None
        self.title: str | None = None
        self.generator: str | None = None
        self.entries = 0

    @property
    def is_blogger(self) -> bool:
        return bool(self.id and self.id.startswith("tag:blogger.com,1999:blog-")) or self.generator == "Blogger"

    def blog_id(self, entry_id: str) -> str | None:
        found = _BLOG_ID.search(entry_id) or _BLOG_ID.search(self.id or "")
        return found.group(1) if found else None


def _common(entry: etree._Element, entry_id: str, feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    published, _ = _date(_child_text(entry, f"{{{ATOM}}}published"), summary)
    updated, _ = _date(_child_text(entry, f"{{{ATOM}}}updated"), summary)
    return {
        "id": entry_id,
        "blog_id": feed.blog_id(entry_id),
        "blog_title": feed.title,
        "published": published,
        "updated": updated,
        "content_html": _content(entry),
        "author": _author(entry),
    }


def _post(entry: etree._Element, entry_id: str, post_type: str, status: str | None, labels: list[str],
          feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    common = _common(entry, entry_id, feed, summary)
    url = _link(entry, "alternate")
    path = _child_text(entry, f"{{{BLOGGER_2018}}}filename") or _path(url)
    created, _ = _date(_child_text(entry, f"{{{BLOGGER_2018}}}created"), summary)
    return {
        "kind": "post",
        "schema_version": SCHEMA_VERSION,
        "id": common["id"],
        "blog_id": common["blog_id"],
        "blog_title": common["blog_title"],
        "type": post_type,
        "status": status,
        "title": _child_text(entry, _TITLE),
        "content_html": common["content_html"],
        "published": common["published"],
        "updated": common["updated"],
        "created": created,
        "url": url,
        "path": path,
        "labels": list(dict.fromkeys(labels)),
        "author": common["author"],
        "location": _location(entry),
    }


def _comment(entry: etree._Element, entry_id: str, status: str | None, post_id: str | None, in_reply_to: str | None,
             feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    common = _common(entry, entry_id, feed, summary)
    return {
        "kind": "comment",
        "schema_version": SCHEMA_VERSION,
        "id": common["id"],
        "blog_id": common["blog_id"],
        "post_id": post_id,
        "in_reply_to": in_reply_to,
        "status": status,
        "content_html": common["content_html"],
        "published": common["published"],
        "updated": common["updated"],
        "author": common["author"],
        "url": _link(entry, "alternate"),
    }


class _Skip(Exception):
    """An entry that is not imported: `kind` is where summary.skipped counts it; `code` None means no warning."""

    def __init__(self, kind: str, code: str | None = None, message: str = "") -> None:
        super().__init__(message)
        self.kind, self.code, self.message = kind, code, message


def _legacy_kind(entry: etree._Element) -> tuple[str | None, list[str]]:
    kind = None
    labels = []
    for category in entry.iterchildren(_CATEGORY):
        scheme, term = category.get("scheme"), (category.get("term") or "").strip()
        if scheme == KIND_SCHEME:
            if term.startswith(KIND_PREFIX):
                kind = term[len(KIND_PREFIX):]
        elif term and scheme in (None, "", LABEL_SCHEME):
            labels.append(term)
    return kind, labels


def _legacy_draft(entry: etree._Element) -> bool:
    for namespace in APP_NAMESPACES:
        control = entry.find(f"{{{namespace}}}control")
        if control is not None and (_child_text(control, f"{{{namespace}}}draft") or "").lower() == "yes":
            return True
    return False


def _legacy(entry: etree._Element, entry_id: str, feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    kind, labels = _legacy_kind(entry)
    if kind in ("post", "page"):
        return _post(entry, entry_id, kind, "draft" if _legacy_draft(entry) else "live", labels, feed, summary)
    if kind == "comment":
        reply = entry.find(f"{{{THREAD}}}in-reply-to")
        post_id = (reply.get("ref") or "").strip() or None if reply is not None else None
        in_reply_to = None
        related = _RELATED_COMMENT.search(_link(entry, "related") or "")
        blog_id = feed.blog_id(entry_id)
        if related and blog_id:
            in_reply_to = f"tag:blogger.com,1999:blog-{blog_id}.post-{related.group(1)}"
        return _comment(entry, entry_id, "live", post_id, in_reply_to, feed, summary)
    if kind in _SKIPPED_KINDS:
        raise _Skip(kind)
    raise _Skip("entry", "unknown_kind", "entries of an unknown kind were skipped")


def _takeout_status(entry: etree._Element, summary: ImportSummary) -> str | None:
    raw = _child_text(entry, _B_STATUS)
    if raw is None:
        return None
    status = _STATUSES.get(raw.upper())
    if status is None:
        if not _STATUS_TEXT.fullmatch(raw):
            summary.warn("unknown_status", "entries with an unreadable status were kept without one")
            return None
        status = raw.lower()
    return status


def _takeout(entry: etree._Element, entry_id: str, feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    entry_type = (_child_text(entry, _B_TYPE) or "").upper()
    if entry_type in ("POST", "PAGE"):
        labels = [(c.get("term") or "").strip() for c in entry.iterchildren(_CATEGORY) if c.get("scheme") != KIND_SCHEME]
        return _post(entry, entry_id, entry_type.lower(), _takeout_status(entry, summary), [t for t in labels if t],
                     feed, summary)
    if entry_type == "COMMENT":
        return _comment(entry, entry_id, _takeout_status(entry, summary), _child_text(entry, f"{{{BLOGGER_2018}}}parent"),
                        _child_text(entry, f"{{{BLOGGER_2018}}}inReplyTo"), feed, summary)
    if entry_type.lower() in _SKIPPED_KINDS:
        raise _Skip(entry_type.lower())
    raise _Skip("entry", "unknown_type", "entries of an unknown blogger:type were skipped")


def _recognised(entry: etree._Element, layout: str) -> bool:
    if layout == "takeout":
        return entry.find(_B_TYPE) is not None
    return _legacy_kind(entry)[0] is not None


def _entry(entry: etree._Element, layout: str, feed: _Feed, summary: ImportSummary) -> dict[str, Any]:
    if feed.entries == 1 and not feed.is_blogger and not _recognised(entry, layout):
        raise FormatError("not_blogger", "an Atom feed, but neither its id nor its first entry is Blogger's")
    entry_id = _child_text(entry, _ID)
    handler = _takeout if layout == "takeout" else _legacy
    if entry_id is None:
        kind = _legacy_kind(entry)[0] if layout == "legacy" else (_child_text(entry, _B_TYPE) or "").lower()
        if kind in _SKIPPED_KINDS:
            raise _Skip(kind)
        kind = {"page": "post", "comment": "comment", "post": "post"}.get(kind or "", "entry")
        raise _Skip(kind, "bad_entry", "entries without an id were skipped")
    return handler(entry, entry_id, feed, summary)


def iter_blogger(stream: BinaryIO, summary: ImportSummary, *, layout: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield `post` and `comment` dicts from a Blogger export read as a byte stream.

    `layout` is "legacy" or "takeout" as `sniff_blogger` told it; None tells it from the document element (the
    2018 namespace declared on it means Takeout). Raises FormatError "not_blogger" (not an Atom feed from
    Blogger), "entity" (a DOCTYPE or an entity reference) or "xml" (malformed, or cut off after the items read).
    """
    if layout not in (None, *LAYOUTS):
        raise ValueError(f"layout must be one of {LAYOUTS} or None, not {layout!r}")
    feed = _Feed()
    root: etree._Element | None = None
    counts, skipped = summary.counts, summary.skipped
    try:
        for event, el in strict_iterparse(_BloggerReader(stream, summary), events=("start", "end")):
            if root is None:
                root = el
                if el.tag != _FEED:
                    name = str(el.tag).rsplit("}", 1)[-1][:60]
                    raise FormatError("not_blogger", f"the document element is <{name}>, not an Atom <feed>")
                if layout is None:
                    layout = "takeout" if BLOGGER_2018 in el.nsmap.values() else "legacy"
                continue
            if event == "start" or el.getparent() is not root:
                continue
            tag = el.tag
            item = None
            if tag == _ENTRY:
                feed.entries += 1
                try:
                    item = _entry(el, layout, feed, summary)  # type: ignore[arg-type]
                except _Skip as skip:
                    skipped[skip.kind] += 1
                    if skip.code:
                        summary.warn(skip.code, skip.message)
                except (ValueError, TypeError) as exc:  # one unreadable entry must not fail the blog
                    skipped["entry"] += 1
                    summary.warn("bad_entry", f"entries that could not be read were skipped (the first: {type(exc).__name__})")
            elif tag == _ID:
                feed.id = _text(el)
            elif tag == _TITLE:
                feed.title = _text(el)
            elif tag == _GENERATOR:
                feed.generator = _text(el)
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del root[0]
            if item is not None:
                counts[item["kind"]] += 1
                if feed.title:
                    summary.sources[feed.title] += 1
                _, moment = _date(item["published"], summary)
                summary.see_range(moment, moment)
                yield item
    except etree.XMLSyntaxError as exc:
        raise xml_error(exc) from exc
    except HealthImportError as exc:  # from the reader's prolog scan
        raise FormatError("xml" if exc.code == "xml" else "not_blogger", str(exc)) from exc
    if root is None:
        raise FormatError("xml", "no document element")
    if not feed.entries and not feed.is_blogger and layout == "legacy" and BLOGGER_2018 not in root.nsmap.values():
        raise FormatError("not_blogger", "an Atom feed without entries whose id is not Blogger's")
