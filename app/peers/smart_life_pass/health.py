"""Dot to Dot's health scores from カロママプラス: made up, but the same numbers for the same person and day.

Each day's numbers come from a generator seeded with the subject and the date, so a client that fetches twice
(or a test) sees exactly what it saw before, and nothing needs storing.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

# Japan has no daylight saving time, so a fixed offset is Asia/Tokyo (and needs no tz database).
JST = timezone(timedelta(hours=9), "Asia/Tokyo")
SERVICE_NAME = "カロママプラス"
DEFAULT_DAYS = 30
MAX_DAYS = 365


def today_in_japan() -> date:
    return datetime.now(JST).date()


def daily_score(subject: str, day: date) -> dict[str, Any]:
    seed = hashlib.sha256(f"dot2dot|{subject}|{day.isoformat()}".encode()).digest()
    generator = random.Random(seed)
    meal = generator.randint(35, 98)
    exercise = generator.randint(25, 98)
    # The overall score leans on the sub-scores with a little day-to-day noise, clamped to 0..100.
    score = max(0, min(100, round((meal + exercise) / 2 + generator.randint(-5, 5))))
    return {"date": day.isoformat(), "score": score, "meal": meal, "exercise": exercise}


def health_scores(subject: str, days: int, today: date | None = None) -> dict[str, Any]:
    """The `days` days ending yesterday (Japan time), newest first."""
    today = today_in_japan() if today is None else today
    scores = [daily_score(subject, today - timedelta(days=offset)) for offset in range(1, days + 1)]
    return {"subject": subject, "service": SERVICE_NAME, "unit": "score", "scores": scores}
