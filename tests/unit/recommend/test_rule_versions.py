"""The profiling rules' versions (security anchor G6): what the data ethics board approves is named by the code, and a
changed parameter is a new version by itself."""

from __future__ import annotations

import re

import pytest

from app.catalog.services import catalog_document
from app.recommend import eligibility, ranking, rules


@pytest.fixture(autouse=True)
def _fresh_rules():  # type: ignore[no-untyped-def]
    rules.current_rules.cache_clear()
    yield
    rules.current_rules.cache_clear()


def test_the_rule_sets_are_named_by_key_and_version() -> None:
    subjects = {rule.key: rule.subject for rule in rules.current_rules()}
    assert set(subjects) == {rules.ELIGIBILITY, rules.FEED_RANKING}
    assert subjects[rules.ELIGIBILITY] == f"eligibility@{eligibility.REVISION}.{catalog_document()['meta']['compiled_on']}"
    assert re.fullmatch(rf"feed_ranking@{ranking.REVISION}\.[0-9a-f]{{8}}", subjects[rules.FEED_RANKING])
    assert all(len(subject) <= 40 for subject in subjects.values())  # ethics_approval.subject_key
    assert ranking.rules_version() == ranking.rules_version()  # stable across calls (and processes: sorted JSON)


@pytest.mark.parametrize("name, value", [
    ("EVENT_WEIGHTS", {**ranking.EVENT_WEIGHTS, "health": 0.11}),
    ("COUPON_WEIGHTS", {**ranking.COUPON_WEIGHTS, "freshness": 0.2}),
    ("HEALTH_LOW_BELOW", 55),
    ("THIRD_AT_VENUE_PENALTY", 2.0),
    ("ACTIVE_TAGS", ranking.ACTIVE_TAGS | {"music"}),
    ("REVISION", ranking.REVISION + 1),
])
def test_any_changed_ranking_parameter_is_a_new_version(monkeypatch, name, value) -> None:  # type: ignore[no-untyped-def]
    before = next(rule.subject for rule in rules.current_rules() if rule.key == rules.FEED_RANKING)
    monkeypatch.setattr(ranking, name, value)
    rules.current_rules.cache_clear()
    after = next(rule.subject for rule in rules.current_rules() if rule.key == rules.FEED_RANKING)
    assert after != before
