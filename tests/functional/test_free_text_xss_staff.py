"""Script in any free text staff put in is shown as text, to them and to residents: a service's texts and source in
the municipal console (and the feed), the consent catalogue's recipients, purposes and approvals (and the consent
pages, receipts and ledger), an OAuth client's registration (and the bank's consent screen), 柏市's answers to a
city-records request (and the resident's pages), and a code typed at a partner's counter. A refused form comes back
with the payloads as its values, escaped; a `javascript:` address is refused. (Staff names, partners' events and
coupons: in Chromium, e2e/test_hostile_input.py and e2e/test_hostile_listings.py.)"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.catalog.models import CatalogService
from app.consent.models import Offer
from app.db import utcnow
from app.ebpm import services as ebpm
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.catalog.test_console import form_data
from tests.functional.city_records.conftest import start
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.recommend.test_feed import SERVICES, family, grant  # noqa: F401  (fixture)
from tests.functional.test_free_text_xss import PAYLOAD, TIGHT, assert_inert

HOSTILE_URL = f"https://example.jp/?q={TIGHT}"  # https, with an attribute breakout in it


def post(client, path: str, csrf_from: str, **data):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, csrf_from), **data})


def html(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_a_services_texts_in_the_console_and_the_feed(  # type: ignore[no-untyped-def]
    app,
    client,
    other_client,
    db,
    login,
    settings,
    family,  # noqa: F811
) -> None:
    with freeze_time("2026-11-26 03:00:00", tick=True):  # the family's 10-month-old is eligible for this service
        login(client, StaffFactory(municipal=True))
        row = db.get(CatalogService, "svc_daretsu")
        eligibility = {**row.eligibility, "income_condition_text": PAYLOAD, "other_conditions": [PAYLOAD]}
        texts = {
            name: PAYLOAD
            for name in ("name_ja", "name_en", "description_ja", "description_en", "how_to_apply_ja", "how_to_apply_en")
        }
        path = "/municipal/services/svc_daretsu"
        refused = post(
            client, path, path, **form_data(row, **texts, source_url="javascript:alert(1)", eligibility=json.dumps(eligibility))
        )
        assert refused.status_code == 422
        assert_inert(refused.get_data(as_text=True))
        saved = post(client, path, path, **form_data(row, **texts, source_url=HOSTILE_URL, eligibility=json.dumps(eligibility)))
        assert saved.status_code == 303, saved.get_data(as_text=True)[:1000]
        assert_inert(html(client, "/municipal/services/"))
        assert_inert(html(client, path))
        ebpm.release(db, "2026-10")
        assert_inert(html(client, "/municipal/ebpm/?service=svc_daretsu"))  # EBPM names the service

        grant(app, db, settings, family, SERVICES)
        login(other_client, family)
        for path in ("/", "/feed", "/feed/services/svc_daretsu"):  # home's feed card, the feed, the service
            page = html(other_client, path)
            assert_inert(page)
            assert "javascript:" not in page


def test_the_consent_catalogues_texts(client, other_client, db, login, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The operator adds a recipient and a purpose, records the board's approvals and offers them; a resident
    consents: the catalogue, 同意, the receipt (with its JSON) and the ledger's history show the texts as text."""
    login(client, StaffFactory(operator=True))
    console = "/operator/catalogue/"
    recipient = {
        "recipient-key": "hostile_recipient",
        "recipient-legal_name": PAYLOAD,
        "recipient-name_en": PAYLOAD,
        "recipient-kind": "partner",
        "recipient-address": PAYLOAD,
        "recipient-contact": PAYLOAD,
    }
    refused = post(
        client,
        f"{console}recipients",
        console,
        **recipient,
        **{"recipient-privacy_policy_url": "javascript://example.jp/%0Aalert(1)"},
    )
    assert refused.status_code == 422
    assert_inert(refused.get_data(as_text=True))
    assert (
        post(client, f"{console}recipients", console, **recipient, **{"recipient-privacy_policy_url": HOSTILE_URL}).status_code
        == 303
    )
    assert (
        post(
            client,
            f"{console}purposes",
            console,
            **{
                "purpose-key": "hostile_purpose",
                "purpose-name_ja": PAYLOAD,
                "purpose-name_en": PAYLOAD,
                "purpose-benefit_ja": PAYLOAD,
                "purpose-benefit_en": PAYLOAD,
                "purpose-retention_days": "30",
            },
        ).status_code
        == 303
    )
    for kind, key in (("recipient", "hostile_recipient"), ("purpose", "hostile_purpose")):
        assert (
            post(
                client, f"{console}approvals", console, kind=kind, key=key, approved_on="2026-11-20", minutes_ref=PAYLOAD
            ).status_code
            == 303
        )
    assert (
        post(
            client,
            f"{console}offers",
            console,
            **{"offer-recipient": "hostile_recipient", "offer-purpose": "hostile_purpose", "offer-items": "age_bands"},
        ).status_code
        == 303
    )
    offer = db.exec(select(Offer).where(Offer.recipient_key == "hostile_recipient")).one()
    assert post(client, f"{console}offers/{offer.id}/activate", console).status_code == 303
    assert_inert(html(client, console))

    login(other_client, ResidentFactory())
    page = html(other_client, "/consents")
    assert_inert(page)
    assert f'id="offer-{offer.id}"' in page and "javascript:" not in page
    granted = post(other_client, f"/consents/{offer.id}/grant", "/consents", all="1")
    assert granted.status_code == 303, granted.get_data(as_text=True)[:1000]
    for path in ("/consents", granted.headers["Location"], "/consents/receipts", "/my-data/history"):
        assert_inert(html(other_client, path))


def test_an_oauth_clients_registration(client, other_client, db, login, offers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The operator's form comes back with every value when refused; the name registered is on the operator's list
    and on the bank's consent screen."""
    login(client, StaffFactory(operator=True))
    city = offers[("kashiwa_kosodate", "municipal_recommendation")]
    values = {
        "offer": str(city.offer.id),
        "name": PAYLOAD,
        "redirect_uris": HOSTILE_URL,
        "scopes": "children_count",
        "jwks": json.dumps(
            {
                "keys": [
                    {
                        "kty": "EC",
                        "crv": "P-256",
                        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                        "kid": PAYLOAD,
                    }
                ]
            }
        ),
    }
    refused = post(client, "/operator/clients/", "/operator/clients/", client_id=PAYLOAD, jwks_uri=HOSTILE_URL, **values)
    assert refused.status_code in (400, 422)
    assert_inert(refused.get_data(as_text=True))
    registered = post(client, "/operator/clients/", "/operator/clients/", client_id="hostile-client", **values)
    assert registered.status_code == 303, registered.get_data(as_text=True)[:1000]
    assert_inert(html(client, "/operator/clients/"))

    login(other_client, ResidentFactory())
    consent = other_client.get(
        "/oauth/authorize?"
        + "&".join(
            [
                "response_type=code",
                "client_id=hostile-client",
                f"redirect_uri={HOSTILE_URL}",
                "scope=children_count",
                "state=s",
                "code_challenge=" + "a" * 43,
                "code_challenge_method=S256",
            ]
        )
        .replace('"', "%22")
        .replace("'", "%27")
    )
    assert consent.status_code == 200, consent.get_data(as_text=True)[:1000]
    assert_inert(consent.get_data(as_text=True))


def answers_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["request_id", "decision", "reason", "service_id", "used_from", "used_to", "child_birth_date", "note"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(client, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/municipal/city-records/answers",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/municipal/city-records/"), "file": (io.BytesIO(content), "answers.csv")},
    )


def test_kashiwa_citys_answers(app, client, other_client, db, login, settings, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """柏市's staff answer by CSV (the same fields as its API's answers, with the receipt number): a refused line is
    reported, then a record's note and a refusal's reason reach the residents' pages."""
    disclosed, refused = ResidentFactory(), ResidentFactory()
    one, two = start(app, db, settings, disclosed), start(app, db, settings, refused)
    one.receipt_number = PAYLOAD[:64]  # what 柏市's API answered when it received the request
    db.add(one)
    db.flush()
    login(client, StaffFactory(municipal=True))
    used_from = (utcnow() - timedelta(days=30)).date().isoformat()
    bad = upload(client, answers_file([[str(one.id), "disclose", "", PAYLOAD, used_from, "", "", PAYLOAD]]))
    assert bad.status_code == 422
    assert_inert(bad.get_data(as_text=True), shown=False)
    good = upload(
        client,
        answers_file(
            [
                [str(one.id), "disclose", "", "svc_daretsu", used_from, "", "", PAYLOAD[:200]],
                [str(two.id), "not_disclose", PAYLOAD, "", "", "", "", ""],
            ]
        ),
    )
    assert good.status_code == 303, good.get_data(as_text=True)[:2000]
    assert_inert(html(client, "/municipal/city-records/?show=all"), shown=False)
    for resident, request in ((disclosed, one), (refused, two)):
        db.refresh(request)
        assert request.state in ("delivered", "decided_not_disclose")
        login(other_client, resident)
        assert_inert(html(other_client, f"/city-records/{request.id}"))
    login(other_client, disclosed)
    assert_inert(html(other_client, "/my-data"), shown=False)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_code_typed_at_a_partners_counter(client, db, login, loaded_catalog, htmx) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A mistyped (here hostile) code is refused, and the form (or its htmx result) stays inert."""
    login(client, StaffFactory(partner=True))
    page = html(client, "/partner/scan/")
    target = re.search(r'<option value="((?:event|coupon):[^"]+)"', page)
    assert target, "the partner has nothing to scan for"
    headers = {"HX-Request": "true", "HX-Target": "scan-result"} if htmx else {}
    response = client.post(
        "/partner/scan/",
        headers=headers,
        data={"csrf_token": csrf_token(client, "/partner/scan/"), "target": target.group(1), "code": PAYLOAD[:80]},
    )
    assert response.status_code == 422
    assert_inert(response.get_data(as_text=True), shown=False)
