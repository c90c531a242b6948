"""Reading a source's API with the bank's token (patterns 2 and 3), and a destination's published keys.

The Google endpoints are the shapes of the public APIs (Blogger v3, Calendar v3, YouTube Data v3) plus the
history and timeline shapes of docs/switching.md; each list is read page by page (`pageToken`) up to a bound, so
a lying or looping server cannot keep the bank reading forever.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from app.config import Settings
from app.switching import registry
from app.switching.remote import ServiceClient, ServiceUnavailable, read_answer

MAX_PAGES = 200
PAGE_SIZE = 50


@dataclass
class Fetched:
    resources: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # per Google resource kind

    def add(self, items: list[Any]) -> None:
        for item in items:
            if isinstance(item, dict):
                self.resources.append(item)
                self.counts[str(item.get("kind", ""))[:40]] += 1


def _pages(client: ServiceClient, path: str, **params: Any) -> list[Any]:
    found: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = client.call("GET", path, params={**params, "maxResults": PAGE_SIZE,
                                                **({"pageToken": token} if token else {})})
        if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
            raise ServiceUnavailable("garbage")
        found.extend(page.get("items", []))
        token = page.get("nextPageToken")
        if not token:
            return found
        if not isinstance(token, str):
            raise ServiceUnavailable("garbage")
    raise ServiceUnavailable("too_many_pages")


def fetch(client: ServiceClient, kinds: list[str]) -> Fetched:
    """Every resource of Google that gives one of `kinds`."""
    wanted = set(registry.resource_kinds_for(kinds))
    fetched = Fetched()
    if "blogger#user" in wanted:
        user = client.call("GET", "/blogger/v3/users/self")
        fetched.add([user])
    if wanted & {"blogger#post", "blogger#comment"}:
        blogs = client.call("GET", "/blogger/v3/users/self/blogs")
        for blog in blogs.get("items", []) if isinstance(blogs, dict) else []:
            blog_id = str(blog.get("id", "")) if isinstance(blog, dict) else ""
            if not blog_id.isalnum():
                raise ServiceUnavailable("garbage")  # goes into a path: only Blogger's numeric ids
            if "blogger#post" in wanted:
                fetched.add(_pages(client, f"/blogger/v3/blogs/{blog_id}/posts", status="live,draft,scheduled"))
            if "blogger#comment" in wanted:
                fetched.add(_pages(client, f"/blogger/v3/blogs/{blog_id}/comments"))
    if "youtube#subscription" in wanted:
        fetched.add(_pages(client, "/youtube/v3/subscriptions", part="snippet", mine="true"))
    if "youtube#watchHistoryEntry" in wanted:
        fetched.add(_pages(client, "/youtube/v3/history"))
    if "calendar#event" in wanted:
        fetched.add(_pages(client, "/calendar/v3/calendars/primary/events"))
    if "maps#timelineObject" in wanted:
        fetched.add(_pages(client, "/maps/v1/timeline"))
    return fetched


def jwks(issuer: str, settings: Settings) -> dict[str, Any]:
    """A destination's published keys (for its receipts) at `{issuer}/.well-known/jwks.json`."""
    url = f"{issuer}/.well-known/jwks.json"
    try:
        response = requests.get(url, timeout=settings.outbound_timeout_seconds, allow_redirects=False, stream=True)
    except requests.RequestException as error:
        raise ServiceUnavailable() from error
    document = read_answer(response, url)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ServiceUnavailable("garbage")
    return document
