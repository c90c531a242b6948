"""The resource API is limited per client and per client × resident (429 with Retry-After, in the RFC 6750 JSON
shape); one client's excess does not touch another client's requests, nor the same client's for another resident."""

from __future__ import annotations

from tests.factories.accounts import ResidentFactory
from tests.functional.oauth.conftest import RecipientSystem, allow, new_key, redirect_params, register_city


def _token(system, browser) -> str:  # type: ignore[no-untyped-def]
    params = redirect_params(allow(browser, system.authorize_url(), ["children_count"]))
    return system.exchange(params["code"]).get_json()["access_token"]


def _another_city(app, db, settings, client_id: str) -> RecipientSystem:  # type: ignore[no-untyped-def]
    """A second recipient system registered for the same offer, with its own key (and so its own limits)."""
    key = new_key()
    with app.app_context():
        register_city(db, key, client_id=client_id)
    return RecipientSystem(client_id, key, settings.public_url.rstrip("/"), app.test_client())


def test_a_client_past_its_limit_gets_429_and_another_client_does_not(app, db, settings, city, hanako_browser,  # type: ignore[no-untyped-def]
                                                                        monkeypatch) -> None:
    other = _another_city(app, db, settings, "other-city")
    token, other_token = _token(city, hanako_browser), _token(other, hanako_browser)
    monkeypatch.setattr(settings, "api_requests_per_client", 3)
    assert [city.me(token).status_code for _ in range(3)] == [200, 200, 200]
    refused = city.me(token)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"] == "rate_limited"
    assert other.me(other_token).status_code == 200


def test_a_client_is_limited_per_resident_too(app, db, city, hanako_browser, login, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    jiro_browser = app.test_client()
    login(jiro_browser, ResidentFactory())
    hanako_token, jiro_token = _token(city, hanako_browser), _token(city, jiro_browser)
    monkeypatch.setattr(settings, "api_requests_per_account", 2)
    assert [city.me(hanako_token).status_code for _ in range(3)] == [200, 200, 429]
    assert city.me(jiro_token).status_code == 200


def test_refused_calls_still_count(app, db, city, hanako_browser, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = _token(city, hanako_browser)
    monkeypatch.setattr(settings, "api_requests_per_client", 2)
    assert city.me(token, items="birth_dates").status_code == 403  # outside the token's scope: refused, counted
    assert city.me(token).status_code == 200
    assert city.me(token).status_code == 429


def test_a_refused_token_is_refused_again_from_memory_without_the_database(app, db, city, hanako_browser, settings,  # type: ignore[no-untyped-def]
                                                                            monkeypatch) -> None:
    """Within its Retry-After, a token the limit refused is answered 429 before any query (bench/bench_api_fairness.py
    measures what that saves another client); another client's token still goes through the database."""
    from app.oauth import api

    other = _another_city(app, db, settings, "patient-city")
    token, other_token = _token(city, hanako_browser), _token(other, hanako_browser)
    monkeypatch.setattr(settings, "api_requests_per_client", 1)
    assert [city.me(token).status_code for _ in range(2)] == [200, 429]
    looked_up = []
    monkeypatch.setattr(api, "find_token", lambda value: looked_up.append(value))  # (None: unknown, were it asked)
    again = city.me(token)
    assert again.status_code == 429 and 1 <= int(again.headers["Retry-After"]) <= 60 and looked_up == []
    assert other.me(other_token).status_code == 401 and looked_up  # (the stub answers "unknown": it was asked)
