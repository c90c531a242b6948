"""The operator's client registry (console and CLI): only approved, offered purposes; exact, safe redirect URIs;
public keys only; disabling revokes."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.audit import AuditEvent
from app.oauth import clients
from app.oauth.models import OAuthClient
from tests.factories.staff import StaffFactory
from tests.functional.oauth.conftest import CITY, new_key


def _registration(key, **overrides):  # type: ignore[no-untyped-def]
    values = {"client_id": "city-2", "name": "柏市 システム2", "recipient_key": CITY[0], "purpose_key": CITY[1],
              "redirect_uris": ["https://city.example.jp/cb"], "scopes": ["children_count", "notices"],
              "jwks": {"keys": [key.as_dict(private=False)]}}
    return clients.ClientRegistration(**{**values, **overrides})


@pytest.mark.parametrize("overrides", [
    {"client_id": "Bad ID"},
    {"purpose_key": "event_recommendation"},  # no offer of this recipient for it
    {"scopes": ["birth_dates"]},  # not an item of the offer
    {"scopes": ["notices"]},  # no data item at all
    {"redirect_uris": ["https://client@evil.example/cb"]},
    {"redirect_uris": ["http://city.example.jp/cb"]},
    {"redirect_uris": ["https://city.example.jp/cb#x"]},
    {"redirect_uris": []},
    {"jwks": None},
    {"client_id": "city-2\n"},
    {"name": "x" * 201},
    {"redirect_uris": ["https://city.example.jp/" + "a" * 300]},
])
def test_bad_registrations_are_refused(app, db, offers, overrides) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(clients.InvalidClientRegistration):
        clients.register(db, _registration(new_key(), **overrides), actor="test")


def test_special_care_items_are_never_client_scopes(app, db, offers) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(clients.InvalidClientRegistration):
        clients.register(db, _registration(new_key(), recipient_key="health_app_b", purpose_key="transfer_health",
                                           scopes=["health_score", "ecg"]), actor="test")


def test_a_private_key_is_refused_in_a_key_set() -> None:
    with pytest.raises(clients.InvalidClientRegistration):
        clients.parse_jwks(json.dumps({"keys": [new_key().as_dict(private=True)]}))
    with pytest.raises(clients.InvalidClientRegistration):
        clients.parse_jwks("{not json")


def test_the_operator_registers_and_disables_a_client_in_the_console(client, db, login, csrf, offers) -> None:  # type: ignore[no-untyped-def]
    operator = StaffFactory(operator=True)
    login(client, operator)
    page = client.get("/operator/clients/").get_data(as_text=True)
    assert "柏市 こども部 子育て支援課" in page
    offer_id = offers[CITY].offer.id
    token = csrf(client, "/operator/clients/")
    form = {"csrf_token": token, "client_id": "city-console", "name": "柏市 窓口システム", "offer": str(offer_id),
            "scopes": ["children_count", "notices"], "redirect_uris": "https://city.example.jp/cb",
            "jwks": json.dumps({"keys": [new_key().as_dict(private=False)]})}
    refused = client.post("/operator/clients/", data={**form, "redirect_uris": "https://a@b.example/cb"})
    assert refused.status_code == 422 and db.get(OAuthClient, "city-console") is None
    assert client.post("/operator/clients/", data=form).status_code == 303
    registered = db.get(OAuthClient, "city-console")
    assert registered.scopes == ["children_count", "notices"] and registered.created_by == operator.principal
    assert client.post("/operator/clients/city-console/disable", data={"csrf_token": token}).status_code == 303
    db.expire_all()
    assert db.get(OAuthClient, "city-console").disabled_at is not None
    tags = {e.tag for e in db.exec(select(AuditEvent))}
    assert {"oauth:client:register", "oauth:client:disable"} <= tags


def test_the_client_registry_is_for_operators_only(client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, StaffFactory(municipal=True))
    assert client.get("/operator/clients/").status_code == 403


def test_keys_must_be_p256_or_rsa_2048_to_4096(app, db, offers) -> None:  # type: ignore[no-untyped-def]
    import warnings

    from joserfc.jwk import ECKey, RSAKey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc rightly warns about a 1024-bit key: this test wants one
        small_rsa = RSAKey.generate_key(1024)
    for weak in (small_rsa, ECKey.generate_key("P-384")):
        with app.app_context(), pytest.raises(clients.InvalidClientRegistration):
            clients.register(db, _registration(new_key(), jwks={"keys": [weak.as_dict(private=False)]}), actor="t")
    with app.app_context():
        rsa = RSAKey.generate_key(2048)
        clients.register(db, _registration(new_key(), jwks={"keys": [rsa.as_dict(private=False)]}), actor="t")


def test_re_registering_keeps_a_disabled_client_disabled(app, db, offers) -> None:  # type: ignore[no-untyped-def]
    key = new_key()
    with app.app_context():
        clients.register(db, _registration(key), actor="t")
        clients.disable(db, "city-2", actor="t")
        clients.register(db, _registration(key, name="renamed"), actor="t", replace=True)
        db.flush()
    assert db.get(OAuthClient, "city-2").disabled_at is not None
