"""The bank's OIDC client against a certified, independent OpenID Provider: the npm package `oidc-provider`.

The same flows and attacks as test_linking.py (which runs against our own Smart Life Pass peer), with
oidc-provider configured as a second identity provider (`Settings.extra_identity_providers`). Two oidc-provider
processes run for the session: one reached directly, and one behind a proxy that can rewrite its token responses
(ID token attacks with tokens oidc-provider really signed). Both sign with the same key, so an ID token from the
other issuer is refused by the `iss` check, not merely by an unknown key. See tests/oidc_provider/.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from sqlmodel import Session, select

from app.accounts.linking import TOKEN_SEAL_LABEL
from app.accounts.models import LinkedAccount, Resident
from app.config import ExtraIdentityProvider, Settings
from app.crypto import unseal
from app.household.models import HomeAddress
from app.sessions import BrowserSession, hash_token
from tests.conftest import csrf_token, session_cookie_name
from tests.factories.accounts import ResidentFactory
from tests.oidc_provider.process import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    OidcProviderProcess,
    ProviderBrowser,
    TamperingProxy,
    callback_url,
    code_flow,
    new_signing_key,
    unverified_claims,
)
from tests.peer_services import bank_path

DIRECT = "oidc-provider"
PROXIED = "oidc-provider-proxied"
NOTHING_CHANGED = ("Nothing was changed", "何も変更")


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def signing_key() -> dict[str, Any]:
    return new_signing_key()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory, signing_key: dict[str, Any]) -> Iterator[OidcProviderProcess]:
    """oidc-provider reached directly; its issuer is the URL it listens on."""
    process = OidcProviderProcess(tmp_path_factory.mktemp("oidc-provider") / "direct.log",
                                  redirect_uri=callback_url(DIRECT), signing_key=signing_key)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def tampering_proxy(tmp_path_factory: pytest.TempPathFactory,
                    signing_key: dict[str, Any]) -> Iterator[tuple[TamperingProxy, OidcProviderProcess]]:
    """A second oidc-provider whose issuer is a proxy's URL: everything goes through the proxy."""
    proxy = TamperingProxy()
    try:
        process = OidcProviderProcess(tmp_path_factory.mktemp("oidc-provider") / "proxied.log",
                                      redirect_uri=callback_url(PROXIED), issuer=proxy.url, signing_key=signing_key)
    except BaseException:
        proxy.stop()
        raise
    proxy.upstream = process.url
    yield proxy, process
    process.stop()
    proxy.stop()


def _extra(key: str, process: OidcProviderProcess) -> ExtraIdentityProvider:
    return ExtraIdentityProvider(key=key, label=f"oidc-provider ({key})", issuer=process.issuer, client_id=CLIENT_ID,
                                 client_secret=process.client_secret)


@pytest.fixture
def oidc_settings(settings: Settings, oidc_provider: OidcProviderProcess, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The bank with oidc-provider as an extra identity provider (read from the settings on each request)."""
    monkeypatch.setattr(settings, "extra_identity_providers", [_extra(DIRECT, oidc_provider)])
    return settings


@pytest.fixture
def proxied(settings: Settings, tampering_proxy: tuple[TamperingProxy, OidcProviderProcess],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TamperingProxy, OidcProviderProcess]]:
    proxy, process = tampering_proxy
    monkeypatch.setattr(settings, "extra_identity_providers", [_extra(PROXIED, process)])
    proxy.reset()
    yield proxy, process
    proxy.reset()


@pytest.fixture
def idp_browsers() -> Iterator[Callable[[], ProviderBrowser]]:
    """New browsers at oidc-provider (each with its own cookies), closed after the test."""
    made: list[ProviderBrowser] = []

    def new() -> ProviderBrowser:
        made.append(ProviderBrowser())
        return made[-1]

    yield new
    for each in made:
        each.close()


# --- helpers ------------------------------------------------------------------------------------------------


def new_login() -> str:
    return f"resident-{secrets.token_hex(4)}"


def start_login(client: FlaskClient, key: str = DIRECT) -> str:
    response = client.post(f"/login/{key}", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return str(response.headers["Location"])


def log_in(client: FlaskClient, idp: ProviderBrowser, login: str, key: str = DIRECT):  # type: ignore[no-untyped-def]
    return client.get(bank_path(idp.authorize(start_login(client, key), login=login)))


def logged_in(client: FlaskClient) -> bool:
    return client.get("/terms").status_code == 200  # the one resident page a new account opens before agreeing


def links(db: Session) -> list[LinkedAccount]:
    return list(db.exec(select(LinkedAccount)))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters replaced (None removes one)."""
    parts = urlsplit(url)
    query = {**query_of(url), **changes}
    return parts._replace(query=urlencode({k: v for k, v in query.items() if v is not None})).geturl()


def refused(response: Any, status: int = 400) -> bool:
    page = response.get_data(as_text=True)
    return response.status_code == status and any(words in page for words in NOTHING_CHANGED)


def userinfo_status(document: dict[str, Any], access_token: str) -> int:
    return requests.get(document["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"},
                        timeout=10).status_code


def pending_verifier(client: FlaskClient, db: Session, state: str) -> str:
    """The PKCE verifier the bank keeps for `state` in this browser's server-side session."""
    token = client.get_cookie(session_cookie_name(client.application), domain="localhost")
    assert token is not None
    db.expire_all()
    row = db.get(BrowserSession, hash_token(token.value))
    assert row is not None
    return str(row.data["oauth_pending"][state]["verifier"])


# --- logging in -----------------------------------------------------------------------------------------------


def test_a_login_creates_an_account_linked_on_issuer_and_subject(client, db, oidc_settings, oidc_provider,
                                                                 idp_browsers) -> None:  # type: ignore[no-untyped-def]
    login = new_login()
    request = query_of(start_login(client))
    assert request["code_challenge_method"] == "S256" and request["redirect_uri"] == callback_url(DIRECT)
    assert set(request["scope"].split()) == {"openid", "profile", "email", "address"}
    location = idp_browsers().authorize(start_login(client), login=login)
    assert query_of(location)["iss"] == oidc_provider.issuer  # RFC 9207, sent by oidc-provider

    response = client.get(bank_path(location))
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    assert response.headers["Location"].startswith("/terms")
    resident = db.exec(select(Resident).where(Resident.email == f"{login}@example.jp")).one()
    assert resident.password_hash is None
    (link,) = links(db)
    assert (link.resident_id, link.provider, link.issuer, link.subject) == (resident.id, DIRECT, oidc_provider.issuer,
                                                                            login)
    assert link.access_token_sealed and link.refresh_token_sealed
    address = db.get(HomeAddress, resident.id)  # from oidc-provider's userinfo (standard `address` claim)
    assert address is not None and address.town == "柏の葉二丁目"
    assert logged_in(client)


def test_a_second_login_finds_the_link(client, other_client, db, oidc_settings, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    login = new_login()
    assert log_in(client, idp_browsers(), login).status_code == 303
    response = log_in(other_client, idp_browsers(), login)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert len(db.exec(select(Resident)).all()) == 1 and len(links(db)) == 1
    assert logged_in(other_client)


def test_the_same_email_under_another_subject_does_not_log_in_to_the_linked_account(
    client, other_client, db, oidc_settings, idp_browsers
) -> None:  # type: ignore[no-untyped-def]
    login = new_login()
    assert log_in(client, idp_browsers(), login).status_code == 303
    # `<login>-alt` is another person at oidc-provider (another `sub`) with the same email address.
    response = log_in(other_client, idp_browsers(), f"{login}-alt")
    assert response.status_code == 409
    assert not logged_in(other_client)
    assert [link.subject for link in links(db)] == [login]
    assert len(db.exec(select(Resident)).all()) == 1


def test_an_existing_password_account_with_the_same_email_is_never_joined(client, db, oidc_settings,
                                                                          idp_browsers) -> None:  # type: ignore[no-untyped-def]
    login = new_login()
    ResidentFactory(email=f"{login}@example.jp")
    response = log_in(client, idp_browsers(), login)
    assert response.status_code == 409
    assert links(db) == [] and not logged_in(client)


def test_cancelling_at_the_provider_changes_nothing(client, db, oidc_settings, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    location = idp_browsers().authorize(start_login(client), login=new_login(), decision="deny")
    assert query_of(location)["error"] == "access_denied"
    response = client.get(bank_path(location))
    assert refused(response) and links(db) == [] and not logged_in(client)


def test_linking_from_settings_and_unlinking_revokes_the_tokens_at_oidc_provider(client, db, oidc_settings,
                                                                                 oidc_provider, idp_browsers,
                                                                                 login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    start = client.post(f"/settings/connections/{DIRECT}/link",
                        data={"csrf_token": csrf_token(client, "/settings/connections")})
    assert start.status_code == 303
    subject = new_login()
    response = client.get(bank_path(idp_browsers().authorize(start.headers["Location"], login=subject)))
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    (link,) = links(db)
    assert (link.resident_id, link.issuer, link.subject) == (resident.id, oidc_provider.issuer, subject)
    key = oidc_settings.resolved_secret_key()
    access = unseal(link.access_token_sealed, secret_key=key, label=TOKEN_SEAL_LABEL)
    refresh = unseal(link.refresh_token_sealed, secret_key=key, label=TOKEN_SEAL_LABEL)
    document = oidc_provider.metadata()
    assert userinfo_status(document, access) == 200

    response = client.post(f"/settings/connections/{DIRECT}/unlink",
                           data={"csrf_token": csrf_token(client, f"/settings/connections/{DIRECT}/unlink")})
    assert response.status_code == 303 and links(db) == []
    assert userinfo_status(document, access) == 401  # revoked at oidc-provider (RFC 7009)
    again = requests.post(document["token_endpoint"], auth=(CLIENT_ID, oidc_provider.client_secret), timeout=10,
                          data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


# --- attacks on the authorization response --------------------------------------------------------------------


def test_a_replayed_callback_is_refused(client, db, oidc_settings, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    location = idp_browsers().authorize(start_login(client), login=new_login())
    assert client.get(bank_path(location)).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert not logged_in(client)
    replay = client.get(bank_path(location))
    assert refused(replay)
    assert not logged_in(client) and len(links(db)) == 1


def test_a_callback_delivered_to_another_browser_is_refused(client, other_client, db, oidc_settings,
                                                            idp_browsers) -> None:  # type: ignore[no-untyped-def]
    location = idp_browsers().authorize(start_login(client), login=new_login())
    stolen = other_client.get(bank_path(location))
    assert refused(stolen)
    assert not logged_in(other_client) and links(db) == []
    # The code was not spent on the thief: the browser that started the flow still finishes it.
    assert client.get(bank_path(location)).status_code == 303 and len(links(db)) == 1


@pytest.mark.parametrize("iss", ["https://evil.example", "", None], ids=["forged", "empty", "missing"])
def test_an_authorization_response_with_a_forged_or_missing_iss_is_refused(client, db, oidc_settings, oidc_provider,
                                                                           idp_browsers, iss) -> None:  # type: ignore[no-untyped-def]
    location = idp_browsers().authorize(start_login(client), login=new_login())
    assert query_of(location)["iss"] == oidc_provider.issuer
    assert refused(client.get(bank_path(with_query(location, iss=iss))))
    assert links(db) == [] and not logged_in(client)


def test_a_code_from_another_flow_fails_its_pkce_check(client, db, oidc_settings, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    """A code injected into a callback with another state of the same browser: oidc-provider's PKCE check
    (the bank sends that other state's verifier) refuses it, and the bank changes nothing."""
    idp, login = idp_browsers(), new_login()
    first = idp.authorize(start_login(client), login=login)
    second_state = query_of(start_login(client))["state"]
    injected = with_query(first, state=second_state)
    assert refused(client.get(bank_path(injected)))
    assert links(db) == [] and not logged_in(client)
    # oidc-provider refused before spending the code: the genuine callback still works.
    assert client.get(bank_path(first)).status_code == 303


def test_a_redeemed_code_cannot_be_redeemed_again(client, db, oidc_settings, oidc_provider, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    """Someone redeems the code first (with the right verifier, the worst case); oidc-provider refuses the bank's
    redemption of the same code, and revokes what it issued for it (RFC 6749 §4.1.2)."""
    location = idp_browsers().authorize(start_login(client), login=new_login())
    answer = query_of(location)
    document = oidc_provider.metadata()
    first = requests.post(document["token_endpoint"], auth=(CLIENT_ID, oidc_provider.client_secret), timeout=10, data={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": callback_url(DIRECT),
        "code_verifier": pending_verifier(client, db, answer["state"])})
    assert first.status_code == 200, first.text

    response = client.get(bank_path(location))
    assert refused(response)
    assert links(db) == [] and db.exec(select(Resident)).all() == [] and not logged_in(client)
    # The reuse made oidc-provider revoke what the first redemption got.
    assert userinfo_status(document, first.json()["access_token"]) == 401


# --- ID token attacks, through the tampering proxy ------------------------------------------------------------


def test_through_the_untouched_proxy_a_login_succeeds(client, db, proxied, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    """The control for the attacks below: the proxy alone breaks nothing."""
    proxy, process = proxied
    login = new_login()
    response = log_in(client, idp_browsers(), login, key=PROXIED)
    assert response.status_code == 303, response.get_data(as_text=True)[:600]
    (link,) = links(db)
    assert (link.issuer, link.subject) == (proxy.url, login) and process.issuer == proxy.url
    assert proxy.rewritten == 0 and logged_in(client)


def _flip_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return ".".join((header, payload, signature[:middle] + flipped + signature[middle + 1:]))


# The attack and the joserfc/authlib error the bank logs when it refuses the ID token.
ID_TOKEN_ATTACKS = {"bad_signature": "BadSignatureError", "other_audience": "InvalidClaimError",
                    "old_nonce": "InvalidClaimError", "other_issuer": "InvalidClaimError"}


@pytest.mark.parametrize("attack", ID_TOKEN_ATTACKS)
def test_a_tampered_id_token_logs_no_one_in_and_links_nothing(client, db, proxied, oidc_provider, idp_browsers,
                                                              attack, caplog) -> None:  # type: ignore[no-untyped-def]
    proxy, process = proxied
    login = new_login()
    idp = idp_browsers()
    authorization_url = start_login(client, PROXIED)
    nonce = query_of(authorization_url)["nonce"]
    substitute: str | None = None
    # Each substitute is a real oidc-provider ID token that is wrong in exactly one way.
    if attack == "other_audience":  # issued to another relying party, for the very nonce the bank sent
        substitute = code_flow(process, idp, login=login, nonce=nonce, client_id=OTHER_CLIENT_ID)["id_token"]
        assert unverified_claims(substitute)["aud"] == OTHER_CLIENT_ID
    elif attack == "old_nonce":  # the bank's own client, the same person, an earlier login (another nonce)
        substitute = code_flow(process, idp, login=login, nonce=secrets.token_urlsafe(32))["id_token"]
        assert unverified_claims(substitute)["aud"] == CLIENT_ID
    elif attack == "other_issuer":  # the other oidc-provider: same key, client id, subject and nonce; another issuer
        substitute = code_flow(oidc_provider, idp, login=login, nonce=nonce)["id_token"]
        assert unverified_claims(substitute)["iss"] == oidc_provider.issuer != process.issuer
    if substitute is not None:
        assert unverified_claims(substitute)["sub"] == login

    def rewrite(token_response: dict[str, Any]) -> dict[str, Any]:
        original = token_response["id_token"]
        token_response["id_token"] = _flip_signature(original) if attack == "bad_signature" else substitute
        return token_response

    proxy.rewrite = rewrite
    location = idp.authorize(authorization_url, login=login)
    with caplog.at_level(logging.WARNING, logger="app.accounts.oauth_client"):
        response = client.get(bank_path(location))
    assert proxy.rewritten == 1  # the bank really received the tampered token response
    assert refused(response)
    # …and refused it at the ID token check, for the reason the attack is about.
    assert f"ID token from {PROXIED} refused: {ID_TOKEN_ATTACKS[attack]}" in caplog.text
    assert links(db) == [] and db.exec(select(Resident)).all() == []
    assert not logged_in(client)


def test_a_login_through_the_proxy_after_the_attacks_still_works(client, db, proxied, idp_browsers) -> None:  # type: ignore[no-untyped-def]
    """Refusing a tampered token did not poison the bank's cached keys or metadata for this provider."""
    response = log_in(client, idp_browsers(), new_login(), key=PROXIED)
    assert response.status_code == 303 and len(links(db)) == 1
