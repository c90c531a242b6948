"""The bank's manifest and its comparison with a receipt (app/switching/manifest.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from app.switching.canonical import digest
from app.switching.converters import converter_for
from app.switching.manifest import DuplicateItem, build_manifest, compare, manifest_entry
from app.switching.sources.google_api import to_interchange_all
from tests.unit.switching import samples


def _delivered() -> list[dict]:
    blog = converter_for("blog-a/1")
    items = [blog.convert(i) for r in samples.GOOGLE_RESOURCES for i in to_interchange_all(r)]
    return [i for i in items if i is not None]


def _manifest(items, **overrides):
    values = {"job": "job-1", "source": "google", "destination": "blog-a", "format": "blog-a/1",
              "created_at": "2026-05-01T09:00:00+09:00", **overrides}
    return build_manifest(items=items, **values)


def _receipt(manifest, items=None) -> dict:
    """What an honest destination answers: what it stored, computed from its own copy."""
    entries = manifest["items"] if items is None else [manifest_entry(i) for i in items]
    return {"receipt_version": 1, "iss": "http://127.0.0.7", "job": manifest["job"], "received_at": "2026-05-01T00:01:00Z",
            "items": sorted(entries, key=lambda e: e["id"]), "counts": dict(manifest["counts"])}


def test_manifest_shape_sorted_ids_and_counts_from_prefixes():
    items = _delivered()
    manifest = _manifest(list(reversed(items)))
    assert list(manifest) == ["manifest_version", "job", "source", "destination", "format", "created_at", "items", "counts"]
    ids = [entry["id"] for entry in manifest["items"]]
    assert ids == sorted(ids) and len(ids) == len(items)
    assert manifest["counts"] == {"comment": 2, "interest": 1, "post": 3, "profile": 1}
    assert {e["id"]: e["sha256"] for e in manifest["items"]} == {i["id"]: digest(i) for i in items}
    assert manifest["manifest_version"] == 1 and manifest["created_at"] == "2026-05-01T09:00:00+09:00"


def test_entries_pairs_and_items_give_one_manifest():
    items = _delivered()
    entries = [manifest_entry(i) for i in items]
    assert _manifest(items) == _manifest(entries) == _manifest([(e["id"], e["sha256"]) for e in entries])


def test_an_item_given_twice_is_listed_once_but_two_versions_of_one_id_are_refused():
    items = _delivered()
    assert _manifest(items + items[:2]) == _manifest(items)
    changed = {**items[0], "title": "別の題"}
    with pytest.raises(DuplicateItem) as caught:
        _manifest([*items, changed])
    assert caught.value.item_id == items[0]["id"]


@pytest.mark.parametrize("bad", [{"id": "no-kind", "type": "post"}, {"type": "post"}, ("post:x", "not-a-digest")])
def test_ids_and_digests_are_checked(bad):
    with pytest.raises(ValueError):
        _manifest([bad])


@freeze_time("2026-05-01 00:00:00")
def test_created_at_from_an_aware_datetime_is_utc_to_the_second():
    assert _manifest([], created_at=datetime.now(UTC))["created_at"] == "2026-05-01T00:00:00+00:00"
    with pytest.raises(ValueError):
        _manifest([], created_at=datetime.now())  # noqa: DTZ005 (naive on purpose)
    with pytest.raises(ValueError):
        _manifest([], created_at="2026-05-01T00:00:00")


def test_an_honest_receipt_matches():
    manifest = _manifest(_delivered())
    comparison = compare(manifest, _receipt(manifest))
    assert comparison.matches and comparison.as_dict() == {"missing": [], "changed": [], "unexpected": []}


def test_a_dropped_item_is_missing_and_breaks_the_counts():
    items = _delivered()
    manifest = _manifest(items)
    receipt = _receipt(manifest, items[1:])
    receipt["counts"] = {"post": 2, "comment": 2, "interest": 1, "profile": 1}
    comparison = compare(manifest, receipt)
    assert comparison.missing == [items[0]["id"]] and not comparison.changed and not comparison.unexpected
    assert not comparison.counts_equal and not comparison.matches


def test_one_changed_byte_is_detected():
    items = _delivered()
    manifest = _manifest(items)
    stored = copy.deepcopy(items)
    stored[3]["body_html"] = stored[3]["body_html"][:-1] + "!"  # one character of what the destination keeps
    comparison = compare(manifest, _receipt(manifest, stored))
    assert comparison.changed == [items[3]["id"]] and not comparison.missing and not comparison.matches
    assert comparison.counts_equal  # counts alone would not have seen it


def test_unexpected_items_and_repeats():
    items = _delivered()
    manifest = _manifest(items[1:])
    receipt = _receipt(manifest, items)
    receipt["items"].append(receipt["items"][-1])
    comparison = compare(manifest, receipt)
    assert comparison.unexpected == sorted({items[0]["id"], receipt["items"][-1]["id"]})
    assert not comparison.missing and not comparison.changed


def test_counts_ignore_zeros():
    manifest = _manifest(_delivered())
    receipt = _receipt(manifest)
    receipt["counts"]["calendar_event"] = 0
    assert compare(manifest, receipt).matches
