"""`flask recommend preview`: no account, the catalogue from the database, one JSON object."""

from __future__ import annotations

import json
from datetime import date

import pytest

from app.catalog.services import CATALOG_FILE
from app.household.ages import BirthDate
from app.recommend.household import ChildInput, HouseholdInput
from app.recommend.ranking import rank_coupons, rank_events
from tests.unit.recommend.test_households import HOUSEHOLDS

E2E_HOUSEHOLD = HOUSEHOLDS[0]  # 若柴, a 10-month-old and a 4-year-old, on 2026-11-26


def preview(app, *args: str):
    return app.test_cli_runner().invoke(args=["recommend", "preview", *args])


def catalogue_ids() -> list[str]:
    return [record["id"] for record in json.loads(CATALOG_FILE.read_text(encoding="utf-8"))["services"]]


def test_an_empty_catalogue_says_to_load_it(app, db):
    result = preview(app, "--child-birth", "2026-01-15", "--town", "若柴", "--json")
    assert result.exit_code == 1
    assert "flask catalog load" in result.output


def test_the_json_has_every_service_with_its_status_and_reasons(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2026-01-15", "--child-birth", "2022-06-10", "--town", "若柴",
                     "--date", "2026-11-26", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["date"] == "2026-11-26"
    assert data["household"] == {"city": "kashiwa", "town": "若柴", "children": [
        {"birth": "2026-01-15", "counted_sibling": False}, {"birth": "2022-06-10", "counted_sibling": False}]}
    assert sorted(service["id"] for service in data["services"]) == sorted(catalogue_ids())
    statuses = {service["id"].removeprefix("svc_"): service["status"] for service in data["services"]}
    assert statuses == {short: E2E_HOUSEHOLD.expected.get(short, "not_eligible") for short in statuses}
    for service in data["services"]:
        assert set(service) >= {"id", "status", "reasons", "soon_from", "check_reasons", "source_url", "last_checked"}
        assert service["reasons"] and all(set(reason) == {"ja", "en"} for reason in service["reasons"])
    daretsu = next(service for service in data["services"] if service["id"] == "svc_daretsu")
    assert daretsu["reasons"][0]["ja"] == "2026年1月15日生まれのお子さまは2029年1月13日(土)まで対象です。"
    assert isinstance(data["events"], list) and isinstance(data["coupons"], list)
    for item in data["events"] + data["coupons"]:
        assert set(item) == {"id", "score", "reasons"}


def test_soon_and_check_carry_their_date_and_codes(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2026-11-20", "--child-birth", "2020-04", "--town", "柏の葉2丁目",
                     "--date", "2026-11-26", "--json")
    assert result.exit_code == 0, result.output
    services = {service["id"]: service for service in json.loads(result.output)["services"]}
    assert (services["svc_daretsu"]["status"], services["svc_daretsu"]["soon_from"]) == ("soon", "2027-05-19")
    assert services["svc_kodomoroom"]["status"] == "check"
    assert services["svc_kodomoroom"]["check_reasons"] == ["birth_day_needed"]


def test_a_nagareyama_town_is_found_without_city_and_national_schemes_are_other_city(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2026-01-15", "--town", "駒木台", "--date", "2026-11-26", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["household"]["city"] == "nagareyama"
    services = {service["id"]: service for service in data["services"]}
    assert services["svc_jidoteate"]["status"] == "other_city"
    assert "流山市でお手続き" in services["svc_jidoteate"]["reasons"][0]["ja"]
    assert services["svc_daretsu"]["status"] == "not_eligible"


def test_an_expected_child_gets_the_pregnancy_services(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2027-03", "--town", "若柴", "--city", "柏市", "--date", "2026-11-26", "--json")
    services = {service["id"]: service["status"] for service in json.loads(result.output)["services"]}
    assert services["svc_ninpu_kyufu"] == "eligible" and services["svc_jidoteate"] == "not_eligible"


@pytest.mark.parametrize(("args", "message"), [
    (["--child-birth", "2025-02-30", "--town", "若柴"], "is not a date"),
    (["--child-birth", "2025/02", "--town", "若柴"], "YYYY-MM"),
    (["--child-birth", "2025-02", "--town", "駒木台", "--city", "柏市"], "is not a town of 柏市"),
    (["--child-birth", "2025-02", "--town", "東京"], "is not a town of 柏市 or 流山市"),
    (["--child-birth", "2025-02", "--town", "若柴", "--date", "tomorrow"], "YYYY-MM-DD"),
])
def test_bad_options_are_refused(app, db, loaded_catalog, args, message):
    result = preview(app, *args, "--json")
    assert result.exit_code == 2
    assert message in result.output


def test_without_json_it_prints_one_line_per_service(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2026-01-15", "--town", "若柴", "--date", "2026-11-26")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026-11-26 柏市若柴")
    assert "eligible      svc_daretsu" in result.output


# --- the ranking ------------------------------------------------------------------------------------------------


def test_the_events_and_coupons_are_the_rankings_with_id_score_and_reasons(app, db, loaded_catalog):
    result = preview(app, "--child-birth", "2026-01-15", "--town", "若柴", "--date", "2026-11-26", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    household = HouseholdInput(children=(ChildInput(BirthDate(2026, 1, 15)),), city="kashiwa", town="若柴")
    assert data["events"] and data["events"] == rank_events(db, household, date(2026, 11, 26))
    assert data["coupons"] and data["coupons"] == rank_coupons(db, household, date(2026, 11, 26))
    for item in data["events"] + data["coupons"]:
        assert set(item) == {"id", "score", "reasons"} and isinstance(item["score"], float)
        assert item["reasons"] and all(set(reason) == {"ja", "en"} for reason in item["reasons"])
