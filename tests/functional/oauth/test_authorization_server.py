"""The bank's authorization server against the RFC 9700 / FAPI 2 matrix (security-anchors C1–C8)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from app.db import utcnow
from app.oauth.models import AuthorizationCode, OAuthToken
from app.oauth.server import REFRESH_REUSE_GRACE
from tests.functional.oauth.conftest import (
    REDIRECT_URI,
    allow,
    new_key,
    redirect_params,
    register_city,
)

ITEMS = ["children_count", "town_group"]


def test_metadata_lists_only_what_is_supported(city) -> None:  # type: ignore[no-untyped-def]
    document = city.http.get("/.well-known/oauth-authorization-server").get_json()
    assert document["issuer"] == city.issuer
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert "RS256" not in document["token_endpoint_auth_signing_alg_values_supported"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["introspection_endpoint"] == f"{city.issuer}/oauth/introspect"


def test_authorization_responses_carry_iss_and_use_303(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    response = allow(hanako_browser, city.authorize_url(state="s-9"), ITEMS)
    params = redirect_params(response)
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    assert params["iss"] == city.issuer and params["state"] == "s-9" and params["code"]
    denied = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS, decision="deny"))
    assert denied["error"] == "access_denied" and denied["iss"] == city.issuer and "code" not in denied
    assert "Access-Control-Allow-Origin" not in hanako_browser.get(city.authorize_url()).headers


def test_the_consent_screen_shows_who_why_what_and_how_long(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    page = hanako_browser.get(city.authorize_url()).get_data(as_text=True)
    for text in ("柏市 こども部 子育て支援課", "柏市の子育てサービスのご案内", "児童数", "年齢区分", "町丁目グループ",
                 "365", "city.example.jp"):
        assert text in page


def test_an_empty_choice_is_refused_without_a_code(city, hanako_browser, db) -> None:  # type: ignore[no-untyped-def]
    response = allow(hanako_browser, city.authorize_url(), [])
    assert response.status_code == 422
    assert db.exec(select(AuthorizationCode)).first() is None


def test_a_visitor_is_sent_to_log_in_first(city, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(city.authorize_url())
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


# -- C1 PKCE ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("challenge", "method"), [("", "S256"), (None, "plain"), ("x" * 43, None)])
def test_pkce_missing_or_plain_is_invalid_request(city, hanako_browser, challenge, method) -> None:  # type: ignore[no-untyped-def]
    url = city.authorize_url(challenge=challenge, method=method)
    params = redirect_params(hanako_browser.get(url))
    assert params["error"] == "invalid_request" and params["iss"] == city.issuer


def test_wrong_or_missing_verifier_fails(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    code = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]
    assert city.exchange(code, verifier="w" * 50).get_json()["error"] == "invalid_grant"
    assert city.exchange(code, verifier="").get_json()["error"] == "invalid_request"
    # Failed attempts do not burn the code: the right verifier still works.
    assert city.exchange(code).status_code == 200


# -- C2 exact redirect URIs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri", [
    REDIRECT_URI + "/", REDIRECT_URI + "?x=1", REDIRECT_URI.replace("callback", "Callback"),
    REDIRECT_URI.replace("https://", "http://"), "https://city.example.jp@evil.example/azukari/callback",
    "https://evil.example/azukari/callback", None,
])
def test_redirect_uri_variants_get_an_error_page_not_a_redirect(city, hanako_browser, uri) -> None:  # type: ignore[no-untyped-def]
    city.redirect_uri = uri
    url = city.authorize_url()
    response = hanako_browser.get(url)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.status_code != 307


def test_an_unknown_client_gets_an_error_page(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    city.client_id = "nobody"
    response = hanako_browser.get(city.authorize_url())
    assert response.status_code == 400 and "Location" not in response.headers


# -- C3 codes -------------------------------------------------------------------------------------------------------


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    code = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]
    first = city.exchange(code).get_json()
    assert city.me(first["access_token"]).status_code == 200
    replay = city.exchange(code)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert city.me(first["access_token"]).status_code == 401
    assert city.refresh(first["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(city, hanako_browser, db) -> None:  # type: ignore[no-untyped-def]
    code = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]
    row = db.exec(select(AuthorizationCode)).one()
    assert row.expires_at - row.issued_at <= timedelta(seconds=60)
    row.expires_at = utcnow() - timedelta(seconds=1)  # 61 s later
    db.add(row)
    db.flush()
    assert city.exchange(code).get_json()["error"] == "invalid_grant"


def test_another_clients_code_is_refused(app, db, city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    code = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]
    other_key = new_key()
    with app.app_context():
        register_city(db, other_key, client_id="kashiwa-other")
    city.client_id, city.key = "kashiwa-other", other_key
    assert city.exchange(code).get_json()["error"] == "invalid_grant"


# -- C8 grants and response types ---------------------------------------------------------------------------------


def test_password_grant_and_implicit_flow_are_refused(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    password = city.token(grant_type="password", username="hanako", password="x")
    assert password.get_json()["error"] == "unsupported_grant_type"
    url = city.authorize_url().replace("response_type=code", "response_type=token")
    response = hanako_browser.get(url)
    params = redirect_params(response)  # the client is known and its redirect URI exact: it is told, with iss
    assert params["error"] == "unsupported_response_type" and params["iss"] == city.issuer
    assert "access_token" not in response.headers["Location"] and "#" not in response.headers["Location"]


def test_a_scope_the_client_is_not_registered_for_is_invalid_scope(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    for scope in ("children_count birth_dates", "notices", "age_classes"):
        params = redirect_params(hanako_browser.get(city.authorize_url(scope=scope)))
        assert params["error"] == "invalid_scope", scope


# -- C5 refresh tokens ---------------------------------------------------------------------------------------------


def test_refresh_rotates_and_a_reused_token_revokes_the_family(city, authorized, db) -> None:  # type: ignore[no-untyped-def]
    second = city.refresh(authorized["refresh_token"]).get_json()
    assert second["refresh_token"] != authorized["refresh_token"] and second["expires_in"] == 300
    assert city.me(second["access_token"]).status_code == 200
    # The rotated token presented again after the grace period: the whole family goes.
    for row in db.exec(select(OAuthToken).where(OAuthToken.refresh_rotated_at.is_not(None))):  # type: ignore[union-attr]
        row.refresh_rotated_at = utcnow() - REFRESH_REUSE_GRACE - timedelta(seconds=1)
        db.add(row)
    db.flush()
    assert city.refresh(authorized["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert city.me(second["access_token"]).status_code == 401
    assert city.refresh(second["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_a_retry_within_the_grace_fails_without_killing_the_family(city, authorized) -> None:  # type: ignore[no-untyped-def]
    winner = city.refresh(authorized["refresh_token"])
    loser = city.refresh(authorized["refresh_token"])
    assert winner.status_code == 200 and loser.get_json()["error"] == "invalid_grant"
    assert city.me(winner.get_json()["access_token"]).status_code == 200


def test_refresh_cannot_widen_the_scope_and_ends_with_the_family(city, authorized, db) -> None:  # type: ignore[no-untyped-def]
    wider = city.refresh(authorized["refresh_token"], scope="children_count age_bands")
    assert wider.get_json()["error"] == "invalid_scope"
    narrower = city.refresh(authorized["refresh_token"], scope="children_count").get_json()
    assert narrower["scope"] == "children_count"
    assert city.me(narrower["access_token"], items="town_group").get_json()["error"] == "insufficient_scope"
    row = db.exec(select(OAuthToken).where(OAuthToken.refresh_rotated_at.is_(None))).one()  # type: ignore[union-attr]
    assert row.refresh_expires_at <= row.issued_at + timedelta(days=30)
    row.refresh_expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    assert city.refresh(narrower["refresh_token"]).get_json()["error"] == "invalid_grant"


# -- C6 revocation and introspection -----------------------------------------------------------------------------


def test_revocation_and_introspection_need_client_authentication(city, authorized) -> None:  # type: ignore[no-untyped-def]
    for path in ("/oauth/revoke", "/oauth/introspect"):
        response = city.http.post(path, data={"token": authorized["access_token"]})
        assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert city.me(authorized["access_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_grant(city, authorized) -> None:  # type: ignore[no-untyped-def]
    assert city.introspect(authorized["access_token"]).get_json()["active"] is True
    assert city.revoke(authorized["refresh_token"]).status_code == 200
    assert city.me(authorized["access_token"]).status_code == 401
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.revoke("unknown-token").status_code == 200


def test_another_clients_token_is_neither_revoked_nor_introspected(app, db, city, authorized) -> None:  # type: ignore[no-untyped-def]
    other_key = new_key()
    with app.app_context():
        register_city(db, other_key, client_id="kashiwa-other")
    owner_key = city.key
    city.client_id, city.key = "kashiwa-other", other_key
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.revoke(authorized["access_token"]).status_code == 400
    city.client_id, city.key = "kashiwa-city", owner_key
    assert city.me(authorized["access_token"]).status_code == 200


def test_introspection_of_unknown_expired_and_revoked_tokens_is_only_inactive(city, authorized, db) -> None:  # type: ignore[no-untyped-def]
    active = city.introspect(authorized["access_token"]).get_json()
    assert active["active"] is True and active["scope"] == "children_count town_group notices"
    assert active["client_id"] == "kashiwa-city" and active["sub"]
    assert city.introspect("nothing-like-a-token").get_json() == {"active": False}
    row = db.exec(select(OAuthToken)).one()
    row.access_expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.me(authorized["access_token"]).status_code == 401
    assert city.introspect(authorized["refresh_token"]).get_json()["active"] is True


# -- C4 private_key_jwt -----------------------------------------------------------------------------------------


def _introspect_with(city, **assertion_overrides):  # type: ignore[no-untyped-def]
    return city.http.post("/oauth/introspect", data={**city.auth(**assertion_overrides), "token": "x"})


@pytest.mark.parametrize("overrides", [
    {"exp": -300}, {"aud": "https://other.example/"}, {"sub": None}, {"iat": 120}, {"iss": "someone-else"},
    {"jti": None}, {"exp": 3600},
], ids=["expired", "wrong-aud", "no-sub", "iat-future", "wrong-iss", "no-jti", "too-long"])
def test_bad_client_assertions_are_invalid_client(city, overrides) -> None:  # type: ignore[no-untyped-def]
    import time

    now = int(time.time())
    claims = {key: (now + value if key in ("exp", "iat") else value) for key, value in overrides.items()}
    response = _introspect_with(city, **claims)
    assert response.status_code == 401 and response.get_json() == {
        "error": "invalid_client", "error_description": "Client authentication failed."}  # which check: not told


def test_an_assertion_8_seconds_ahead_is_accepted_and_a_replayed_jti_is_not(city) -> None:  # type: ignore[no-untyped-def]
    import time

    assert _introspect_with(city, iat=int(time.time()) + 8).status_code == 200
    data = {**city.auth(jti="once-only"), "token": "x"}
    assert city.http.post("/oauth/introspect", data=data).status_code == 200
    replay = city.http.post("/oauth/introspect", data=data)
    assert replay.status_code == 401 and replay.get_json()["error"] == "invalid_client"


def test_only_es256_and_ps256_signatures_by_the_registered_key_count(app, db, city) -> None:  # type: ignore[no-untyped-def]
    from joserfc import jwt
    from joserfc.jwk import OctKey, RSAKey

    from app.oauth.models import OAuthClient

    rsa = RSAKey.generate_key(2048, auto_kid=True)
    registered = db.get(OAuthClient, "kashiwa-city")
    registered.jwks = {"keys": [city.key.as_dict(private=False), rsa.as_dict(private=False)]}
    db.add(registered)
    db.flush()
    assert _introspect_with(city, key=rsa, alg="PS256").status_code == 200
    assert _introspect_with(city, key=rsa, alg="RS256").status_code == 401
    assert _introspect_with(city, key=new_key()).status_code == 401  # someone else's key
    import time

    claims = {"iss": city.client_id, "sub": city.client_id, "aud": city.issuer, "jti": "h", "iat": int(time.time()),
              "exp": int(time.time()) + 60}
    hs = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(b"k" * 32), algorithms=["HS256"])
    unsigned = "eyJhbGciOiJub25lIn0." + hs.split(".")[1] + "."
    for assertion in (hs, unsigned, "a" * 9000, "not-a-jwt"):
        response = city.http.post("/oauth/introspect", data={**city.auth(), "client_assertion": assertion,
                                                               "token": "x"})
        assert response.status_code == 401, assertion[:20]


def test_a_disabled_client_cannot_authenticate_and_its_tokens_die(app, db, city, authorized) -> None:  # type: ignore[no-untyped-def]
    from app.oauth import clients

    with app.app_context():
        clients.disable(db, "kashiwa-city", actor="test")
        db.flush()
    assert city.me(authorized["access_token"]).status_code == 401
    assert _introspect_with(city).status_code == 401


def test_the_consent_screen_and_tokens_are_never_cached_or_framed(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    response = hanako_browser.get(city.authorize_url())
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    code = redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]
    token = city.exchange(code)
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"


def test_query_parameters_are_never_taken_from_the_token_body_of_another_flow(city) -> None:  # type: ignore[no-untyped-def]
    # A token request without a grant type, or with the assertion in the query string only, is refused.
    assert city.http.post("/oauth/token", data=city.auth()).get_json()["error"] == "unsupported_grant_type"
    query = urlencode(city.auth())
    response = city.http.post(f"/oauth/token?{query}", data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert response.status_code == 401


def test_the_consent_form_may_lead_only_to_the_clients_origin(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    policy = hanako_browser.get(city.authorize_url()).headers["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    assert "https://city.example.jp" in form_action and "evil" not in form_action
    assert "https://city.example.jp" not in hanako_browser.get("/consents").headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", [10**20, -(10**20), 1.5e300, True])
def test_absurd_times_in_an_assertion_are_invalid_client_not_a_crash(city, value) -> None:  # type: ignore[no-untyped-def]
    assert _introspect_with(city, exp=value).status_code == 401
    assert _introspect_with(city, iat=value).status_code == 401


def test_a_new_authorization_supersedes_the_clients_earlier_one(city, hanako_browser, authorized) -> None:  # type: ignore[no-untyped-def]
    second = city.exchange(redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))["code"]).get_json()
    assert city.me(second["access_token"]).status_code == 200
    assert city.me(authorized["access_token"]).status_code == 401
    assert city.refresh(authorized["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_a_stopped_offer_ends_introspection_and_refresh(app, db, city, authorized) -> None:  # type: ignore[no-untyped-def]
    from app.consent import catalogue

    with app.app_context():
        catalogue.activate_offer(db, actor="test", offer=catalogue.offer_for(db, "kashiwa_kosodate",
                                                                               "municipal_recommendation"), active=False)
        db.flush()
    assert city.me(authorized["access_token"]).get_json()["error"] == "consent_required"
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.refresh(authorized["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_metadata_lists_only_grantable_scopes(city) -> None:  # type: ignore[no-untyped-def]
    scopes = city.http.get("/.well-known/oauth-authorization-server").get_json()["scopes_supported"]
    assert "children_count" in scopes and "notices" in scopes
    assert not {"ecg", "birth_dates", "home_address"} & set(scopes)  # special care, or offered to no one


def test_a_name_that_starts_with_127_is_not_loopback() -> None:
    from app.oauth.hardening import acceptable_redirect_uri

    assert acceptable_redirect_uri("http://127.0.0.4:5100/callback")
    assert acceptable_redirect_uri("http://localhost:5000/cb")
    assert not acceptable_redirect_uri("http://127.evil.example/cb")
    assert not acceptable_redirect_uri("http://127.0.0.1.nip.io/cb")
