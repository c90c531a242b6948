"""The resource API: only consented items leave, each call is a provision record, withdrawal ends access at once,
and notices arrive under the consent that allowed them."""

from __future__ import annotations

import json

from sqlmodel import select

from app.consent import catalogue, decisions, provenance
from app.household.models import Child, HomeAddress
from app.inbox.models import Notice
from app.ledger.models import RecordKind
from app.ledger.services import history, verify_chain
from app.oauth.models import OAuthToken
from tests.factories.accounts import ResidentFactory
from tests.functional.oauth.conftest import CITY, allow, redirect_params


def _household(db, resident) -> None:  # type: ignore[no-untyped-def]
    db.add_all([Child(guardian_id=resident.id, birth_year=2024, birth_month=4, birth_day=2, nickname="a"),
                Child(guardian_id=resident.id, birth_year=2015, birth_month=6, birth_day=1, nickname="b")])
    db.add(HomeAddress(resident_id=resident.id, postal_code="277-0871", region="千葉県", locality="柏市",
                       town="若柴", block="178-4", source="smart-life-pass"))
    db.flush()


def _provisions(db, resident):  # type: ignore[no-untyped-def]
    return [e for e in history(db, resident.principal, kinds=[RecordKind.PROVISION])]


def test_only_the_granted_items_are_served_and_each_call_is_recorded(city, hanako, db, settings, authorized) -> None:  # type: ignore[no-untyped-def]
    _household(db, hanako)
    response = city.me(authorized["access_token"])
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert body["items"] == {"children_count": 2, "town_group": "kashiwanoha_pilot"}
    assert set(body) == {"sub", "recipient", "purpose", "items", "withheld", "provided_at", "record", "provided_by"}
    # `provided_by` is the bank's own name, address and how it obtained the items (G1; the demo bank's address is in
    # 若柴 too): all constants, nothing of hers. The rest of the answer holds nothing she did not consent to.
    assert body["provided_by"] == provenance.for_items(settings, ["children_count", "town_group"])
    raw = json.dumps({key: value for key, value in body.items() if key != "provided_by"}, ensure_ascii=False)
    for leaked in ("age_bands", "2024", "若柴", "178", hanako.email, str(hanako.id)):
        assert leaked not in raw
    records = _provisions(db, hanako)
    assert len(records) == 1 and records[0].record.seq == body["record"]
    payload = records[0].payload
    assert payload["recipient"] == CITY[0] and payload["items"] == ["children_count", "town_group"]
    assert payload["via"] == {"client": "kashiwa-city", "method": "resource_api", "endpoint": "/api/v1/me"}
    city.me(authorized["access_token"], items="children_count")
    assert len(_provisions(db, hanako)) == 2
    assert verify_chain(db, hanako.principal).ok


def test_a_ledger_that_cannot_record_the_provision_means_a_503_and_no_data(city, hanako, db, authorized,  # type: ignore[no-untyped-def]
                                                                           monkeypatch) -> None:
    """G1 at the edge: the provision record is written in the same transaction as the answer; when the database
    fails there, the recipient gets 503 with Retry-After and not one item, and nothing is recorded."""
    from sqlalchemy.exc import OperationalError

    from app.consent import enforce

    _household(db, hanako)

    def ledger_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT INTO ledger_record …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(enforce, "append_many", ledger_down)
    response = city.me(authorized["access_token"])
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "temporarily_unavailable"
    raw = response.get_data(as_text=True)
    assert "children_count" not in raw and "kashiwanoha" not in raw
    assert _provisions(db, hanako) == []
    monkeypatch.undo()  # the ledger is back: the same call answers, and is recorded once
    again = city.me(authorized["access_token"])
    assert again.status_code == 200 and len(_provisions(db, hanako)) == 1


def test_a_grant_of_children_count_only_never_yields_the_area(city, hanako_browser, hanako, db) -> None:  # type: ignore[no-untyped-def]
    _household(db, hanako)
    params = redirect_params(allow(hanako_browser, city.authorize_url(), ["children_count"]))
    token = city.exchange(params["code"]).get_json()
    assert token["scope"] == "children_count notices"
    refused = city.me(token["access_token"], items="town_group")
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert "kashiwanoha" not in refused.get_data(as_text=True) and not _provisions(db, hanako)
    widened = city.refresh(token["refresh_token"], scope="children_count town_group")
    assert widened.get_json()["error"] == "invalid_scope"


def test_withdrawal_refuses_the_next_call_and_deactivates_the_token(app, city, hanako, hanako_browser, db,  # type: ignore[no-untyped-def]
                                                                     settings, authorized) -> None:
    assert city.me(authorized["access_token"]).status_code == 200
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *CITY).id)
        decisions.withdraw(db, settings, resident=hanako, view=view, items=["town_group"])
        db.flush()
    refused = city.me(authorized["access_token"])
    assert refused.status_code == 403 and refused.get_json() == {
        "error": "consent_required", "error_description": refused.get_json()["error_description"]}
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.refresh(authorized["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert {t.revoked_reason for t in db.exec(select(OAuthToken))} == {"consent_withdrawn"}
    assert len(_provisions(db, hanako)) == 1


def test_withdrawing_an_item_outside_the_token_leaves_it_alone(app, city, hanako, hanako_browser, db, settings) -> None:  # type: ignore[no-untyped-def]
    params = redirect_params(allow(hanako_browser, city.authorize_url(), ["children_count"]))
    token = city.exchange(params["code"]).get_json()
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *CITY).id)
        decisions.grant(db, settings, resident=hanako, view=view, items=["age_bands"])
        decisions.withdraw(db, settings, resident=hanako, view=view, items=["age_bands"])
        db.flush()
    assert city.me(token["access_token"]).status_code == 200


def test_an_expired_consent_is_refused_at_the_call(city, hanako, db, authorized) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.consent.models import Grant
    from app.db import utcnow

    for grant in db.exec(select(Grant).where(Grant.resident_id == hanako.id)):
        grant.expires_at = utcnow() - timedelta(seconds=1)
        db.add(grant)
    db.flush()
    refused = city.me(authorized["access_token"])
    assert refused.status_code == 403 and refused.get_json()["error"] == "consent_required"
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}


def test_bearer_errors_follow_rfc_6750(city) -> None:  # type: ignore[no-untyped-def]
    missing = city.http.get("/api/v1/me")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]
    bad = city.me("not-a-token")
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert city.http.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_two_residents_each_get_only_their_own_data_under_different_subjects(app, db, city, hanako, authorized,  # type: ignore[no-untyped-def]
                                                                              login) -> None:
    taro = ResidentFactory()
    _household(db, hanako)
    taro_browser = app.test_client()
    login(taro_browser, taro)
    taro_token = city.exchange(redirect_params(allow(taro_browser, city.authorize_url(), ["children_count"]))["code"])
    hanako_answer = city.me(authorized["access_token"]).get_json()
    taro_answer = city.me(taro_token.get_json()["access_token"]).get_json()
    assert hanako_answer["items"]["children_count"] == 2 and taro_answer["items"]["children_count"] == 0
    assert hanako_answer["sub"] != taro_answer["sub"]
    assert [e.payload["items"] for e in _provisions(db, taro)] == [["children_count"]]


def test_notices_arrive_once_under_the_consent_and_stop_with_it(app, city, hanako, db, settings, authorized) -> None:  # type: ignore[no-untyped-def]
    token = authorized["access_token"]
    city.me(token)
    notice = {"id": "ichiji-1", "title": "一時預かりのご案内", "body": "ご利用いただけます。",
              "link": "https://www.city.kashiwa.lg.jp/"}
    first = city.notice(token, **notice)
    assert first.status_code == 201
    assert city.notice(token, **notice).status_code == 200
    stored = db.exec(select(Notice)).one()
    assert stored.recipient_key == CITY[0] and stored.consent_receipt_id is not None
    assert stored.ledger_seq == _provisions(db, hanako)[0].record.seq
    assert city.notice(token, id="x", title="t", link="javascript:alert(1)").status_code == 400
    assert city.notice(token, id="x", title="t" * 121).status_code == 400
    assert city.http.post("/api/v1/notices", data="nope", headers={"Authorization": f"Bearer {token}"}).status_code == 400
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *CITY).id)
        decisions.withdraw(db, settings, resident=hanako, view=view)
        db.flush()
    assert city.notice(token, id="ichiji-2", title="また").status_code == 403
    assert len(db.exec(select(Notice)).all()) == 1


def test_a_token_without_the_notices_scope_cannot_send(city, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    params = redirect_params(allow(hanako_browser, city.authorize_url(scope="children_count"), ["children_count"]))
    token = city.exchange(params["code"]).get_json()
    refused = city.notice(token["access_token"], id="n", title="t")
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"


def test_the_openapi_document_describes_the_api(city) -> None:  # type: ignore[no-untyped-def]
    document = city.http.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1") and {"/me", "/notices"} <= set(document["paths"])
    assert {"/intake", "/intake/{id}/records", "/intake/{id}/complete", "/transfers", "/transfers/{id}/items",
            "/transfers/{id}/receipt"} <= set(document["paths"])  # one-stop switching (docs/switching.md)
    assert document["servers"][0]["url"].endswith("/api/v1")
    json.dumps(document)


def test_the_resident_disconnects_a_system(city, hanako_browser, authorized, csrf) -> None:  # type: ignore[no-untyped-def]
    page = hanako_browser.get("/consents/connections").get_data(as_text=True)
    assert "柏市 子育て支援システム" in page and "児童数" in page
    token = csrf(hanako_browser, "/consents/connections")
    response = hanako_browser.post("/consents/connections/kashiwa-city/disconnect", data={"csrf_token": token})
    assert response.status_code == 303
    assert city.me(authorized["access_token"]).status_code == 401
    assert "柏市 子育て支援システム" not in hanako_browser.get("/consents/connections").get_data(as_text=True)
    again = hanako_browser.post("/consents/connections/kashiwa-city/disconnect", data={"csrf_token": token})
    assert again.status_code == 404


def test_another_resident_cannot_disconnect_hanakos_system(app, city, authorized, login, csrf) -> None:  # type: ignore[no-untyped-def]
    taro_browser = app.test_client()
    login(taro_browser, ResidentFactory())
    token = csrf(taro_browser, "/consents/connections")
    response = taro_browser.post("/consents/connections/kashiwa-city/disconnect", data={"csrf_token": token})
    assert response.status_code == 404
    assert city.me(authorized["access_token"]).status_code == 200


def test_stopping_notices_in_the_inbox_revokes_the_senders_tokens(city, hanako_browser, authorized, csrf) -> None:  # type: ignore[no-untyped-def]
    token = csrf(hanako_browser, "/inbox")
    path = f"/inbox/senders/{CITY[0]}/{CITY[1]}/stop"
    assert hanako_browser.post(path, data={"csrf_token": token}).status_code == 303
    assert city.me(authorized["access_token"]).get_json()["error"] == "consent_required"
    assert city.refresh(authorized["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_the_challenge_never_carries_the_requests_text(city, authorized) -> None:  # type: ignore[no-untyped-def]
    for items in ('a",error="invalid_token', "a%0d%0aX-Injected:1", "age_bands"):
        response = city.me(authorized["access_token"], items=items)
        assert response.status_code == 403
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.count("error=") == 1 and "X-Injected" not in str(response.headers)
    assert 'scope="age_bands"' in challenge


def test_a_refresh_token_is_not_an_access_token(city, authorized) -> None:  # type: ignore[no-untyped-def]
    response = city.me(authorized["refresh_token"])
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"


def test_a_sender_has_a_daily_quota(city, authorized, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.oauth import api

    monkeypatch.setattr(api, "NOTICES_PER_SENDER_PER_DAY", 2)
    token = authorized["access_token"]
    assert [city.notice(token, id=f"n{i}", title="t").status_code for i in range(3)] == [201, 201, 429]


def test_re_registering_a_client_for_less_revokes_its_tokens(app, db, city, city_key, authorized) -> None:  # type: ignore[no-untyped-def]
    from app.oauth import clients
    from tests.functional.oauth.conftest import REDIRECT_URI

    with app.app_context():
        clients.register(db, clients.ClientRegistration(
            client_id="kashiwa-city", name="柏市 子育て支援システム", recipient_key=CITY[0], purpose_key=CITY[1],
            redirect_uris=[REDIRECT_URI], scopes=["children_count", "notices"],
            jwks={"keys": [city_key.as_dict(private=False)]}), actor="test", replace=True)
        db.flush()
    assert city.me(authorized["access_token"]).status_code == 401
