"""Home address → town, walking bands and area flags, checked against the derived town list of the 3 km ring."""

from __future__ import annotations

import csv
import re

import pytest

from app.household.address import (
    DATA_DIR,
    WALK_BAND_LABEL_EN,
    WALK_BAND_LABEL_JA,
    AddressOutsideArea,
    BadPostalCode,
    UnknownTown,
    WalkBand,
    is_in_events_ring,
    is_in_pilot_area,
    kanji_numeral,
    locate_home,
    normalise_postal_code,
    normalise_town,
    parse_kanji_numeral,
    places,
    station_distance_km,
    towns,
    walk_band,
    walking_minutes,
)

pytestmark = pytest.mark.smoke

# The project's own verbatim copy of shared/data/kashiwa/kashiwanoha_area_towns.csv.
with (DATA_DIR / "kashiwanoha_area_towns.csv").open(encoding="utf-8", newline="") as _file:
    RING_ROWS = tuple(csv.DictReader(_file))

KANJI_TO_DIGIT = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
TO_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
CHOME = re.compile(r"^(?P<base>.+?)(?P<number>[一二三四五六七八九])丁目$")


def spellings(city: str, town: str, koaza: str) -> list[str]:
    """Ways a resident may type an address in `town` (and `koaza`), block part included."""
    if koaza:
        return [f"{town}字{koaza}", f"{town}{koaza}", f"{town}字{koaza}123番地4", f"{town} 178-4"]
    match = CHOME.match(town)
    if match is None:  # a town without 丁目 (若柴, 十余二): the lot number follows the name
        return [town, f"{town}178番地4", f"{town}178-4", f"{town}１７８－４", f" {town} ", f"千葉県{city}{town}178"]
    base, kanji = match["base"], match["number"]
    digit = KANJI_TO_DIGIT[kanji]
    wide = digit.translate(TO_FULL_WIDTH)
    return [
        town,
        f"{base}{digit}丁目",
        f"{base}{wide}丁目",
        f"{base}{kanji}丁目",
        f"{base}{digit}-3-1",
        f"{base}{wide}－３－１",
        f"{base}{digit}ー3ー1",
        f"{town}3番地1",
        f"{base}{digit}丁目3番1号",
        f"{base} {wide}丁目 3-1",
        f"{base}{digit}",
    ]


RING_CASES = [
    pytest.param(row, text, id=f"{row['town']}{row['koaza']}:{text}")
    for row in RING_ROWS
    for text in spellings(row["city"], row["town"], row["koaza"])
]


def test_the_ring_list_is_the_one_described():
    assert len(RING_ROWS) == 66
    assert sum(row["centroid_within_2km"] == "yes" for row in RING_ROWS) == 28


@pytest.mark.parametrize(("row", "text"), RING_CASES)
def test_every_town_of_the_ring_is_found_however_it_is_typed(row, text):
    home = locate_home(None, "千葉県", row["city"], text)
    assert (home.city, home.city_code, home.town) == (row["city"], row["city_code"], row["town"])
    assert home.in_pilot_area == (row["centroid_within_2km"] == "yes")
    assert home.in_events_ring
    assert home.is_kashiwa_resident == (row["city"] == "柏市")
    # The CSV's distance has two decimals; ours is rounded to one. A koaza row has its own point; the home gets the
    # town's (the flags agree: 須賀井 and 入谷 are in the pilot area like 若柴).
    if not row["koaza"]:
        assert abs(home.station_km - float(row["dist_km_from_kashiwanoha_campus_stn"])) <= 0.055


def test_the_distance_rule_reproduces_the_ring_list_exactly():
    by_key = {(t.city, t.town, t.koaza): station_distance_km(t.lat, t.lng) for t in towns()}
    pilot = {key for key, km in by_key.items() if is_in_pilot_area(key[0], km)}
    ring = {key for key, km in by_key.items() if is_in_events_ring(km)}
    assert pilot == {(r["city"], r["town"], r["koaza"]) for r in RING_ROWS if r["centroid_within_2km"] == "yes"}
    assert ring == {(r["city"], r["town"], r["koaza"]) for r in RING_ROWS}
    for row in RING_ROWS:
        assert f"{by_key[(row['city'], row['town'], row['koaza'])]:.2f}" == row["dist_km_from_kashiwanoha_campus_stn"]


def test_the_town_list_holds_both_cities():
    counts = {city: sum(t.city == city for t in towns()) for city in ("柏市", "流山市")}
    assert counts == {"柏市": 322, "流山市": 135}
    assert {t.source for t in towns()} == {"geolonia_12217", "geolonia_12220"}


def test_every_listed_name_is_its_own_normal_form_and_is_found():
    for town in towns():
        assert normalise_town(town.town) == town.town
        home = locate_home(None, "千葉県", town.city, town.town)
        assert home.town == town.town


def test_a_koaza_is_matched_to_its_town():
    assert {t.town for t in towns() if t.koaza} == {"若柴", "今谷上町", "名戸ケ谷"}
    home = locate_home(None, "千葉県", "柏市", "若柴字須賀井")
    assert (home.town, home.lat, home.lng) == ("若柴", 35.891657, 139.954)  # the town's point, not the koaza's


@pytest.mark.parametrize(("text", "town"), [
    ("柏の葉2丁目", "柏の葉二丁目"),
    ("柏の葉２丁目", "柏の葉二丁目"),
    ("柏の葉二丁目", "柏の葉二丁目"),
    ("柏の葉2-3-1", "柏の葉二丁目"),
    ("柏の葉二丁目3番地1", "柏の葉二丁目"),
    ("千葉県柏市柏の葉 2-3-1", "柏の葉二丁目"),
    ("若柴178番地4", "若柴"),
    ("若柴178-4", "若柴"),
    ("若柴178の4", "若柴"),
    ("若柴入谷", "若柴"),
    ("十余二", "十余二"),
    ("十余二313-92", "十余二"),
    ("中十余二", "中十余二"),
    ("新十余二", "新十余二"),
    ("松葉町七丁目", "松葉町七丁目"),
    ("松葉町7-1-1", "松葉町七丁目"),
    ("光ヶ丘2丁目", "光ケ丘二丁目"),
    ("流山9丁目", "流山九丁目"),
    ("架空11丁目", "架空十一丁目"),      # an explicit 丁目 is converted even for an unknown town
    ("大室1-5", "大室一丁目"),           # digits are read as a 丁目 when that 丁目 exists
    ("大室1234", "大室"),
])
def test_normalise_town(text, town):
    assert normalise_town(text) == town


@pytest.mark.parametrize(("number", "kanji"), [
    (1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"), (21, "二十一"), (99, "九十九"),
])
def test_kanji_numerals(number, kanji):
    assert kanji_numeral(number) == kanji
    assert parse_kanji_numeral(kanji) == number


@pytest.mark.parametrize("text", ["", "三一", "十十", "一十", "二二十", "〇"])
def test_not_kanji_numerals(text):
    assert parse_kanji_numeral(text) is None


@pytest.mark.parametrize(("region", "locality"), [
    ("東京都", "千代田区"),
    ("東京都", "柏市"),
    ("千葉県", "松戸市"),
    ("千葉県", ""),
])
def test_outside_the_area(region, locality):
    with pytest.raises(AddressOutsideArea) as caught:
        locate_home(None, region, locality, "丸の内1丁目")
    assert caught.value.code == "outside_area"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("locality", "town"), [
    ("柏市", "ほげほげ"),
    ("柏市", "駒木台"),           # a 流山市 town
    ("流山市", "柏の葉二丁目"),    # a 柏市 town
    ("柏市", "柏の葉七丁目"),      # there are six
    ("柏市", "178-4"),
])
def test_unknown_town(locality, town):
    with pytest.raises(UnknownTown) as caught:
        locate_home(None, "千葉県", locality, town)
    assert caught.value.code == "unknown_town"


def test_region_and_locality_are_read_leniently():
    home = locate_home(None, " 千葉県 ", "千葉県 柏市", "柏の葉２－３－１")
    assert (home.city, home.town) == ("柏市", "柏の葉二丁目")


def test_komagidai_nagareyama_is_in_the_events_ring_only():
    home = locate_home("270-0101", "千葉県", "流山市", "駒木台")
    assert (home.city, home.city_code, home.town) == ("流山市", "12220", "駒木台")
    assert (home.in_events_ring, home.in_pilot_area, home.is_kashiwa_resident) == (True, False, False)
    assert home.station_km == 2.1  # 2.05 km in the CSV


def test_kashiwanoha_2_chome_is_in_the_pilot_area():
    home = locate_home("277-0882", "千葉県", "柏市", "柏の葉二丁目")
    assert (home.in_pilot_area, home.in_events_ring, home.is_kashiwa_resident) == (True, True, True)
    assert (home.station_km, home.station_walk_band) == (1.2, WalkBand.MIN_10_20)  # 1.18 km × 1.3 / 80 m = 19.2 min


@pytest.mark.parametrize(("town", "km", "band"), [
    ("若柴", 0.2, WalkBand.WITHIN_10),            # 0.24 km → 3.9 min
    ("柏の葉一丁目", 0.9, WalkBand.MIN_10_20),     # 0.89 km → 14.5 min
    ("柏の葉五丁目", 1.8, WalkBand.MIN_20_30),     # 1.76 km → 28.6 min
    ("花野井", 2.0, WalkBand.OVER_30),            # 1.99 km → 32.3 min, still in the pilot area
])
def test_station_walking_band(town, km, band):
    home = locate_home(None, "千葉県", "柏市", town)
    assert (home.station_km, home.station_walk_band) == (km, band)


@pytest.mark.parametrize(("minutes", "band"), [
    (0.0, WalkBand.WITHIN_10), (10.0, WalkBand.WITHIN_10), (10.01, WalkBand.MIN_10_20), (20.0, WalkBand.MIN_10_20),
    (20.01, WalkBand.MIN_20_30), (30.0, WalkBand.MIN_20_30), (30.01, WalkBand.OVER_30), (90.0, WalkBand.OVER_30),
])
def test_walk_band_boundaries(minutes, band):
    assert walk_band(minutes) == band


@pytest.mark.parametrize(("km", "minutes"), [(1.0, 16.25), (0.8, 13.0), (0.0, 0.0), (2.0, 32.5)])
def test_walking_minutes(km, minutes):
    assert walking_minutes(km) == pytest.approx(minutes)


def test_walk_bands_have_both_labels():
    assert set(WALK_BAND_LABEL_JA) == set(WALK_BAND_LABEL_EN) == set(WalkBand)
    assert WALK_BAND_LABEL_JA[WalkBand.WITHIN_10] == "徒歩10分以内"
    assert WALK_BAND_LABEL_JA[WalkBand.OVER_30] == "徒歩30分以上"


def test_places_are_nearest_first_and_only_those_with_coordinates():
    home = locate_home(None, "千葉県", "柏市", "柏の葉四丁目")
    keys = [place.key for place in home.places]
    # 柏の葉公園's coordinate is this town's point; さわやかちば県民プラザ is a few metres away.
    assert keys[:2] == ["v_kashiwanoha_park", "v_kenmin_plaza"]
    assert home.places[0].walk_band == WalkBand.WITHIN_10
    assert "v_matsuba_library" not in keys  # not geocoded
    assert len(keys) == 14 and {"v_kashiwanoha_campus_stn", "stn_kashiwatanaka"} <= set(keys)


def test_the_places_file_keeps_coordinate_sources():
    by_key = {place.key: place for place in places()}
    assert len(by_key) == 15
    assert by_key["v_kashiwanoha_campus_stn"].kind == "station"
    assert (by_key["v_kashiwanoha_campus_stn"].lat, by_key["v_kashiwanoha_campus_stn"].lng) == (35.893419, 139.952506)
    assert (by_key["stn_kashiwatanaka"].lat, by_key["stn_kashiwatanaka"].lng) == (35.910974, 139.957546)
    assert all(place.coord_source for place in by_key.values())


@pytest.mark.parametrize(("given", "normalised"), [
    (None, None), ("", None), ("  ", None), ("2770882", "277-0882"), ("277-0882", "277-0882"),
    ("〒２７７－０８８２", "277-0882"), ("277ー0882", "277-0882"),
])
def test_postal_code(given, normalised):
    assert normalise_postal_code(given) == normalised


@pytest.mark.parametrize("given", ["12345", "277-08821", "abc-defg", "２７７"])
def test_bad_postal_code(given):
    with pytest.raises(BadPostalCode) as caught:
        locate_home(given, "千葉県", "柏市", "若柴")
    assert caught.value.code == "bad_postal_code"


@pytest.mark.smoke
@pytest.mark.parametrize(("street", "town", "block"), [
    ("柏の葉二丁目3番地1", "柏の葉二丁目", "3番地1"),
    ("柏の葉2丁目3-1", "柏の葉二丁目", "3-1"),
    ("柏の葉２丁目３－１", "柏の葉二丁目", "3-1"),
    ("柏の葉2-3-1", "柏の葉二丁目", "3-1"),
    ("千葉県柏市若柴178番地4", "若柴", "178番地4"),
    ("十余二", "十余二", ""),
])
def test_a_street_address_in_one_piece_splits_into_town_and_block(street: str, town: str, block: str) -> None:
    from app.household.address import split_street

    assert split_street(street) == (town, block)
