"""Stable source ids and delivered ids (app/switching/sources/ids.py)."""

from __future__ import annotations

import copy
import re

import pytest

from app.switching.sources.google_api import to_interchange, to_interchange_all
from app.switching.sources.ids import UnknownKind, delivered_id, instant, kind_of, source_id
from tests.unit.switching import samples

HASHED = re.compile(r"h[0-9a-f]{32}")


def test_every_sample_has_a_stable_unique_id():
    items = [i for r in samples.GOOGLE_RESOURCES for i in to_interchange_all(r)] + samples.HEALTH_ITEMS
    ids = [delivered_id(item) for item in items]
    assert ids == [delivered_id(copy.deepcopy(item)) for item in items]
    assert len(set(ids)) == len(ids)
    assert all(kind_of(i) == item["kind"] for i, item in zip(ids, items, strict=True))


def test_hashed_ids_name_the_thing_not_its_edits():
    watch = to_interchange(samples.WATCH)
    assert HASHED.fullmatch(source_id(watch))
    # The same watch, as Takeout's HTML page writes its time in local time: one id.
    assert source_id({**watch, "time": "2026-04-20T20:22:33.456+09:00", "format": "html", "title": "改題"}) == source_id(watch)
    assert source_id({**watch, "time": "2026-04-20T11:22:34+00:00"}) != source_id(watch)
    visit = to_interchange(samples.PLACE)
    assert source_id({**visit, "name": "新しい名前"}) == source_id(visit)
    record = samples.HEALTH_ITEMS[5]
    assert source_id(record) != source_id(samples.HEALTH_ITEMS[6])  # two sleep stages over one interval


def test_ids_hash_whatever_the_values():
    nan = {**samples.HEALTH_ITEMS[1], "value": float("nan")}
    assert HASHED.fullmatch(source_id(nan))  # a record no format takes still has an id for the report
    assert source_id({**samples.HEALTH_ITEMS[0], "value": 812}) == source_id(samples.HEALTH_ITEMS[0])  # 812.0


def test_natural_ids():
    assert source_id({"kind": "activity_summary", "date": "2026-05-01"}) == "2026-05-01"
    assert source_id({"kind": "me"}) == "me"
    assert source_id({"kind": "calendar_event", "uid": "x@google.com", "recurrence_id": None}) == "x@google.com"
    assert HASHED.fullmatch(source_id({"kind": "interest", "id": None, "name": "n", "url": None}))
    assert HASHED.fullmatch(source_id({"kind": "calendar_event", "uid": None, "summary": "s", "start": "2026-05-01"}))


def test_instant():
    assert instant("2026-05-01T09:00:00+09:00") == "2026-05-01T00:00:00+00:00"
    assert instant("2026-05-01T09:00:00") == "2026-05-01T09:00:00"
    assert instant("2026-05-01") == "2026-05-01" and instant(None) is None
    assert instant("not a time at all!!") == "not a time at all!!"


@pytest.mark.parametrize("item", [{"kind": "blogger#post"}, {}, {"kind": None}])
def test_unknown_kind(item):
    with pytest.raises(UnknownKind):
        source_id(item)


@pytest.mark.parametrize("bad", ["post", ":x", "post:", ""])
def test_kind_of_refuses_ids_without_a_kind(bad):
    with pytest.raises(ValueError):
        kind_of(bad)
