"""The Google peer over real HTTP as the bank meets it: the authorization flow, every read API endpoint with its
pagination and scope, termination, the signed and idempotent deletion certificate, and the switches. Its other
role (a client of the bank, pushing to the intake API) is in test_bank_link.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from joserfc.errors import JoseError

from app.peers.bank_link import verify_compact_jws
from tests.peers.oauth_helpers import HTTP_TIMEOUT, Flow, bearer_get, control, hidden_field, serve

SECRET = "test-google-secret"
REDIRECT_URI = "http://localhost:5999/switching/connect/google/callback"
ALL_SCOPES = "profile blogger.readonly calendar.readonly youtube.readonly timeline.readonly account.manage"
HANAKO = {"login_id": "hanako@example.jp", "password": "google-hanako-2026"}
TARO = {"login_id": "taro@example.jp", "password": "google-taro-2026"}
EMILY = {"login_id": "emily@example.jp", "password": "google-emily-2026"}


def google_app(*, storage_dir: Path) -> Flask:
    from app.peers.google import create_app

    return create_app(storage_dir=storage_dir, redirect_uris=[REDIRECT_URI], client_secret=SECRET)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve("google", "127.0.0.6", f"{__name__}:google_app", tmp_path_factory.mktemp("peers")) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset_switches(base_url: str) -> Iterator[None]:
    yield
    control("DELETE", f"{base_url}/_test/switches")


def tokens_for(base_url: str, login: dict[str, str], scope: str = ALL_SCOPES) -> dict[str, Any]:
    flow = Flow(base_url, SECRET, REDIRECT_URI, scope)
    params = flow.authorize(login)
    assert params["iss"] == base_url
    response = flow.exchange(params["code"])
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def hanako(base_url: str) -> str:
    return str(tokens_for(base_url, HANAKO)["access_token"])


def get(base_url: str, path: str, token: str, **params: Any) -> dict[str, Any]:
    response = bearer_get(base_url + path, token, **params)
    assert response.status_code == 200, response.text
    return response.json()


def all_pages(base_url: str, path: str, token: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item, following nextPageToken; and how many pages it took."""
    items, pages, page_token = [], 0, None
    while True:
        body = get(base_url, path, token, **params, **({"pageToken": page_token} if page_token else {}))
        items.extend(body["items"])
        pages += 1
        page_token = body.get("nextPageToken")
        if not page_token:
            return items, pages


def blog_id(base_url: str, token: str) -> str:
    return str(get(base_url, "/blogger/v3/users/self/blogs", token)["items"][0]["id"])


@pytest.mark.smoke
def test_metadata_and_jwks(base_url: str) -> None:
    metadata = requests.get(f"{base_url}/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT).json()
    assert metadata["issuer"] == base_url and metadata["token_endpoint"] == f"{base_url}/token"
    assert metadata["scopes_supported"] == ALL_SCOPES.split()
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    [key] = requests.get(f"{base_url}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and key["kid"] and "d" not in key


def test_sign_in_and_consent_are_japanese_and_list_the_scopes(base_url: str) -> None:
    flow = Flow(base_url, SECRET, REDIRECT_URI, ALL_SCOPES)
    page = flow.get(flow.authorize_url())
    assert page.status_code == 200 and "メールアドレス" in page.text and "パスワード" in page.text
    consent = flow.submit(page, **HANAKO)
    assert hidden_field(consent.text, "action") == "consent"
    for text in ("Azukari（預かり）情報銀行", "柏の葉 花子", "Blogger のブログ・記事・コメントの閲覧",
                 "Google マップのタイムライン（ロケーション履歴）の閲覧", "サービスの解約と、データの削除"):
        assert text in consent.text
    fresh = Flow(base_url, SECRET, REDIRECT_URI, ALL_SCOPES)
    wrong = fresh.submit(fresh.get(fresh.authorize_url()), login_id="hanako@example.jp", password="google-taro-2026")
    assert "正しくありません" in wrong.text


def test_code_exchange_and_rotating_refresh(base_url: str) -> None:
    flow = Flow(base_url, SECRET, REDIRECT_URI, "profile")
    tokens = flow.exchange(flow.authorize(TARO)["code"]).json()
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] == 600 and tokens["scope"] == "profile"
    assert get(base_url, "/oauth2/v3/userinfo", tokens["access_token"])["name"] == "若柴 太郎"
    refreshed = flow.refresh(tokens["refresh_token"]).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert get(base_url, "/oauth2/v3/userinfo", refreshed["access_token"])["name"] == "若柴 太郎"
    assert flow.refresh(tokens["refresh_token"]).status_code == 400, "a used refresh token is refused"
    rows = control("GET", f"{base_url}/_test/tokens")
    assert rows and all(row["client_id"] == "azukari" for row in rows)


def test_userinfo(base_url: str, hanako: str) -> None:
    body = get(base_url, "/oauth2/v3/userinfo", hanako)
    assert set(body) == {"sub", "name", "email", "locale"}
    assert body["name"] == "柏の葉 花子" and body["email"] == "hanako@example.jp" and body["locale"] == "ja"


def test_blogger_user_blogs_posts_and_comments(base_url: str, hanako: str) -> None:
    user = get(base_url, "/blogger/v3/users/self", hanako)
    assert user["kind"] == "blogger#user" and user["displayName"] == "柏の葉 花子"
    assert user["locale"] == {"language": "ja", "country": "JP"}
    blogs = get(base_url, "/blogger/v3/users/self/blogs", hanako)
    assert blogs["kind"] == "blogger#blogList"
    [blog] = blogs["items"]
    assert blog["kind"] == "blogger#blog" and "子育て" in blog["description"] and blog["url"].startswith("https://")

    live = get(base_url, f"/blogger/v3/blogs/{blog['id']}/posts", hanako)
    assert live["kind"] == "blogger#postList" and {post["status"] for post in live["items"]} == {"LIVE"}
    posts, pages = all_pages(base_url, f"/blogger/v3/blogs/{blog['id']}/posts", hanako,
                             status="live,draft,scheduled", maxResults=5)
    assert pages == 3 and len(posts) == 12 and len({post["id"] for post in posts}) == 12
    assert sorted(post["status"] for post in posts).count("LIVE") == 10
    assert {"DRAFT", "SCHEDULED"} <= {post["status"] for post in posts}
    post = posts[0]
    assert set(post) == {"kind", "id", "blog", "published", "updated", "url", "title", "content", "labels", "author",
                         "status"}
    assert post["blog"] == {"id": blog["id"]} and post["published"] >= posts[-1]["published"], "newest first"

    comments, _ = all_pages(base_url, f"/blogger/v3/blogs/{blog['id']}/comments", hanako)
    assert len(comments) == 20 and all(comment["kind"] == "blogger#comment" for comment in comments)
    replies = [comment for comment in comments if "inReplyTo" in comment]
    assert len(replies) == 1 and replies[0]["inReplyTo"]["id"] in {comment["id"] for comment in comments}
    assert {comment["post"]["id"] for comment in comments} <= {post["id"] for post in posts}


def test_calendar_events(base_url: str, hanako: str) -> None:
    body = get(base_url, "/calendar/v3/calendars/primary/events", hanako)
    assert body["kind"] == "calendar#events" and body["timeZone"] == "Asia/Tokyo" and "nextPageToken" not in body
    events = body["items"]
    assert len(events) == 25 and all(event["kind"] == "calendar#event" for event in events)
    assert [event for event in events if event.get("recurrence", [""])[0].startswith("RRULE:")]
    all_day = [event for event in events if "date" in event["start"]]
    assert all_day and all("dateTime" not in event["start"] for event in all_day)
    timed = [event for event in events if "dateTime" in event["start"]]
    assert all(event["start"]["timeZone"] == "Asia/Tokyo" and event["start"]["dateTime"].endswith("+09:00")
               for event in timed)


def test_youtube_subscriptions_and_history(base_url: str, hanako: str) -> None:
    body = get(base_url, "/youtube/v3/subscriptions", hanako, part="snippet", mine="true", maxResults=3)
    assert body["kind"] == "youtube#subscriptionListResponse" and body["pageInfo"] == {"totalResults": 8,
                                                                                      "resultsPerPage": 3}
    subscriptions, pages = all_pages(base_url, "/youtube/v3/subscriptions", hanako, maxResults=3)
    assert pages == 3 and len(subscriptions) == 8
    snippet = subscriptions[0]["snippet"]
    assert snippet["resourceId"]["kind"] == "youtube#channel" and snippet["resourceId"]["channelId"].startswith("UC")
    history, _ = all_pages(base_url, "/youtube/v3/history", hanako, maxResults=100)
    assert len(history) == 40 and history[0]["kind"] == "youtube#watchHistoryEntry"
    assert [entry["time"] for entry in history] == sorted((entry["time"] for entry in history), reverse=True)
    entry = history[0]
    assert entry["header"] == "YouTube" and entry["title"].endswith(" を視聴しました") and entry["products"] == ["YouTube"]
    assert entry["titleUrl"].startswith("https://www.youtube.com/watch?v=") and entry["time"].endswith("Z")


def test_maps_timeline(base_url: str, hanako: str) -> None:
    timeline, _ = all_pages(base_url, "/maps/v1/timeline", hanako, maxResults=7)
    assert len(timeline) == 30 and {item["kind"] for item in timeline} == {"maps#timelineObject"}
    visits = [item["placeVisit"] for item in timeline if "placeVisit" in item]
    segments = [item["activitySegment"] for item in timeline if "activitySegment" in item]
    assert len(visits) + len(segments) == 30
    names = {visit["location"]["name"] for visit in visits}
    assert {"柏の葉キャンパス駅", "ららぽーと柏の葉", "柏の葉公園"} <= names
    station = next(visit for visit in visits if visit["location"]["name"] == "柏の葉キャンパス駅")["location"]
    assert 358_900_000 < station["latitudeE7"] < 359_000_000 and 1_399_400_000 < station["longitudeE7"] < 1_399_600_000
    assert {"WALKING", "IN_PASSENGER_VEHICLE", "IN_TRAIN", "CYCLING"} <= {segment["activityType"] for segment in segments}
    assert all(segment["distance"] > 0 and segment["duration"]["startTimestamp"] < segment["duration"]["endTimestamp"]
               for segment in segments)


def test_content_is_deterministic_and_per_account(base_url: str, hanako: str) -> None:
    again = str(tokens_for(base_url, HANAKO, "calendar.readonly")["access_token"])
    assert get(base_url, "/calendar/v3/calendars/primary/events", hanako) == \
        get(base_url, "/calendar/v3/calendars/primary/events", again)
    taro = str(tokens_for(base_url, TARO, "calendar.readonly youtube.readonly")["access_token"])
    taro_events = get(base_url, "/calendar/v3/calendars/primary/events", taro)["items"]
    assert 0 < len(taro_events) < 25
    assert not {event["id"] for event in taro_events} & {
        event["id"] for event in get(base_url, "/calendar/v3/calendars/primary/events", hanako)["items"]}


def test_scopes_and_bearer_errors(base_url: str) -> None:
    token = str(tokens_for(base_url, HANAKO, "profile")["access_token"])
    refused = bearer_get(f"{base_url}/blogger/v3/users/self", token)
    assert refused.status_code == 403
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="blogger.readonly"'
    for path, scope in (("/calendar/v3/calendars/primary/events", "calendar.readonly"),
                        ("/youtube/v3/history", "youtube.readonly"), ("/maps/v1/timeline", "timeline.readonly")):
        assert bearer_get(base_url + path, token).status_code == 403, scope
    assert requests.post(f"{base_url}/account/v1/deletion", json={}, headers={"Authorization": f"Bearer {token}"},
                         timeout=HTTP_TIMEOUT).status_code == 403
    missing = requests.get(f"{base_url}/oauth2/v3/userinfo", timeout=HTTP_TIMEOUT)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    bad = bearer_get(f"{base_url}/oauth2/v3/userinfo", "not-a-token")
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]


def test_pagination_parameters_are_checked(base_url: str, hanako: str) -> None:
    path = f"{base_url}/youtube/v3/history"
    for params in ({"maxResults": "0"}, {"maxResults": "101"}, {"maxResults": "ten"}, {"pageToken": "nonsense!"},
                   {"pageToken": "eDEw"}):
        response = bearer_get(path, hanako, **params)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request", params
    beyond = get(base_url, "/youtube/v3/history", hanako, pageToken="bzk5OQ")  # offset 999
    assert beyond["items"] == [] and "nextPageToken" not in beyond
    assert bearer_get(f"{base_url}/blogger/v3/blogs/123/posts", hanako).status_code == 404
    assert bearer_get(f"{base_url}/blogger/v3/blogs/{blog_id(base_url, hanako)}/posts", hanako,
                      status="trashed").status_code == 400


def post_json(url: str, token: str, body: Any = None) -> requests.Response:
    return requests.post(url, json=body if body is not None else {}, headers={"Authorization": f"Bearer {token}"},
                         timeout=HTTP_TIMEOUT)


def test_termination_is_idempotent(base_url: str) -> None:
    token = str(tokens_for(base_url, TARO)["access_token"])
    first = post_json(f"{base_url}/account/v1/services/youtube/terminate", token)
    assert first.status_code == 200 and first.json()["service"] == "youtube" and first.json()["status"] == "terminated"
    again = post_json(f"{base_url}/account/v1/services/youtube/terminate", token)
    assert again.json() == first.json()
    assert post_json(f"{base_url}/account/v1/services/gmail/terminate", token).status_code == 404
    # Terminated is not deleted: the data stays readable until it is deleted.
    assert get(base_url, "/youtube/v3/history", token)["items"]


def test_deletion_certificate_verifies_is_idempotent_and_empties_the_services(base_url: str) -> None:
    token = str(tokens_for(base_url, EMILY)["access_token"])
    sub = get(base_url, "/oauth2/v3/userinfo", token)["sub"]
    history_before = len(all_pages(base_url, "/youtube/v3/history", token)[0])
    timeline_before = get(base_url, "/maps/v1/timeline", token)["items"]
    request_body = {"services": ["youtube", "maps"], "reference": "job-emily-1"}
    answer = post_json(f"{base_url}/account/v1/deletion", token, request_body)
    assert answer.status_code == 200, answer.text
    certificate = answer.json()["certificate"]
    jwks = requests.get(f"{base_url}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
    header, payload = verify_compact_jws(certificate, jwks)
    assert header["alg"] == "ES256" and header["kid"] == jwks["keys"][0]["kid"]
    assert payload["iss"] == base_url and payload["sub"] == sub and payload["reference"] == "job-emily-1"
    assert payload["services"] == ["maps", "youtube"] and payload["jti"] and abs(payload["iat"] - time.time()) < 60
    assert payload["deleted"] == {
        "post": 0, "comment": 0, "calendar_event": 0, "interest": 4, "watch_event": history_before,
        "place_visit": sum("placeVisit" in item for item in timeline_before),
        "activity_segment": sum("activitySegment" in item for item in timeline_before)}

    assert post_json(f"{base_url}/account/v1/deletion", token, request_body).json()["certificate"] == certificate
    assert post_json(f"{base_url}/account/v1/deletion", token,
                     {"services": ["blogger"], "reference": "job-emily-1"}).status_code == 409
    for path in ("/youtube/v3/subscriptions", "/youtube/v3/history", "/maps/v1/timeline"):
        body = get(base_url, path, token)
        assert body["items"] == [] and "nextPageToken" not in body, path
    assert get(base_url, "/calendar/v3/calendars/primary/events", token)["items"], "other services keep their data"

    # Deleting again under a new reference certifies that nothing more was there.
    again = post_json(f"{base_url}/account/v1/deletion", token, {"services": ["youtube"], "reference": "job-emily-2"})
    assert set(verify_compact_jws(again.json()["certificate"], jwks)[1]["deleted"].values()) == {0}

    tampered = certificate[:-6] + ("AAAAAA" if not certificate.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(JoseError):
        verify_compact_jws(tampered, jwks)


def test_deletion_requests_are_checked(base_url: str) -> None:
    token = str(tokens_for(base_url, TARO, "account.manage")["access_token"])
    for body in ({}, {"services": [], "reference": "x"}, {"services": ["gmail"], "reference": "x"},
                 {"services": ["maps"]}, {"services": ["maps"], "reference": ""}):
        assert post_json(f"{base_url}/account/v1/deletion", token, body).status_code == 400, body


def misbehave(base_url: str, mode: str, **extra: Any) -> None:
    assert control("POST", f"{base_url}/_test/switches", {"misbehave": mode, **extra})["misbehave"] == mode


def test_switches(base_url: str, hanako: str) -> None:
    state = control("GET", f"{base_url}/_test/switches")
    assert {"error_500", "rate_limited", "slow", "garbage"} <= set(state["modes"])
    path = f"{base_url}/calendar/v3/calendars/primary/events"

    misbehave(base_url, "error_500")
    assert bearer_get(path, hanako).status_code == 500
    misbehave(base_url, "rate_limited")
    limited = bearer_get(path, hanako)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    misbehave(base_url, "garbage")
    garbage = bearer_get(path, hanako)
    assert garbage.status_code == 200 and garbage.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        garbage.json()
    misbehave(base_url, "slow", slow_seconds=0.5)
    started = time.monotonic()
    assert bearer_get(path, hanako).status_code == 200 and time.monotonic() - started >= 0.5

    control("DELETE", f"{base_url}/_test/switches")
    assert bearer_get(path, hanako).status_code == 200


def test_test_controls_are_loopback_json_only(base_url: str) -> None:
    as_form = requests.post(f"{base_url}/_test/push", data={"login_id": "hanako@example.jp"}, timeout=HTTP_TIMEOUT)
    assert as_form.status_code == 415
    unknown = requests.post(f"{base_url}/_test/push", json={"login_id": "nobody@example.jp"}, timeout=HTTP_TIMEOUT)
    assert unknown.status_code == 400
