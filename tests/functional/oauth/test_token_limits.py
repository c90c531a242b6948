"""The token endpoint is limited per authenticated client (every grant, every outcome) and, for requests that
authenticate no client, per address: 429 `slow_down` with Retry-After and no-store, nothing consumed, rotated or
issued; one client's excess leaves another client alone; the counts end with their one-minute window."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import col, func, select

from app.audit import AuditEvent, EventTag
from app.oauth.models import AuthorizationCode, OAuthToken
from app.sessions import hash_token
from tests.functional.oauth.conftest import RecipientSystem, allow, new_key, redirect_params, register_city

ELSEWHERE = {"REMOTE_ADDR": "198.51.100.20"}


def _code(system: RecipientSystem, browser) -> str:  # type: ignore[no-untyped-def]
    return redirect_params(allow(browser, system.authorize_url(), ["children_count"]))["code"]


def _tokens(db) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(OAuthToken)).one()


def _assert_limited(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.get_json()
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["error"] == "slow_down" and body["error_description"]
    assert "access_token" not in body and "refresh_token" not in body


def _other_city(app, db, settings) -> RecipientSystem:  # type: ignore[no-untyped-def]
    key = new_key()
    with app.app_context():
        register_city(db, key, client_id="other-city")
    return RecipientSystem("other-city", key, settings.public_url.rstrip("/"), app.test_client())


def test_a_client_past_its_limit_gets_429_with_nothing_issued_and_another_client_does_not(  # type: ignore[no-untyped-def]
        app, db, settings, city, hanako_browser, monkeypatch) -> None:
    other = _other_city(app, db, settings)
    waiting_code, waiting_verifier = _code(city, hanako_browser), city.last_verifier
    other_code = _code(other, hanako_browser)
    monkeypatch.setattr(settings, "token_requests_per_client", 2)
    first = city.exchange(_code(city, hanako_browser))
    assert first.status_code == 200
    second = city.refresh(first.get_json()["refresh_token"])
    assert second.status_code == 200
    refresh_token = second.get_json()["refresh_token"]
    issued = _tokens(db)

    # A refresh past the limit: refused, the refresh token is not rotated and nothing is issued.
    _assert_limited(city.refresh(refresh_token))
    row = db.exec(select(OAuthToken).where(OAuthToken.refresh_token_digest == hash_token(refresh_token))).one()
    db.refresh(row)
    assert row.refresh_rotated_at is None and row.revoked_at is None
    # A code exchange past the limit: the code is not consumed.
    _assert_limited(city.exchange(waiting_code, verifier=waiting_verifier))
    code = db.exec(select(AuthorizationCode).where(AuthorizationCode.code_digest == hash_token(waiting_code))).one()
    db.refresh(code)
    assert code.used_at is None
    assert _tokens(db) == issued

    # The other client, in the same window, is not affected.
    assert other.exchange(other_code).status_code == 200
    assert _tokens(db) == issued + 1
    events = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.OAUTH_TOKEN_THROTTLED.value)).all()
    assert len(events) == 1  # once per window, not once per refused request
    assert events[0].details == {"limit": "client", "client": "kashiwa-city"}


def test_a_refresh_token_replay_storm_hits_the_limit(app, db, settings, city, authorized, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "token_requests_per_client", 4)  # the exchange, a refresh, two replays
    used = authorized["refresh_token"]
    assert city.refresh(used).status_code == 200
    replays = [city.refresh(used).status_code for _ in range(4)]
    assert replays[:2] == [400, 400]  # invalid_grant, still counted against the client
    assert replays[2:] == [429, 429]


def test_failed_client_authentication_is_throttled_per_address(app, db, settings, city, authorized,  # type: ignore[no-untyped-def]
                                                               monkeypatch) -> None:
    monkeypatch.setattr(settings, "token_failures_per_ip", 3)
    refresh = {"grant_type": "refresh_token", "refresh_token": authorized["refresh_token"]}
    for _ in range(3):  # signed with another key: the signature does not verify
        assert city.http.post("/oauth/token", data={**refresh, **city.auth(key=new_key())}).status_code == 401
    # The address is refused before any assertion is checked, even a valid one.
    _assert_limited(city.refresh(authorized["refresh_token"]))
    _assert_limited(city.http.post("/oauth/token", data={**refresh, "client_assertion": "not-a-jwt"}))
    events = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.OAUTH_TOKEN_THROTTLED.value)).all()
    assert [event.details for event in events] == [{"limit": "address"}]
    # The client named in the failures is not locked out: from its own address it still gets its tokens.
    answer = city.http.post("/oauth/token", data={**city.auth(), **refresh}, environ_base=ELSEWHERE)
    assert answer.status_code == 200
    assert db.exec(select(func.count()).select_from(OAuthToken).where(
        col(OAuthToken.refresh_rotated_at).is_not(None))).one() == 1


def test_an_unsupported_grant_without_a_client_counts_as_a_failure(app, db, settings, city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "token_failures_per_ip", 2)
    statuses = [city.http.post("/oauth/token", data={"grant_type": "password"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_the_limits_reset_after_their_window(app, db, settings, city, hanako_browser, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "token_requests_per_client", 1)
    monkeypatch.setattr(settings, "token_failures_per_ip", 1)
    with freeze_time() as frozen:
        refresh_token = city.exchange(_code(city, hanako_browser)).get_json()["refresh_token"]
        _assert_limited(city.refresh(refresh_token))
        assert city.http.post("/oauth/token", data={"grant_type": "refresh_token"}, environ_base=ELSEWHERE
                              ).status_code == 401
        _assert_limited(city.http.post("/oauth/token", data={"grant_type": "refresh_token"}, environ_base=ELSEWHERE))
        frozen.tick(timedelta(seconds=61))
        # The refused refresh token was left as it was: it still works once the window has passed.
        assert city.refresh(refresh_token).status_code == 200
        assert city.http.post("/oauth/token", data={"grant_type": "refresh_token"}, environ_base=ELSEWHERE
                              ).status_code == 401
