"""RFC 8785 canonical JSON and digests (app/switching/canonical.py)."""

from __future__ import annotations

import hashlib
import json

import orjson
import pytest

from app.switching.canonical import MAX_SAFE_INTEGER, NotCanonical, canonical, digest
from app.switching.converters import CONVERTERS
from app.switching.sources.google_api import to_interchange_all
from tests.unit.switching.samples import GOOGLE_RESOURCES, HEALTH_ITEMS


def test_keys_are_sorted_by_utf16_code_units_and_whitespace_is_dropped():
    assert canonical({"b": 1, "a": [1, 2, {"d": None, "c": True}]}) == b'{"a":[1,2,{"c":true,"d":null}],"b":1}'
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16: it sorts before U+FB33, although its code point is larger.
    assert canonical({"\ufb33": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb33":1}'.encode()


def test_unicode_is_written_as_utf8_and_only_controls_are_escaped():
    assert canonical({"t": "柏の葉\u2028\"\\\n\x1f"}) == '{"t":"柏の葉\u2028\\"\\\\\\n\\u001f"}'.encode()


@pytest.mark.parametrize(("value", "written"), [
    (1.0, b"1"), (-0.0, b"0"), (0.1, b"0.1"), (1e-7, b"1e-7"), (2.5e-8, b"2.5e-8"), (-1.5, b"-1.5"),
    (123456789.125, b"123456789.125"),
    (MAX_SAFE_INTEGER, b"9007199254740991"), (-5, b"-5"), (float(2**52), b"4503599627370496"),
])
def test_number_forms(value, written):
    assert canonical(value) == written


def test_the_same_value_in_any_spelling_has_one_digest():
    spellings = ['{"a": 1.0, "b": "\\u67cf"}', '{"b":"柏","a":1}', '{ "a" : 1e0 , "b" : "柏" }']
    assert len({digest(json.loads(text)) for text in spellings}) == 1
    assert digest({"a": 1}) == hashlib.sha256(b'{"a":1}').hexdigest()


@pytest.mark.parametrize(("value", "code", "path"), [
    ({"v": float("nan")}, "float_domain", "$.v"),
    ([1, float("inf")], "float_domain", "$[1]"),
    ({"n": 2**53}, "integer_domain", "$.n"),
    ({"n": -(2**53)}, "integer_domain", "$.n"),
    ({"n": 1e20}, "integer_domain", "$.n"),  # would read back as an int beyond 2^53
    ({"s": "\ud800"}, "bad_string", "$.s"),
    ({"\udfff": 1}, "bad_string", "$"),
    ({1: "x"}, "not_json", "$"),
    ({"x": {1, 2}}, "not_json", "$.x"),
    ({"x": b"bytes"}, "not_json", "$.x"),
])
def test_values_without_a_canonical_form_are_refused_with_a_code_and_path(value, code, path):
    with pytest.raises(NotCanonical) as caught:
        digest(value)
    assert caught.value.code == code and caught.value.path == path
    assert isinstance(caught.value, ValueError)


def _every_converted_item():
    items = [i for r in GOOGLE_RESOURCES for i in to_interchange_all(r)] + HEALTH_ITEMS
    for converter in CONVERTERS.values():
        for item in items:
            converted = converter.convert(item)
            if converted is not None:
                yield converted


def test_a_reserialised_item_verifies():
    """What a destination does: parse the JSON it was sent (pretty, ASCII-escaped, or by orjson), canonicalise, hash."""
    converted = list(_every_converted_item())
    assert len(converted) > 20
    for item in converted:
        sent = digest(item)
        assert digest(json.loads(json.dumps(item, indent=2, ensure_ascii=True))) == sent
        assert digest(orjson.loads(orjson.dumps(item))) == sent
        assert digest(json.loads(canonical(item))) == sent
