"""A home address → its 町丁目 in 柏市 or 流山市, walking-distance bands to the station and venues, and area flags.

The towns and their representative points come from Geolonia 住所データ (CC BY 4.0), the places from the seed
catalog; both are copied into `data/` (see data/SOURCES.md) and read lazily on first use.

A town's point is one representative point of an area, so distances are approximate: they are shown as walking
bands, never in metres, and the area flags are those of the town, not of the exact home.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

DATA_DIR = Path(__file__).parent / "data"

PREFECTURE = "千葉県"
KASHIWA = "柏市"
NAGAREYAMA = "流山市"
CITY_CODES: Mapping[str, str] = MappingProxyType({KASHIWA: "12217", NAGAREYAMA: "12220"})
REFERENCE_STATION_KEY = "v_kashiwanoha_campus_stn"  # 柏の葉キャンパス駅

# The same rule as data/kashiwanoha_area_towns.csv: great-circle distance from the town's point to the station,
# within 2 km (the pilot area) and within 3 km (the ring for events). The pilot serves 柏市 residents only: 柏市's
# services require 住民登録 in 柏市, and no 流山市 town point lies within 2 km anyway (駒木台 is at 2.05 km).
PILOT_RADIUS_KM = 2.0
EVENTS_RING_KM = 3.0
EARTH_RADIUS_KM = 6371.0  # mean radius; reproduces every distance in the CSV to 0.01 km

# Walking time, an estimate: the road distance is taken as 1.3 × the straight line (a usual detour factor for a
# street grid; an assumption, not measured here), walked at 80 m per minute, the speed Japanese property listings
# must use (不動産の表示に関する公正競争規約施行規則 9条9号: 道路距離80メートルにつき1分間).
DETOUR_FACTOR = 1.3
WALKING_METRES_PER_MINUTE = 80.0


class WalkBand(StrEnum):
    WITHIN_10 = "within_10"
    MIN_10_20 = "10_20"
    MIN_20_30 = "20_30"
    OVER_30 = "over_30"


# Plain strings: the app wraps them for translation; the English label doubles as the stable message key.
WALK_BAND_LABEL_EN: Mapping[WalkBand, str] = MappingProxyType({
    WalkBand.WITHIN_10: "Within a 10-minute walk",
    WalkBand.MIN_10_20: "10–20 minutes on foot",
    WalkBand.MIN_20_30: "20–30 minutes on foot",
    WalkBand.OVER_30: "Over 30 minutes on foot",
})
WALK_BAND_LABEL_JA: Mapping[WalkBand, str] = MappingProxyType({
    WalkBand.WITHIN_10: "徒歩10分以内",
    WalkBand.MIN_10_20: "徒歩10〜20分",
    WalkBand.MIN_20_30: "徒歩20〜30分",
    WalkBand.OVER_30: "徒歩30分以上",
})


class AddressProblem(StrEnum):
    """Stable codes of `AddressError`; the app maps them to translated messages."""

    OUTSIDE_AREA = "outside_area"
    UNKNOWN_TOWN = "unknown_town"
    BAD_POSTAL_CODE = "bad_postal_code"


class AddressError(ValueError):
    code: AddressProblem

    def __init__(self, message_args: Mapping[str, object] | None = None) -> None:
        self.message_args: Mapping[str, object] = MappingProxyType(dict(message_args or {}))
        super().__init__(f"{self.code}: {dict(self.message_args)}")


class AddressOutsideArea(AddressError):
    """The prefecture is not 千葉県 or the city is neither 柏市 nor 流山市."""

    code = AddressProblem.OUTSIDE_AREA


class UnknownTown(AddressError):
    """The town is not in the town list of that city."""

    code = AddressProblem.UNKNOWN_TOWN


class BadPostalCode(AddressError):
    """The postal code is not seven digits."""

    code = AddressProblem.BAD_POSTAL_CODE


@dataclass(frozen=True)
class Town:
    city: str
    city_code: str
    town: str
    koaza: str  # "" for the town itself; a 小字 row otherwise
    lat: float
    lng: float
    source: str  # key into towns.json's "sources"


@dataclass(frozen=True)
class Place:
    key: str
    kind: str  # "station" | "venue"
    category: str
    name_ja: str
    name_en: str | None
    lat: float | None  # None: not geocoded yet, left out of distance lists
    lng: float | None
    coord_precision_m: int | None
    coord_source: str


@dataclass(frozen=True)
class NearbyPlace:
    key: str
    name_ja: str
    name_en: str | None
    walk_band: WalkBand


@dataclass(frozen=True)
class HomeArea:
    postal_code: str | None  # "NNN-NNNN"; not checked against the town (the town list has no postal codes)
    city: str
    city_code: str
    town: str
    lat: float
    lng: float
    station_km: float  # town point → 柏の葉キャンパス駅, great circle, rounded to 0.1 km
    station_walk_band: WalkBand
    places: tuple[NearbyPlace, ...]  # nearest first
    in_pilot_area: bool
    in_events_ring: bool
    is_kashiwa_resident: bool


# ---------------------------------------------------------------------------------------------------------------
# Data


@cache
def towns() -> tuple[Town, ...]:
    document = json.loads((DATA_DIR / "towns.json").read_text(encoding="utf-8"))
    return tuple(Town(**row) for row in document["towns"])


@cache
def _towns_by_city() -> Mapping[str, Mapping[str, Town]]:
    # Only the town rows (koaza ""): an address in a 小字 is matched to its town.
    index: dict[str, dict[str, Town]] = {city: {} for city in CITY_CODES}
    for town in towns():
        if not town.koaza:
            index[town.city][town.town] = town
    return MappingProxyType({city: MappingProxyType(by_name) for city, by_name in index.items()})


@cache
def _koaza_aliases() -> Mapping[str, str]:
    """"若柴須賀井" and "若柴字須賀井" → "若柴"."""
    aliases = {}
    for town in towns():
        if town.koaza:
            aliases[town.town + town.koaza] = town.town
            aliases[f"{town.town}字{town.koaza}"] = town.town
    return MappingProxyType(aliases)


@cache
def _all_town_names() -> frozenset[str]:
    return frozenset(town.town for town in towns())


@cache
def places() -> tuple[Place, ...]:
    document = json.loads((DATA_DIR / "places.json").read_text(encoding="utf-8"))
    fields = Place.__dataclass_fields__
    return tuple(Place(**{name: row[name] for name in fields}) for row in document["places"])


def reference_station() -> Place:
    return next(place for place in places() if place.key == REFERENCE_STATION_KEY)


# ---------------------------------------------------------------------------------------------------------------
# Town names

_KANJI_DIGITS = "〇一二三四五六七八九"
_DASHES_AFTER_DIGIT = re.compile(r"(?<=\d)[‐‑‒–—―−ー]")  # hyphens, minus, and the long-vowel mark typed as a dash
_PREFIX = re.compile(r"^(?:千葉県)?(?:柏市|流山市)?")
_WITH_CHOME = re.compile(r"^(?P<base>.+?)(?P<number>\d+|[一二三四五六七八九十]+)丁目")
_WITH_BLOCK = re.compile(r"^(?P<base>\D+)(?P<number>\d+)")  # whatever follows the first number is the block part
_KOAZA_MARK = re.compile(r"^(?P<town>.+?)字")


def kanji_numeral(number: int) -> str:
    """1..99 in the form the town list uses: 一, 十, 十一, 二十, 二十一."""
    if not 1 <= number <= 99:
        raise ValueError(f"no 丁目 number: {number}")
    tens, ones = divmod(number, 10)
    tens_part = "" if tens == 0 else "十" if tens == 1 else _KANJI_DIGITS[tens] + "十"
    return tens_part + ("" if ones == 0 else _KANJI_DIGITS[ones])


def parse_kanji_numeral(text: str) -> int | None:
    """The inverse of `kanji_numeral`; None for anything else."""
    tens_text, has_ten, ones_text = text.partition("十")
    if not has_ten:
        tens_text, ones_text = "", text
    if len(tens_text) > 1 or len(ones_text) > 1 or (not has_ten and not ones_text):
        return None
    digits = _KANJI_DIGITS[1:]
    if (tens_text and tens_text not in digits[1:]) or (ones_text and ones_text not in digits):
        return None
    tens = (digits.index(tens_text) + 1 if tens_text else 1) if has_ten else 0
    ones = digits.index(ones_text) + 1 if ones_text else 0
    return tens * 10 + ones


def _squash(text: str) -> str:
    """NFKC (full-width digits and letters → ASCII, half-width kana → full-width) and no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def normalise_town(text: str) -> str:
    """The town-list spelling of a town as typed, with any block part (番地, 号, -3-1) dropped.

    "柏の葉2丁目", "柏の葉２丁目", "柏の葉二丁目3番地1" → "柏の葉二丁目"; "若柴178番地4", "若柴字須賀井" → "若柴";
    a leading "千葉県", "柏市" or "流山市" is dropped. Names whose kanji numerals are not 丁目 numbers (十余二,
    新十余二) are left alone, since a numeral is read as a 丁目 only in front of "丁目" or as digits.

    Digits without "丁目" are ambiguous: "柏の葉2-3-1" is 二丁目 3番 1号, "若柴178-4" is 178番地4. They are read as a
    丁目 when that 丁目 exists in the town list (of either city) and as the block otherwise. For the few towns that
    exist both with and without 丁目 (大室 and 大室一丁目, 小青田 and 小青田一丁目), "大室1-5" is read as 大室一丁目.
    """
    name = _PREFIX.sub("", _DASHES_AFTER_DIGIT.sub("-", _squash(text).replace("ヶ", "ケ")))
    if match := _WITH_CHOME.match(name):
        number = match["number"]
        value = int(number) if number.isdigit() else parse_kanji_numeral(number)
        if value is not None and 1 <= value <= 99:
            return f"{match['base']}{kanji_numeral(value)}丁目"
        return match[0]
    if match := _WITH_BLOCK.match(name):
        chome = f"{match['base']}{kanji_numeral(int(match['number']))}丁目" if 1 <= int(match["number"]) <= 99 else ""
        name = chome if chome in _all_town_names() else match["base"]
    if name in _koaza_aliases():
        return _koaza_aliases()[name]
    if (match := _KOAZA_MARK.match(name)) and match["town"] in _all_town_names():
        return match["town"]
    return name


def split_street(text: str) -> tuple[str, str]:
    """A street address in one piece → (the town as `normalise_town` reads it, the rest: 番地, 号, "3-1")."""
    town = normalise_town(text)
    name = _PREFIX.sub("", _DASHES_AFTER_DIGIT.sub("-", _squash(text).replace("ヶ", "ケ")))
    if match := _WITH_CHOME.match(name):
        return town, name[match.end():]
    if match := _WITH_BLOCK.match(name):
        # The first number was read as the 丁目 only when the town came out with a 丁目 the text did not spell.
        read_as_chome = town.endswith("丁目") and not match["base"].endswith("丁目")
        return town, name[match.end() if read_as_chome else len(match["base"]):].lstrip("-")
    return town, ""


def find_town(city: str, text: str) -> Town | None:
    """The town (not a 小字 row) of `city` that `text` names, or None."""
    by_name = _towns_by_city().get(city, {})
    name = normalise_town(text)
    # 流山市 lists some 大字 with the prefix (大字三輪野山) and a few both ways (大字鰭ケ崎 and 鰭ケ崎): exact first.
    for candidate in (name, f"大字{name}", name.removeprefix("大字")):
        if candidate in by_name:
            return by_name[candidate]
    return None


# ---------------------------------------------------------------------------------------------------------------
# Distances and bands


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance on a sphere of radius EARTH_RADIUS_KM."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def station_distance_km(lat: float, lng: float) -> float:
    station = reference_station()
    assert station.lat is not None and station.lng is not None
    return great_circle_km(lat, lng, station.lat, station.lng)


def walking_minutes(km: float) -> float:
    return km * 1000 * DETOUR_FACTOR / WALKING_METRES_PER_MINUTE


def walk_band(minutes: float) -> WalkBand:
    if minutes <= 10:
        return WalkBand.WITHIN_10
    if minutes <= 20:
        return WalkBand.MIN_10_20
    if minutes <= 30:
        return WalkBand.MIN_20_30
    return WalkBand.OVER_30


def is_in_pilot_area(city: str, station_km: float) -> bool:
    return city == KASHIWA and station_km <= PILOT_RADIUS_KM


def is_in_events_ring(station_km: float) -> bool:
    return station_km <= EVENTS_RING_KM


def nearby_places(lat: float, lng: float) -> tuple[NearbyPlace, ...]:
    """Every place with a coordinate, nearest first (ties by key, for a stable order)."""
    located = [
        (great_circle_km(lat, lng, place.lat, place.lng), place)
        for place in places()
        if place.lat is not None and place.lng is not None
    ]
    located.sort(key=lambda pair: (pair[0], pair[1].key))
    return tuple(NearbyPlace(place.key, place.name_ja, place.name_en, walk_band(walking_minutes(km))) for km, place in located)


# ---------------------------------------------------------------------------------------------------------------
# The address


def normalise_postal_code(postal_code: str | None) -> str | None:
    """"2770882", "277-0882", "〒２７７−０８８２" → "277-0882"; None or blank → None."""
    if postal_code is None:
        return None
    digits = re.sub(r"[-‐‑‒–—―−ー〒]", "", _squash(postal_code))
    if not digits:
        return None
    if not re.fullmatch(r"\d{7}", digits, flags=re.ASCII):
        raise BadPostalCode({"postal_code": postal_code})
    return f"{digits[:3]}-{digits[3:]}"


def town_group(area: HomeArea) -> str:
    """A coarse area (the item `town_group`): the pilot area, the events ring around it in 柏市 or 流山市, or the rest
    of either city."""
    if area.in_pilot_area:
        return "kashiwanoha_pilot"
    if area.in_events_ring:
        return "kashiwanoha_ring" if area.is_kashiwa_resident else "nagareyama_ring"
    return "kashiwa_other" if area.is_kashiwa_resident else "nagareyama_other"


def locate_home(postal_code: str | None, region: str, locality: str, town: str) -> HomeArea:
    """The area facts of a home address given as 都道府県 (`region`), 市区町村 (`locality`) and the rest (`town`).

    Raises AddressOutsideArea outside 千葉県 柏市/流山市, UnknownTown for a town not in that city's list, and
    BadPostalCode for a postal code that is not seven digits.
    """
    normalised_postal_code = normalise_postal_code(postal_code)
    if _squash(region) != PREFECTURE:
        raise AddressOutsideArea({"region": region, "locality": locality})
    city = _squash(locality).removeprefix(PREFECTURE)
    if city not in CITY_CODES:
        raise AddressOutsideArea({"region": region, "locality": locality})
    found = find_town(city, town)
    if found is None:
        raise UnknownTown({"city": city, "town": town})
    km = station_distance_km(found.lat, found.lng)
    return HomeArea(
        postal_code=normalised_postal_code,
        city=found.city,
        city_code=found.city_code,
        town=found.town,
        lat=found.lat,
        lng=found.lng,
        station_km=round(km, 1),
        station_walk_band=walk_band(walking_minutes(km)),
        places=nearby_places(found.lat, found.lng),
        in_pilot_area=is_in_pilot_area(found.city, km),
        in_events_ring=is_in_events_ring(km),
        is_kashiwa_resident=found.city == KASHIWA,
    )
