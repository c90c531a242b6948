"""Fixed inputs for the switching tests: Google read-API resources shaped as docs/switching.md gives them, and Apple
Health interchange items shaped as the bank stores them. Never change one in place: a converter snapshot depends on
it (add a new one instead)."""

from __future__ import annotations

from typing import Any

BLOG = "7001"

POST_LIVE: dict[str, Any] = {
    "kind": "blogger#post", "id": "9001", "blog": {"id": BLOG},
    "published": "2026-04-29T18:30:00.000+09:00", "updated": "2026-04-30T08:00:00.123+09:00",
    "url": "https://kashiwa-family.blogspot.com/2026/04/tomato.html", "title": "ベランダのミニトマト",
    "content": "<p>柏の葉の家でミニトマトを植えました。&amp; 子どもと水やり。</p>", "labels": ["家庭菜園", "子ども", "家庭菜園"],
    "author": {"id": "u1", "displayName": "花子"}, "status": "LIVE",
}
POST_DRAFT: dict[str, Any] = {
    "kind": "blogger#post", "id": "9002", "blog": {"id": BLOG}, "published": "2026-05-01T00:00:00Z",
    "updated": "2026-05-01T00:00:00Z", "url": None, "title": "下書き：こんぶくろ池公園", "content": "",
    "labels": [], "author": {"id": "u1", "displayName": "花子"}, "status": "DRAFT",
}
POST_SCHEDULED: dict[str, Any] = {
    "kind": "blogger#post", "id": "9003", "blog": {"id": BLOG}, "published": "2026-06-01T07:00:00+09:00",
    "updated": "2026-05-01T10:00:00+09:00", "url": "https://kashiwa-family.blogspot.com/2026/06/rain.html",
    "title": "梅雨の過ごし方", "content": "<p>予約投稿</p>", "labels": ["季節"],
    "author": {"id": "u1", "displayName": "花子"}, "status": "SCHEDULED",
    "location": {"name": "柏の葉キャンパス駅", "lat": 35.8934, "lng": 139.9525, "span": "0.1,0.1"},
}
COMMENT: dict[str, Any] = {
    "kind": "blogger#comment", "id": "5001", "post": {"id": "9001"}, "blog": {"id": BLOG},
    "published": "2026-04-30T09:00:00.000+09:00", "updated": "2026-04-30T09:00:00.000+09:00",
    "content": "美味しそう！", "author": {"displayName": "太郎"}, "status": "LIVE",
}
REPLY: dict[str, Any] = {
    "kind": "blogger#comment", "id": "5002", "post": {"id": "9001"}, "blog": {"id": BLOG},
    "published": "2026-04-30T10:00:00+09:00", "updated": "2026-04-30T10:00:00+09:00",
    "content": "ありがとう", "author": {"displayName": "花子"}, "inReplyTo": {"id": "5001"}, "status": "LIVE",
}
USER: dict[str, Any] = {
    "kind": "blogger#user", "id": "u1", "displayName": "柏 花子", "url": "https://www.blogger.com/profile/u1",
    "locale": {"language": "ja", "country": "JP"},
}
SUBSCRIPTION: dict[str, Any] = {
    "kind": "youtube#subscription", "id": "sub-1",
    "snippet": {"title": "かしわ子育てチャンネル", "description": "柏市の子育て情報", "publishedAt": "2025-01-02T03:04:05Z",
                "resourceId": {"kind": "youtube#channel", "channelId": "UCkashiwa0000000000000001"}},
}
WATCH: dict[str, Any] = {
    "kind": "youtube#watchHistoryEntry", "id": "w-1", "header": "YouTube", "title": "夏休みの自由研究アイデア を視聴しました",
    "titleUrl": "https://www.youtube.com/watch?v=abcDEF12345",
    "subtitles": [{"name": "かしわ子育てチャンネル", "url": "https://www.youtube.com/channel/UCkashiwa0000000000000001"}],
    "time": "2026-04-20T11:22:33.456Z", "products": ["YouTube"],
}
EVENT_TIMED: dict[str, Any] = {
    "kind": "calendar#event", "id": "ev1", "status": "confirmed", "summary": "保育園の面談",
    "description": "<b>持ち物</b>：連絡帳", "location": "柏の葉保育園",
    "start": {"dateTime": "2026-05-12T01:00:00Z", "timeZone": "Asia/Tokyo"},
    "end": {"dateTime": "2026-05-12T11:30:00+09:00", "timeZone": "Asia/Tokyo"},
    "created": "2026-04-01T00:00:00.000Z", "updated": "2026-04-02T03:04:05.678Z",
    "attendees": [{"email": "someone@example.jp"}], "reminders": {"useDefault": False, "overrides": [{"minutes": 30}]},
}
EVENT_ALL_DAY_WEEKLY: dict[str, Any] = {
    "kind": "calendar#event", "id": "ev2", "status": "confirmed", "summary": "資源ごみの日",
    "start": {"date": "2026-05-04"}, "end": {"date": "2026-05-05"},
    "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;VALUE=DATE:20260511"],
    "created": "2026-04-01T00:00:00Z", "updated": "2026-04-01T00:00:00Z", "visibility": "private",
}
EVENT_RECURRING_TIMED: dict[str, Any] = {
    "kind": "calendar#event", "id": "ev3", "status": "confirmed", "summary": "スイミング",
    "start": {"dateTime": "2026-05-02T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "end": {"dateTime": "2026-05-02T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=10", "EXDATE;TZID=Asia/Tokyo:20260509T100000"],
    "created": "2026-04-01T00:00:00Z", "updated": "2026-04-01T00:00:00Z",
}
EVENT_OVERRIDE: dict[str, Any] = {
    "kind": "calendar#event", "id": "ev3_20260516T010000Z", "recurringEventId": "ev3", "status": "confirmed",
    "summary": "スイミング（振替）", "originalStartTime": {"dateTime": "2026-05-16T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "start": {"dateTime": "2026-05-17T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "end": {"dateTime": "2026-05-17T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "created": "2026-04-01T00:00:00Z", "updated": "2026-04-10T00:00:00Z",
}
PLACE: dict[str, Any] = {
    "kind": "maps#timelineObject", "id": "t1",
    "placeVisit": {
        "location": {"latitudeE7": 358934000, "longitudeE7": 1399525000, "placeId": "ChIJkashiwanoha",
                     "address": "千葉県柏市若柴", "name": "ららぽーと柏の葉", "semanticType": "TYPE_UNKNOWN",
                     "locationConfidence": 92.5},
        "duration": {"startTimestamp": "2026-05-03T01:00:00Z", "endTimestamp": "2026-05-03T03:30:00.500Z"},
        "placeConfidence": "HIGH_CONFIDENCE", "visitConfidence": 95,
        "childVisits": [{
            "location": {"latitudeE7": 358935000, "longitudeE7": 1399526000, "placeId": "ChIJbookshop",
                         "name": "書店", "locationConfidence": 60},
            "duration": {"startTimestamp": "2026-05-03T01:10:00Z", "endTimestamp": "2026-05-03T01:40:00Z"},
            "placeConfidence": "MEDIUM_CONFIDENCE", "visitConfidence": 70,
        }],
    },
}
SEGMENT: dict[str, Any] = {
    "kind": "maps#timelineObject", "id": "t2",
    "activitySegment": {
        "startLocation": {"latitudeE7": 358700000, "longitudeE7": 1399700000},
        "endLocation": {"latitudeE7": 358934000, "longitudeE7": 1399525000},
        "duration": {"startTimestamp": "2026-05-03T00:40:00Z", "endTimestamp": "2026-05-03T00:58:00Z"},
        "distance": 3200, "activityType": "CYCLING", "confidence": "HIGH",
        "activities": [{"activityType": "CYCLING", "probability": 88.0}, {"activityType": "WALKING", "probability": 10.0}],
        "waypointPath": {"waypoints": [{"latE7": 358800000, "lngE7": 1399600000}], "distanceMeters": 3350.5,
                         "travelMode": "BICYCLE"},
    },
}

GOOGLE_RESOURCES = [POST_LIVE, POST_DRAFT, POST_SCHEDULED, COMMENT, REPLY, USER, SUBSCRIPTION, WATCH, EVENT_TIMED,
                    EVENT_ALL_DAY_WEEKLY, EVENT_RECURRING_TIMED, EVENT_OVERRIDE, PLACE, SEGMENT]


def _record(type_: str, start: str, end: str, value: Any, unit: str | None, **extra: Any) -> dict[str, Any]:
    return {"kind": "health_record", "schema_version": 1, "type": type_,
            "family": "category" if "Category" in type_ else "quantity", "source_name": "花子のApple Watch",
            "source_version": "10.4", "device": None, "start": start, "end": end, "created": end, "value": value,
            "unit": unit, "raw_value": None, "raw_unit": None, "metadata": {}, **extra}


HEALTH_ITEMS: list[dict[str, Any]] = [
    _record("HKQuantityTypeIdentifierStepCount", "2026-05-01T07:00:00+09:00", "2026-05-01T07:10:00+09:00", 812.0, "count"),
    _record("HKQuantityTypeIdentifierHeartRate", "2026-05-01T07:05:00+09:00", "2026-05-01T07:05:00+09:00", 72.5, "count/min"),
    _record("HKQuantityTypeIdentifierDistanceWalkingRunning", "2026-05-01T07:00:00+09:00", "2026-05-01T07:10:00+09:00",
            604.67, "m", raw_value="0.60467", raw_unit="km"),
    _record("HKQuantityTypeIdentifierActiveEnergyBurned", "2026-05-01T07:00:00+09:00", "2026-05-01T07:10:00+09:00",
            418.4 / 4.184, "kcal", raw_value="418.4", raw_unit="kJ"),
    _record("HKQuantityTypeIdentifierBodyMass", "2026-05-01T06:30:00+09:00", "2026-05-01T06:30:00+09:00", 52.3, "kg"),
    _record("HKCategoryTypeIdentifierSleepAnalysis", "2026-04-30T23:00:00+09:00", "2026-05-01T01:00:00+09:00",
            "HKCategoryValueSleepAnalysisAsleepCore", None),
    _record("HKCategoryTypeIdentifierSleepAnalysis", "2026-04-30T23:00:00+09:00", "2026-05-01T01:00:00+09:00",
            "HKCategoryValueSleepAnalysisInBed", None),
    # Not taken: no metric for the type, a 要配慮 notification, an unreadable value.
    _record("HKQuantityTypeIdentifierDietaryWater", "2026-05-01T08:00:00+09:00", "2026-05-01T08:00:00+09:00", 0.2, "L"),
    _record("HKCategoryTypeIdentifierIrregularHeartRhythmEvent", "2026-05-01T02:00:00+09:00", "2026-05-01T02:00:00+09:00",
            "HKCategoryValueNotApplicable", None, sensitive=True),
    _record("HKQuantityTypeIdentifierHeartRate", "2026-05-01T07:06:00+09:00", "2026-05-01T07:06:00+09:00", float("nan"),
            "count/min"),
    {"kind": "workout", "schema_version": 1, "activity_type": "HKWorkoutActivityTypeRunning", "source_name": "花子のApple Watch",
     "source_version": "10.4", "device": None, "start": "2026-05-01T18:00:00+09:00", "end": "2026-05-01T18:30:00+09:00",
     "created": None, "duration_s": 1800.0, "total_distance_m": 4020.5, "total_energy_kcal": 250.0, "metadata": {},
     "statistics": [], "events": [], "routes": [], "activities": []},
    {"kind": "workout", "schema_version": 1, "activity_type": "HKWorkoutActivityTypeTraditionalStrengthTraining",
     "source_name": "花子のiPhone", "start": "2026-05-02T07:00:00+09:00", "end": "2026-05-02T07:20:00+09:00",
     "duration_s": 1200.0, "total_distance_m": None, "total_energy_kcal": 95.25, "metadata": {}, "statistics": [],
     "events": [], "routes": [], "activities": []},
    {"kind": "activity_summary", "schema_version": 1, "date": "2026-05-01", "active_energy_kcal": 420.75,
     "active_energy_goal_kcal": 400.0, "move_time_min": None, "move_time_goal_min": None, "exercise_time_min": 35.0,
     "exercise_time_goal_min": 30.0, "stand_hours": 10.0, "stand_hours_goal": 12.0, "extra": {}},
    {"kind": "me", "schema_version": 1, "date_of_birth": "1990-01-01", "biological_sex": "HKBiologicalSexFemale",
     "blood_type": None, "fitzpatrick_skin_type": None, "cardio_fitness_medications_use": None, "extra": {}},
]
