"""Delivered records are checked before they are held; the feed says "you used it" and stops urging a one-time
service every child concerned has used; 柏市's peer finds a person by name, birth date and address however typed."""

from __future__ import annotations

from datetime import date

import pytest

from app.city_records.usage import RecordProblem, clean_record, clean_records, history_value, looks_like_my_number
from app.peers.kashiwa_city.records import ADDRESS_MISMATCH, NO_RECORD, decide, load_households, normal_address, normal_name
from app.recommend.usage_history import annotate, used_reason

PERIOD = (date(2023, 11, 27), date(2026, 11, 26))


def result(service_id: str, status: str = "eligible", children: tuple[int, ...] = (0,)) -> dict:
    return {"service_id": service_id, "status": status, "soon_from": "2027-01-01" if status == "soon" else None,
            "reasons": [{"ja": "対象です", "en": "Eligible"}], "child_indexes": list(children)}


def test_a_record_is_checked_and_normalised() -> None:
    assert clean_record({"service_id": "svc_kenshin_3y", "used_from": "2024/06/18", "child_birth_date": "2021-05-12",
                         "note": " 集団 "}, period=PERIOD) == {
        "service_id": "svc_kenshin_3y", "used_from": "2024-06-18", "used_to": None, "child_birth_date": "2021-05-12",
        "note": "集団"}
    for raw, field in [({"service_id": "Bad Id", "used_from": "2024-06-18"}, "service_id"),
                       ({"service_id": "svc_x", "used_from": "2001-01-01"}, "used_from"),
                       ({"service_id": "svc_x", "used_from": "2024-06-18", "note": "１２３４５６７８９０１２"}, "note")]:
        with pytest.raises(RecordProblem) as problem:
            clean_record(raw, period=PERIOD)
        assert problem.value.field == field
    with pytest.raises(RecordProblem):
        clean_records([{"service_id": "svc_x", "used_from": "2024-01-01"}] * 1001)


def test_my_number_shapes() -> None:
    assert looks_like_my_number("1234 5678 9012") and looks_like_my_number("１２３４-５６７８-９０１２")
    assert not looks_like_my_number("柏市柏の葉2-3-1") and not looks_like_my_number("12345678901")
    assert not looks_like_my_number("1234567890123")  # thirteen digits is something else


def test_the_item_value_is_sorted_and_none_without_records() -> None:
    assert history_value(None) is None and history_value([]) is None
    rows = [("svc_b", date(2025, 1, 2), None), ("svc_a", date(2024, 3, 4), date(2024, 1, 1))]
    assert history_value(rows) == [{"service_id": "svc_a", "used_on": "2024-03-04", "child_birth_date": "2024-01-01"},
                                   {"service_id": "svc_b", "used_on": "2025-01-02", "child_birth_date": None}]


def test_a_used_service_says_when() -> None:
    history = [{"service_id": "svc_ichiji_azukari_hoikuen", "used_on": "2025-06-02", "child_birth_date": None},
               {"service_id": "svc_ichiji_azukari_hoikuen", "used_on": "2026-10-08", "child_birth_date": None}]
    [annotated, untouched] = annotate([result("svc_ichiji_azukari_hoikuen"), result("svc_daretsu")], history,
                                      ["2024-04-01"])
    assert annotated["status"] == "eligible" and annotated["used_on"] == "2026-10-08"
    assert annotated["reasons"][0] == {"ja": "利用履歴があります（2026年10月）", "en": "You used it (October 2026)"}
    assert untouched["reasons"] == [{"ja": "対象です", "en": "Eligible"}] and "used_on" not in untouched
    assert annotate([result("svc_x")], None, []) == [result("svc_x")]


def test_a_check_up_done_for_every_child_concerned_is_not_urged_again() -> None:
    births = ["2024-04-01", "2025-02"]  # the second known by year and month only
    done_for_first = [{"service_id": "svc_kenshin_1y6m", "used_on": "2025-10-14", "child_birth_date": "2024-04-01"}]
    [first_only] = annotate([result("svc_kenshin_1y6m", children=(0,))], done_for_first, births)
    assert first_only["status"] == "done" and first_only["reasons"][0]["en"] == "Already done (October 2025)"
    [both] = annotate([result("svc_kenshin_1y6m", "soon", children=(0, 1))], done_for_first, births)
    assert both["status"] == "soon" and both["soon_from"] == "2027-01-01"  # the second child still has it ahead
    both_done = done_for_first + [{"service_id": "svc_kenshin_1y6m", "used_on": "2026-09-01",
                                   "child_birth_date": "2025-02-11"}]
    [both] = annotate([result("svc_kenshin_1y6m", "soon", children=(0, 1))], both_done, births)
    assert both["status"] == "done" and both["soon_from"] is None
    # The two infant check-ups: one is not both.
    one_visit = [{"service_id": "svc_nyuji_kenshin", "used_on": "2024-07-10", "child_birth_date": "2024-04-01"}]
    assert annotate([result("svc_nyuji_kenshin")], one_visit, births)[0]["status"] == "eligible"
    assert annotate([result("svc_nyuji_kenshin")], one_visit * 2, births)[0]["status"] == "done"
    # Not a one-time service, or not urged anyway: the status stays.
    vaccination = [{"service_id": "svc_teiki_yobosesshu", "used_on": "2025-04-10", "child_birth_date": "2024-04-01"}]
    assert annotate([result("svc_teiki_yobosesshu")], vaccination, births)[0]["status"] == "eligible"
    assert annotate([result("svc_kenshin_1y6m", "not_eligible")], done_for_first, births)[0]["status"] == "not_eligible"
    assert used_reason("2026-01-05", done=False)["ja"] == "利用履歴があります（2026年1月）"


def test_the_city_finds_a_person_however_the_address_is_typed() -> None:
    assert normal_address("〒277-0882 千葉県柏市柏の葉二丁目3番地1") == "柏市柏の葉2-3-1"
    assert normal_address("柏市柏の葉２－３－１") == "柏市柏の葉2-3-1"
    assert normal_address("千葉県柏市柏の葉十二丁目1番地") == "柏市柏の葉12-1"
    assert normal_name("柏の葉　花子") == normal_name("柏の葉花子") and normal_name("Emily Clark") == normal_name("emily clark")
    households = load_households()
    decision, reason, records = decide(households, name="柏の葉花子", birth_date="1991-06-15", address="柏市柏の葉2-3-1",
                                       period=("2023-11-27", "2026-11-26"))
    assert decision == "disclose" and reason is None and len(records) >= 8
    assert all("2023-11-27" <= r["used_from"] <= "2026-11-26" for r in records)
    assert decide(households, name="柏の葉 花子", birth_date="1991-06-16", address="柏市柏の葉2-3-1",
                  period=("2023-01-01", "2026-12-31"))[:2] == ("not_disclose", NO_RECORD)
    assert decide(households, name="柏の葉 花子", birth_date="1991-06-15", address="柏市若柴1",
                  period=("2023-01-01", "2026-12-31"))[:2] == ("not_disclose", ADDRESS_MISMATCH)
    assert decide(households, name="柏の葉 花子", birth_date="1991-06-15", address="柏市柏の葉2-3-1",
                  period=("2010-01-01", "2011-01-01"))[:2] == ("not_disclose", NO_RECORD)  # nothing in the period


def test_the_demo_records_name_services_of_the_catalogue() -> None:
    import json

    from app.catalog.services import CATALOG_FILE

    ids = {service["id"] for service in json.loads(CATALOG_FILE.read_text(encoding="utf-8"))["services"]}
    for household in load_households():
        assert {r["service_id"] for r in household.records} <= ids
        clean_records([dict(r) for r in household.records])  # every demo record is one the bank takes
