"""Google's demo calendar and location timeline per demo account, deterministic like `content`.

Places are real 柏の葉 landmarks at their approximate coordinates (the resident's home is a block-level point
in their own town); activity segments join consecutive visits, with a distance from the great-circle length
times a road factor, and a duration from the mode's typical speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.peers.google.content import jst, rfc3339_jst, rfc3339_z, stable_digits, stable_token


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    address: str
    lat: float
    lng: float


STATION = Place("柏の葉キャンパス駅", "千葉県柏市若柴174", 35.8931, 139.9519)
LALAPORT = Place("ららぽーと柏の葉", "千葉県柏市若柴175", 35.8949, 139.9530)
PARK = Place("柏の葉公園", "千葉県柏市柏の葉4丁目1", 35.8876, 139.9628)
TSITE = Place("柏の葉 T-SITE", "千葉県柏市若柴227-1", 35.8935, 139.9580)
KONBUKURO = Place("こんぶくろ池自然博物公園", "千葉県柏市正連寺", 35.8993, 139.9448)
AQUA = Place("柏の葉アクアテラス", "千葉県柏市若柴", 35.8918, 139.9531)
KASHIWA = Place("柏駅", "千葉県柏市柏1丁目", 35.8622, 139.9708)
AKIHABARA = Place("秋葉原駅", "東京都千代田区外神田1丁目", 35.6984, 139.7731)

HOMES = {
    "hanako@example.jp": Place("自宅", "千葉県柏市柏の葉2丁目", 35.8917, 139.9541),
    "taro@example.jp": Place("自宅", "千葉県柏市若柴", 35.8846, 139.9476),
    "emily@example.jp": Place("自宅", "千葉県柏市柏の葉6丁目", 35.8974, 139.9578),
}
HOME = Place("HOME", "", 0.0, 0.0)  # stands for the account's home in a route
ROUTE = (
    (STATION, "WALKING"), (LALAPORT, "WALKING"), (HOME, "WALKING"), (PARK, "CYCLING"), (HOME, "CYCLING"),
    (TSITE, "WALKING"), (HOME, "WALKING"), (KONBUKURO, "IN_PASSENGER_VEHICLE"), (HOME, "IN_PASSENGER_VEHICLE"),
    (STATION, "WALKING"), (AKIHABARA, "IN_TRAIN"), (STATION, "IN_TRAIN"), (HOME, "WALKING"),
    (KASHIWA, "IN_PASSENGER_VEHICLE"), (HOME, "IN_PASSENGER_VEHICLE"), (AQUA, "WALKING"), (HOME, "WALKING"),
)
METRES_PER_MINUTE = {"WALKING": 70, "CYCLING": 200, "IN_PASSENGER_VEHICLE": 450, "IN_TRAIN": 900}
ROAD_FACTOR = 1.25
TIMELINE_SIZE = {"hanako@example.jp": 30, "taro@example.jp": 8, "emily@example.jp": 10}
TIMELINE_START = {"hanako@example.jp": "2026-11-02T08:30:00", "taro@example.jp": "2026-11-14T09:00:00",
                  "emily@example.jp": "2026-11-20T08:45:00"}

# (summary, location, start "HH:MM", minutes)
EVENT_TEMPLATES = (
    ("乳幼児健診（1歳6か月）", "柏市保健所", "13:30", 90),
    ("保育園 個人面談", "柏の葉保育園（デモ）", "16:00", 30),
    ("一時預かり", "柏の葉 子育て支援センター（デモ）", "09:00", 240),
    ("小児科 予防接種", "柏の葉こどもクリニック（デモ）", "10:00", 30),
    ("ママ友ランチ", "ららぽーと柏の葉", "12:00", 90),
    ("図書館 おはなし会", "柏市立図書館", "11:00", 45),
    ("スイミング体験", "柏の葉スポーツクラブ（デモ）", "15:30", 60),
    ("歯科検診", "柏の葉デンタル（デモ）", "14:00", 30),
    ("公園で外あそび", "柏の葉公園", "10:00", 120),
    ("買い出し", "ららぽーと柏の葉", "17:00", 60),
    ("子育てひろば", "柏の葉キャンパス駅前 子育てひろば（デモ）", "10:30", 90),
)


@dataclass(frozen=True, slots=True)
class CalendarSeed:
    first_day: str
    timed: int
    step_days: int
    recurring: tuple[str, str, str, str] | None  # (summary, location, first start, RRULE)
    all_day: tuple[tuple[str, str], ...]  # (summary, date)


CALENDARS = {
    "hanako@example.jp": CalendarSeed("2026-08-03", 22, 6, ("英語であそぼう教室", "柏の葉 T-SITE", "2026-09-02T10:00:00",
                                                            "RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=12"),
                                      (("保育園 運動会", "2026-10-10"), ("結婚記念日", "2026-11-22"))),
    "taro@example.jp": CalendarSeed("2026-09-05", 5, 9, None, (("小学校 運動会", "2026-10-03"),)),
    "emily@example.jp": CalendarSeed("2026-09-12", 6, 8, ("Playgroup", "柏の葉 子育てひろば（デモ）", "2026-09-15T10:30:00",
                                                          "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10"), ()),
}


def _event_id(login_id: str, number: int) -> str:
    # Calendar ids use base32hex (0-9, a-v); decimal digits are a subset.
    return stable_digits(login_id, "event", number, length=20)


def _timed(start: datetime, minutes: int) -> tuple[dict[str, str], dict[str, str]]:
    return ({"dateTime": rfc3339_jst(start), "timeZone": "Asia/Tokyo"},
            {"dateTime": rfc3339_jst(start + timedelta(minutes=minutes)), "timeZone": "Asia/Tokyo"})


def events(login_id: str) -> list[dict[str, object]]:
    """The primary calendar's events in start order (all-day ones by their date)."""
    seed = CALENDARS[login_id]
    items: list[tuple[str, dict[str, object]]] = []

    def add(summary: str, location: str | None, start: dict[str, str], end: dict[str, str], **extra: object) -> None:
        number = len(items)
        created = jst(seed.first_day + "T08:00:00") - timedelta(days=30 - number)
        event: dict[str, object] = {"kind": "calendar#event", "id": _event_id(login_id, number), "status": "confirmed",
                                    "summary": summary}
        if location:
            event["location"] = location
        event.update(start=start, end=end, **extra)
        event.update(created=rfc3339_z(created), updated=rfc3339_z(created + timedelta(hours=number)))
        items.append((start.get("dateTime") or start["date"], event))

    first = jst(seed.first_day + "T00:00:00")
    for number in range(seed.timed):
        summary, location, clock, minutes = EVENT_TEMPLATES[(number * 5 + len(login_id)) % len(EVENT_TEMPLATES)]
        hour, minute = map(int, clock.split(":"))
        start = first + timedelta(days=seed.step_days * number, hours=hour, minutes=minute)
        add(summary, location, *_timed(start, minutes),
            **({"description": "母子健康手帳と保険証を持っていく"} if "健診" in summary or "予防接種" in summary else {}))
    if seed.recurring:
        summary, location, first_start, rule = seed.recurring
        add(summary, location, *_timed(jst(first_start), 60), recurrence=[rule],
            description="毎週の教室。持ち物：水筒、タオル")
    for summary, day in seed.all_day:
        following = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
        add(summary, None, {"date": day}, {"date": following})
    return [event for _, event in sorted(items, key=lambda pair: pair[0])]


def _distance_m(a: Place, b: Place) -> int:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlng = lat2 - lat1, math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(h)) * ROAD_FACTOR)


def _point(place: Place) -> dict[str, int]:
    return {"latitudeE7": round(place.lat * 10**7), "longitudeE7": round(place.lng * 10**7)}


def _duration(start: datetime, end: datetime) -> dict[str, str]:
    return {"startTimestamp": rfc3339_z(start), "endTimestamp": rfc3339_z(end)}


def timeline(login_id: str) -> list[dict[str, object]]:
    """Semantic Location History objects in time order: a visit, then a segment and a visit per route step."""
    home, size = HOMES[login_id], TIMELINE_SIZE[login_id]
    clock = jst(TIMELINE_START[login_id])
    items: list[dict[str, object]] = []
    here, step = home, 0

    def visit(place: Place, start: datetime, end: datetime) -> None:
        location = {**_point(place), "placeId": "ChIJ" + stable_token("place", place.name, place.address, length=23),
                    "address": place.address, "name": place.name}
        if place is home:
            location["semanticType"] = "TYPE_HOME"
        items.append({"kind": "maps#timelineObject", "id": stable_token(login_id, "timeline", len(items), length=16),
                      "placeVisit": {"location": location, "duration": _duration(start, end),
                                     "placeConfidence": "HIGH_CONFIDENCE", "visitConfidence": 90 + len(items) % 10}})

    stay = timedelta(minutes=50)
    visit(here, clock - timedelta(hours=10), clock)
    while len(items) < size:
        target, mode = ROUTE[step % len(ROUTE)]
        target = home if target is HOME else target
        step += 1
        distance = _distance_m(here, target)
        arrive = clock + timedelta(minutes=max(3, math.ceil(distance / METRES_PER_MINUTE[mode])))
        items.append({"kind": "maps#timelineObject", "id": stable_token(login_id, "timeline", len(items), length=16),
                      "activitySegment": {"startLocation": _point(here), "endLocation": _point(target),
                                          "duration": _duration(clock, arrive), "distance": distance,
                                          "activityType": mode, "confidence": "HIGH"}})
        if len(items) >= size:
            break
        # Home until the next morning; anywhere else for a while that varies with the step.
        leave = (arrive.replace(hour=9, minute=step % 40) + timedelta(days=1) if target is home
                 else arrive + stay + timedelta(minutes=25 * (step % 4)))
        visit(target, arrive, leave)
        here, clock = target, leave
    return items
