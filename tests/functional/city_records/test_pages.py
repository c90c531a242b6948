"""The resident's pages: the start page and the form (the address the bank holds pre-filled; a 12-digit number
refused; the mandate must be ticked), one request at a time, the mandate as a page and as a JSON file whose signature
verifies with an independent library against the bank's JWKS."""

from __future__ import annotations

import json

import jwt as pyjwt
from sqlmodel import select

from app.city_records.models import CityRecordRequest
from app.household.models import HomeAddress
from tests.conftest import csrf_token
from tests.functional.city_records.conftest import HANAKO, start


def form(client, **values):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/city-records/new"), "name": HANAKO["name"], "birth_date": "1991-06-15",
            "address": HANAKO["address"], "years": "3", "mandate": "y", **values}
    return client.post("/city-records/new", data={k: v for k, v in data.items() if v is not None})


def test_the_start_page_and_the_form(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/city-records/").get_data(as_text=True)
    assert "Your records at Kashiwa City" in page and "Request my records" in page
    assert "Request your records from Kashiwa City" in client.get("/my-data").get_data(as_text=True)
    db.add(HomeAddress(resident_id=resident.id, postal_code="277-0882", region="千葉県", locality="柏市", town="柏の葉二丁目",
                       block="3番地1", source="smart-life-pass"))
    db.flush()
    new = client.get("/city-records/new").get_data(as_text=True)
    assert 'value="千葉県柏市柏の葉二丁目3番地1"' in new  # the address Azukari holds, to check
    assert "What Kashiwa City will see" in new and "Never your My Number" in new and "30 days" in new


def test_a_my_number_is_refused_and_the_mandate_must_be_ticked(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    answer = form(client, name="1234 5678 9012")
    assert answer.status_code == 422 and "Please do not enter your My Number" in answer.get_data(as_text=True)
    answer = form(client, mandate=None)
    assert answer.status_code == 422 and "Tick the box to give the mandate." in answer.get_data(as_text=True)
    assert db.exec(select(CityRecordRequest).where(CityRecordRequest.resident_id == resident.id)).all() == []


def test_one_request_at_a_time(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    answer = form(client)
    assert answer.status_code == 303
    [request] = db.exec(select(CityRecordRequest).where(CityRecordRequest.resident_id == resident.id)).all()
    assert answer.headers["Location"].endswith(f"/city-records/{request.id}")
    assert (request.period_to - request.period_from).days in (1095, 1096)
    page = client.get(f"/city-records/{request.id}").get_data(as_text=True)
    assert "Waiting for an answer from Kashiwa City." in page and "30 days after Kashiwa City receives it" in page
    again = client.get("/city-records/new")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/city-records/{request.id}")
    assert "Open your request" in client.get("/city-records/").get_data(as_text=True)


def test_the_mandate_reads_and_verifies(app, client, db, settings, resident) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident)
    page = client.get(f"/city-records/{request.id}/mandate").get_data(as_text=True)
    for text in ("柏市長", HANAKO["name"], HANAKO["address"], "子育て関連の行政サービス利用履歴", "第76条第2項",
                 "いつでも撤回できます", "Download the mandate (JSON)"):
        assert text in page, text
    download = client.get(f"/city-records/{request.id}/mandate.json")
    assert "attachment" in download.headers["Content-Disposition"]
    document = json.loads(download.data)
    assert document["mandate"]["jti"] == str(request.id) and document["typ"] == "disclosure-mandate+jws"
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    key = pyjwt.PyJWK(keys[0]).key
    body = pyjwt.api_jws.decode_complete(document["jws"], key, algorithms=["ES256"])
    assert json.loads(body["payload"]) == document["mandate"] and body["header"]["typ"] == "disclosure-mandate+jws"
