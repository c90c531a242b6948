"""The pure rules of the partner console: the listing state machine, and target ages as partners say them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.catalog.models import ListingStatus
from app.partners.forms import max_months_exclusive, max_parts, min_months, min_parts, parse_local
from app.partners.listings import InvalidTransition, next_status

DRAFT, PUBLISHED, WITHDRAWN = ListingStatus.DRAFT, ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN


@pytest.mark.parametrize("current, action, after", [(DRAFT, "publish", PUBLISHED), (PUBLISHED, "withdraw", WITHDRAWN),
                                                    (WITHDRAWN, "publish", PUBLISHED)])
def test_the_allowed_changes(current, action, after):
    assert next_status(current, action) == after


@pytest.mark.parametrize("current, action, message", [
    (PUBLISHED, "publish", "already published"),
    (DRAFT, "withdraw", "nothing to withdraw"),
    (WITHDRAWN, "withdraw", "already been withdrawn"),
    (DRAFT, "delete", "not possible"),
    ("archived", "publish", "not possible"),
])
def test_every_other_change_is_refused_with_a_reason(current, action, message):
    with pytest.raises(InvalidTransition) as refused:
        next_status(current, action)
    assert refused.value.status == 409 and message in str(refused.value)


@pytest.mark.parametrize("years, months, low", [(None, None, None), (0, None, 0), (1, 6, 18), (None, 2, 2), (6, 0, 72)])
def test_the_lower_age_is_from_that_age(years, months, low):
    assert min_months(years, months) == low


@pytest.mark.parametrize("years, months, high", [
    (None, None, None),
    (6, None, 84),  # 0〜6歳: until the 7th birthday
    (0, None, 12),  # under 1 year
    (0, 6, 7),  # to 6 months: until 7 months
    (2, 11, 36),
    (None, 3, 4),
])
def test_the_upper_age_is_inclusive_as_people_say_it(years, months, high):
    assert max_months_exclusive(years, months) == high


def test_ages_shown_back_in_the_form_give_the_same_months():
    for months in (None, *range(0, 12 * 19)):
        assert min_months(*min_parts(months)) == months
        if months is None or months > 0:
            assert max_months_exclusive(*max_parts(months)) == months, months


def test_a_local_time_is_japan_time_stored_in_utc():
    assert parse_local("2026-12-05T10:00") == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert parse_local("2026-12-05T10:00:30") == datetime(2026, 12, 5, 1, 0, 30, tzinfo=UTC)
    assert parse_local("2026-12-05T10:00+09:00") is None  # an offset is not what the form sends
    assert parse_local("tomorrow") is None and parse_local("") is None and parse_local(None) is None
