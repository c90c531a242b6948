"""Google's read API (Blogger, Calendar, YouTube, Maps timeline shaped), termination and deletion.

The contract is docs/switching.md ("Google (source): read API"): bearer tokens with RFC 6750 errors, pagination
by `pageToken` / `nextPageToken` (absent on the last page) and `maxResults` 1–100 (default 50). The read API
obeys the test switches `error_500`, `rate_limited` (429, `Retry-After: 1`), `slow` and `garbage`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue

from app.peers.authserver import PeerOAuth, issuer_url
from app.peers.authserver.storage import OAuthToken, now
from app.peers.authserver.testing import Switches
from app.peers.bank_link import BankLink
from app.peers.google import accounts, content, resources
from app.peers.google.accounts import SERVICES, Account
from app.peers.google.content import JST

ERROR_500 = "error_500"
RATE_LIMITED = "rate_limited"
MODES = (ERROR_500, RATE_LIMITED)
DEFAULT_MAX_RESULTS = 50
MAX_RESULTS = 100
POST_STATUSES = {"live": "LIVE", "draft": "DRAFT", "scheduled": "SCHEDULED"}
MAX_REFERENCE_LENGTH = 200
_PAGE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def invalid_request(description: str, status: int = 400) -> Response:
    response = jsonify(error="invalid_request", error_description=description)
    response.status_code = status
    return response


def misbehaving(switches: Switches) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """The read API's switches: `error_500` and `rate_limited` here, `slow` and `garbage` from the toolkit."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        affected = switches.affected(view)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            mode = switches.mode
            if mode == ERROR_500:
                return jsonify(error="server_error", error_description="テスト用の障害（error_500）"), 500
            if mode == RATE_LIMITED:
                return jsonify(error="rate_limited", error_description="Too many requests"), 429, {"Retry-After": "1"}
            return affected(*args, **kwargs)

        return wrapper

    return decorate


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    if not _PAGE_TOKEN.match(token):
        raise ValueError
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    if not raw.startswith("o") or not raw[1:].isdigit():
        raise ValueError
    return int(raw[1:])


def paged(items: list[dict[str, Any]], kind: str, *, page_info: bool = False, **extra: Any) -> ResponseReturnValue:
    """One page of `items` as `{"kind", **extra, "items", "nextPageToken"?}`."""
    raw_max = request.args.get("maxResults", str(DEFAULT_MAX_RESULTS))
    if not raw_max.isdigit() or not 1 <= int(raw_max) <= MAX_RESULTS:
        return invalid_request(f"maxResults must be 1 to {MAX_RESULTS}")
    size = int(raw_max)
    try:
        offset = decode_page_token(request.args["pageToken"]) if "pageToken" in request.args else 0
    except ValueError:
        return invalid_request("invalid pageToken")
    body: dict[str, Any] = {"kind": kind, **extra, "items": items[offset:offset + size]}
    if offset + size < len(items):
        body["nextPageToken"] = encode_page_token(offset + size)
    if page_info:
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": size}
    return jsonify(body)


def register_api(app: Flask, oauth: PeerOAuth, switches: Switches, link: BankLink) -> None:
    db = oauth.db
    read = misbehaving(switches)

    def account_of(token: OAuthToken) -> Account:
        account = accounts.by_sub(db.session, token.subject)
        if account is None:  # the account went away after the token was issued
            abort(Response(json.dumps({"error": "invalid_token"}), 401, content_type="application/json",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))
        return account

    def listing(scope: str, name: str) -> tuple[Account, list[dict[str, Any]]]:
        with oauth.protected(scope) as token:
            account = account_of(token)
            return account, resources.collection(account, name, accounts.deleted_services(db.session, account.sub))

    @app.get("/oauth2/v3/userinfo")
    @read
    def userinfo() -> ResponseReturnValue:
        with oauth.protected("profile") as token:
            account = account_of(token)
            return jsonify(sub=account.sub, name=account.name, email=account.email, locale=account.locale)

    @app.get("/blogger/v3/users/self")
    @read
    def blogger_self() -> ResponseReturnValue:
        with oauth.protected("blogger.readonly") as token:
            return jsonify(resources.blogger_user(account_of(token)))

    @app.get("/blogger/v3/users/self/blogs")
    @read
    def blogger_blogs() -> ResponseReturnValue:
        _, blogs = listing("blogger.readonly", "blogs")
        return jsonify(kind="blogger#blogList", items=blogs)

    def blog_listing(blog_id: str, name: str) -> tuple[Account, list[dict[str, Any]]]:
        account, items = listing("blogger.readonly", name)
        if blog_id != content.blog(account.login_id)["id"]:
            abort(Response(json.dumps({"error": "not_found", "error_description": "no such blog"}), 404,
                           content_type="application/json"))
        return account, items

    @app.get("/blogger/v3/blogs/<blog_id>/posts")
    @read
    def blogger_posts(blog_id: str) -> ResponseReturnValue:
        _, posts = blog_listing(blog_id, "posts")
        wanted = ",".join(request.args.getlist("status")) or "live"
        statuses = {part.strip().lower() for part in wanted.split(",") if part.strip()}
        if not statuses <= set(POST_STATUSES):
            return invalid_request("status must be live, draft or scheduled")
        allowed = {POST_STATUSES[status] for status in statuses}
        return paged([post for post in posts if post["status"] in allowed], "blogger#postList")

    @app.get("/blogger/v3/blogs/<blog_id>/comments")
    @read
    def blogger_comments(blog_id: str) -> ResponseReturnValue:
        _, comments = blog_listing(blog_id, "comments")
        return paged(comments, "blogger#commentList")

    @app.get("/calendar/v3/calendars/primary/events")
    @read
    def calendar_events() -> ResponseReturnValue:
        _, events = listing("calendar.readonly", "events")
        return paged(events, "calendar#events", timeZone="Asia/Tokyo")

    @app.get("/youtube/v3/subscriptions")
    @read
    def youtube_subscriptions() -> ResponseReturnValue:
        _, subscriptions = listing("youtube.readonly", "subscriptions")
        return paged(subscriptions, "youtube#subscriptionListResponse", page_info=True)

    @app.get("/youtube/v3/history")
    @read
    def youtube_history() -> ResponseReturnValue:
        _, history = listing("youtube.readonly", "history")
        return paged(history, "youtube#watchHistoryListResponse")

    @app.get("/maps/v1/timeline")
    @read
    def maps_timeline() -> ResponseReturnValue:
        _, timeline = listing("timeline.readonly", "timeline")
        return paged(timeline, "maps#timeline")

    # -- termination and deletion (account.manage) -------------------------------------------------------------

    @app.post("/account/v1/services/<service>/terminate")
    def terminate(service: str) -> ResponseReturnValue:
        with oauth.protected("account.manage") as token:
            account = account_of(token)
            if service not in SERVICES:
                return invalid_request(f"unknown service; known: {', '.join(SERVICES)}", 404)
            row = accounts.state_row(db.session, account.sub, service)
            row.terminated_at = row.terminated_at or _now_jst()
            db.session.commit()
            return jsonify(service=service, status="terminated", ended_at=row.terminated_at)

    @app.post("/account/v1/deletion")
    def delete() -> ResponseReturnValue:
        with oauth.protected("account.manage") as token:
            account = account_of(token)
            body = request.get_json(silent=True)
            services, reference = (body.get("services"), body.get("reference")) if isinstance(body, dict) else (None, None)
            if not isinstance(services, list) or not services or not all(item in SERVICES for item in services):
                return invalid_request(f"services must be a non-empty list of {', '.join(SERVICES)}")
            if not isinstance(reference, str) or not 0 < len(reference) <= MAX_REFERENCE_LENGTH:
                return invalid_request(f"reference must be a string of 1 to {MAX_REFERENCE_LENGTH} characters")
            services = sorted(set(services))
            earlier = accounts.deletion(db.session, account.sub, reference)
            if earlier is not None:
                if earlier.services != services:
                    return jsonify(error="conflict", error_description="this reference was used for other services"), 409
                return jsonify(certificate=earlier.certificate)
            states = accounts.service_states(db.session, account.sub)
            gone = {name for name, row in states.items() if row.deleted_at}
            counts = resources.deletion_counts(account, services, gone)
            moment = _now_jst()
            for service in services:
                row = accounts.state_row(db.session, account.sub, service)
                row.deleted_at = row.deleted_at or moment
                row.terminated_at = row.terminated_at or moment
            certificate = link.sign({"iss": issuer_url(), "sub": account.sub, "jti": str(uuid.uuid4()), "iat": now(),
                                     "reference": reference, "services": services, "deleted": counts})
            db.session.add(accounts.Deletion(sub=account.sub, reference=reference, services_json=json.dumps(services),
                                             certificate=certificate))
            db.session.commit()
            return jsonify(certificate=certificate)


def _now_jst() -> str:
    return datetime.now(JST).isoformat(timespec="seconds")
