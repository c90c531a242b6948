"""Google read-API resources → interchange items (app/switching/sources/google_api.py), schema-valid."""

from __future__ import annotations

import copy

import pytest

from app.imports import load_schema
from app.switching.sources.google_api import (
    RESOURCE_KINDS,
    AdapterError,
    BadResource,
    UnsupportedResource,
    item_id,
    to_interchange,
    to_interchange_all,
)
from tests.unit.switching import samples

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema validation test cannot run")
VALIDATORS = {kind: jsonschema.Draft202012Validator(load_schema(kind))
              for kinds in RESOURCE_KINDS.values() for kind in kinds}


@pytest.mark.parametrize("resource", samples.GOOGLE_RESOURCES, ids=lambda r: f"{r['kind']}-{r['id']}")
def test_every_resource_gives_schema_valid_items_of_its_kinds(resource):
    items = to_interchange_all(resource)
    assert items
    for item in items:
        VALIDATORS[item["kind"]].validate(item)
        assert item["kind"] in RESOURCE_KINDS[resource["kind"]]
    assert to_interchange(resource) == items[0]


def test_every_listed_kind_is_covered_by_the_samples():
    seen = {item["kind"] for r in samples.GOOGLE_RESOURCES for item in to_interchange_all(r)}
    assert seen == {kind for kinds in RESOURCE_KINDS.values() for kind in kinds}


def test_posts_carry_bloggers_atom_id_and_status():
    live, draft, scheduled = (to_interchange(r) for r in (samples.POST_LIVE, samples.POST_DRAFT, samples.POST_SCHEDULED))
    assert live["id"] == "tag:blogger.com,1999:blog-7001.post-9001"  # as Takeout's feed.atom writes it
    assert (live["status"], draft["status"], scheduled["status"]) == ("live", "draft", "scheduled")
    assert live["published"] == "2026-04-29T18:30:00+09:00" and live["updated"] == "2026-04-30T08:00:00.123+09:00"
    assert draft["published"] == "2026-05-01T00:00:00+00:00"
    assert live["labels"] == ["家庭菜園", "子ども"] and live["path"] == "/2026/04/tomato.html"
    assert draft["content_html"] is None and draft["url"] is None and draft["path"] is None
    assert live["author"] == "花子" and live["type"] == "post"
    assert scheduled["location"] == {"name": "柏の葉キャンパス駅", "latitude": 35.8934, "longitude": 139.9525}
    trashed = to_interchange({**samples.POST_LIVE, "status": "SOFT_TRASHED"})
    assert trashed["status"] == "trashed"
    assert to_interchange({**samples.POST_LIVE, "kind": "blogger#page"})["type"] == "page"
    assert item_id(live) == "post:tag:blogger.com,1999:blog-7001.post-9001"


def test_comments_link_their_post_and_parent_by_atom_id():
    first, reply = to_interchange(samples.COMMENT), to_interchange(samples.REPLY)
    assert first["id"] == "tag:blogger.com,1999:blog-7001.post-5001"
    assert first["post_id"] == reply["post_id"] == "tag:blogger.com,1999:blog-7001.post-9001"
    assert first["in_reply_to"] is None and reply["in_reply_to"] == first["id"]
    assert first["status"] == "live" and first["author"] == "太郎"


def test_user_becomes_a_minimised_profile():
    profile = to_interchange(samples.USER)
    assert profile == {"kind": "profile", "schema_version": 1, "display_name": "柏 花子", "email": None, "locale": "ja-JP",
                       "source": "google_profile", "not_kept": ["id", "url"]}
    assert to_interchange({**samples.USER, "locale": {"language": "ja"}})["locale"] == "ja"


def test_subscription_becomes_an_interest_with_the_channel_id():
    interest = to_interchange(samples.SUBSCRIPTION)
    assert interest["id"] == "UCkashiwa0000000000000001" and interest["name"] == "かしわ子育てチャンネル"
    assert interest["url"] == "https://www.youtube.com/channel/UCkashiwa0000000000000001"
    assert item_id(interest) == "interest:UCkashiwa0000000000000001"


def test_watch_entry_is_read_as_takeout_json():
    watch = to_interchange(samples.WATCH)
    assert watch["time"] == "2026-04-20T11:22:33.456+00:00" and watch["title"] == "夏休みの自由研究アイデア"
    assert watch["video_id"] == "abcDEF12345" and watch["channel_name"] == "かしわ子育てチャンネル"
    assert (watch["format"], watch["product"], watch["ad"], watch["removed"]) == ("json", "youtube", False, False)


def test_calendar_events_keep_zone_recurrence_and_overrides():
    timed = to_interchange(samples.EVENT_TIMED)
    assert (timed["start"], timed["end"]) == ("2026-05-12T10:00:00+09:00", "2026-05-12T11:30:00+09:00")
    assert (timed["timezone"], timed["time_basis"], timed["all_day"]) == ("Asia/Tokyo", "tzid", False)
    assert (timed["created"], timed["last_modified"]) == ("2026-04-01T00:00:00+00:00", "2026-04-02T03:04:05+00:00")
    assert (timed["attendee_count"], timed["alarm_count"], timed["uid"]) == (1, 1, "ev1")
    weekly = to_interchange(samples.EVENT_ALL_DAY_WEEKLY)
    assert (weekly["start"], weekly["end"], weekly["all_day"], weekly["timezone"]) == ("2026-05-04", "2026-05-05", True, None)
    assert weekly["rrule"] == "FREQ=WEEKLY;BYDAY=MO" and weekly["exdates"] == ["2026-05-11"]
    assert weekly["classification"] == "private"
    recurring = to_interchange(samples.EVENT_RECURRING_TIMED)
    assert recurring["exdates"] == ["2026-05-09T10:00:00+09:00"]
    override = to_interchange(samples.EVENT_OVERRIDE)
    assert override["uid"] == "ev3" and override["recurrence_id"] == "2026-05-16T10:00:00+09:00"
    assert item_id(override) == "calendar_event:ev3/2026-05-16T10:00:00+09:00"


def test_calendar_event_without_its_own_zone_is_shown_in_the_calendars():
    event = copy.deepcopy(samples.EVENT_TIMED)
    event["start"], event["end"] = {"dateTime": "2026-05-12T01:00:00Z"}, {}
    shown = to_interchange(event, calendar="hanako@example.jp", calendar_timezone="Asia/Tokyo")
    assert (shown["start"], shown["end"], shown["timezone"], shown["time_basis"]) == (
        "2026-05-12T10:00:00+09:00", "2026-05-12T10:00:00+09:00", "Asia/Tokyo", "utc")
    assert (shown["calendar"], shown["calendar_timezone"]) == ("hanako@example.jp", "Asia/Tokyo")
    bare = to_interchange(event, calendar_timezone="Nowhere/Unknown")
    assert (bare["start"], bare["timezone"], bare["calendar_timezone"]) == ("2026-05-12T01:00:00+00:00", "UTC", None)
    VALIDATORS["calendar_event"].validate(shown)
    VALIDATORS["calendar_event"].validate(bare)


def test_timeline_object_with_child_visits_gives_one_visit_each():
    visit, child = to_interchange_all(samples.PLACE)
    assert (visit["name"], visit["latitude"], visit["longitude"]) == ("ららぽーと柏の葉", 35.8934, 139.9525)
    assert visit["start"] == "2026-05-03T01:00:00+00:00" and visit["end"] == "2026-05-03T03:30:00.500+00:00"
    assert (child["hierarchy_level"], child["parent_place_id"]) == (1, "ChIJkashiwanoha")
    assert visit["probability"] == 0.95 and visit["place_probability"] == 0.925
    (segment,) = to_interchange_all(samples.SEGMENT)
    assert (segment["activity_type"], segment["distance_m"], segment["travel_mode"]) == ("CYCLING", 3200, "BICYCLE")
    assert segment["activities"][0] == {"type": "CYCLING", "probability": 0.88}


@pytest.mark.parametrize("resource", [{"kind": "blogger#blog", "id": "1"}, {"id": "no kind"}, {"kind": 3}, {}])
def test_unknown_kinds_are_a_typed_error(resource):
    with pytest.raises(UnsupportedResource) as caught:
        to_interchange_all(resource)
    assert caught.value.code == "unsupported_kind" and isinstance(caught.value, AdapterError)


@pytest.mark.parametrize(("resource", "code"), [
    ({**samples.POST_LIVE, "id": None}, "no_id"),
    ({**samples.COMMENT, "id": ""}, "no_id"),
    ({"kind": "youtube#subscription", "snippet": {}}, "no_id"),
    ({**samples.WATCH, "title": "かしわ を検索しました", "titleUrl": "https://www.youtube.com/results?search_query=x"},
     "not_a_watch"),
    ({**samples.WATCH, "time": "yesterday"}, "no_time"),
    ({**samples.EVENT_TIMED, "start": {"dateTime": "2026-05-12T10:00:00"}}, "no_time"),  # no offset: no instant
    ({"kind": "maps#timelineObject", "id": "t9"}, "empty"),
    ({"kind": "maps#timelineObject", "id": "t9", "activitySegment": {"duration": {}}}, "no_time"),
])
def test_unreadable_resources_are_a_typed_error(resource, code):
    with pytest.raises(BadResource) as caught:
        to_interchange_all(resource)
    assert caught.value.code == code and caught.value.resource_kind == resource["kind"]
