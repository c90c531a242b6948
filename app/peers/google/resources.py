"""One account's resources as the read API serves them, by collection, with the deleted services left empty.

The push to the bank and the deletion certificate count from the same lists, so what Google says it sent or
deleted is what its read API shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.peers.google import content, places
from app.peers.google.accounts import Account

Resource = dict[str, Any]

# collection → (service, how to build it)
COLLECTIONS: dict[str, tuple[str, Callable[[Account], list[Resource]]]] = {
    "blogs": ("blogger", lambda account: [content.blog(account.login_id)]),
    "posts": ("blogger", lambda account: content.posts(account.login_id, account.name)),
    "comments": ("blogger", lambda account: content.comments(account.login_id, account.name)),
    "events": ("calendar", lambda account: places.events(account.login_id)),
    "subscriptions": ("youtube", lambda account: content.subscriptions(account.login_id)),
    "history": ("youtube", lambda account: content.watch_history(account.login_id)),
    "timeline": ("maps", lambda account: places.timeline(account.login_id)),
}

# The kinds the intake push knows, each from one collection (the Blogger user is a single resource).
KIND_COLLECTIONS = {
    "blogger#blog": "blogs",
    "blogger#post": "posts",
    "blogger#comment": "comments",
    "calendar#event": "events",
    "youtube#subscription": "subscriptions",
    "youtube#watchHistoryEntry": "history",
    "maps#timelineObject": "timeline",
}
USER_KIND = "blogger#user"
KIND_LABELS = {
    USER_KIND: "プロフィール",
    "blogger#blog": "ブログ",
    "blogger#post": "ブログの記事",
    "blogger#comment": "ブログのコメント",
    "calendar#event": "カレンダーの予定",
    "youtube#subscription": "YouTube の登録チャンネル",
    "youtube#watchHistoryEntry": "YouTube の視聴履歴",
    "maps#timelineObject": "ロケーション履歴（タイムライン）",
}


def collection(account: Account, name: str, deleted: Iterable[str]) -> list[Resource]:
    service, build = COLLECTIONS[name]
    return [] if service in set(deleted) else build(account)


def blogger_user(account: Account) -> Resource:
    return content.blogger_user(account.login_id, account.name)


def records_of_kind(account: Account, kind: str, deleted: Iterable[str]) -> list[Resource]:
    """The read API's resources of `kind` (an unknown kind has none)."""
    deleted = set(deleted)
    if kind == USER_KIND:
        return [] if "blogger" in deleted else [blogger_user(account)]
    name = KIND_COLLECTIONS.get(kind)
    return collection(account, name, deleted) if name else []


def deletion_counts(account: Account, services: Iterable[str], already_deleted: Iterable[str]) -> dict[str, int]:
    """What deleting `services` removes now: the certificate's `deleted` (zero for what was gone before)."""
    gone = set(already_deleted)
    doomed = set(services) - gone

    def size(name: str) -> list[Resource]:
        return collection(account, name, gone) if COLLECTIONS[name][0] in doomed else []

    timeline = size("timeline")
    return {
        "post": len(size("posts")),
        "comment": len(size("comments")),
        "calendar_event": len(size("events")),
        "interest": len(size("subscriptions")),
        "watch_event": len(size("history")),
        "place_visit": sum("placeVisit" in item for item in timeline),
        "activity_segment": sum("activitySegment" in item for item in timeline),
    }
