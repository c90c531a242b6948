"""What the demo pilot's households saw and did besides using 柏市's services (app/demo/pilot.py): the months the
feed showed them a service, events first recommended to them and the ones they joined, and their answers to the two
survey questions the EBPM statistics read.

Written where the app writes them (impressions as the feed page records them; participations as a check-in records
them, with the event's tags; survey answers as submitted responses), without the pages in between: the pilot's
households never log in. The answers are not submitted to the pilot analysts (the pilot's households did not consent
to that purpose). Effects are built in: a service shown in a month is used more that month; joining events of a
kind rises after its first recommendation; finding information gets easier over the pilot, most in the pilot area.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.catalog.models import CatalogEvent, ListingStatus
from app.db import utcnow
from app.participation.models import Participation, ParticipationKind
from app.recommend import impressions
from app.surveys.models import Survey, SurveyResponse

SURVEYS = ("pre_pilot", "post_pilot")


def surveys_exist(session: Session) -> bool:
    return set(SURVEYS) <= set(session.exec(select(Survey.key)))

# The bank was offered in the pilot area first: its feed reached more households there.
SHOWN_CHANCE = {"kashiwanoha_pilot": 0.55, "kashiwanoha_ring": 0.30, "kashiwa_other": 0.08, "nagareyama_ring": 0.15,
                "nagareyama_other": 0.02}
SHOWN_EFFECT = 1.8  # a service shown in a month is that much more likely to be used that month
RECOMMENDED_CHANCE = {"kashiwanoha_pilot": 0.45, "kashiwanoha_ring": 0.25, "kashiwa_other": 0.06,
                      "nagareyama_ring": 0.15, "nagareyama_other": 0.02}
TAGS = ("baby", "outdoor", "reading", "playground", "music")
JOIN_BEFORE, JOIN_AFTER = 0.10, 0.22  # the chance of joining in each of four weeks, before and after
ANSWERING = 0.35  # of the consenting households, those that answered both surveys
INFO_BEFORE = (12, 26, 34, 20, 8)  # weights of 1–5


@dataclass(frozen=True)
class EventPool:
    """Published events by tag: (id, venue id, tags)."""

    by_tag: dict[str, list[tuple[str, str, tuple[str, ...]]]]

    @classmethod
    def read(cls, session: Session) -> EventPool:
        by_tag: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
        rows = session.exec(select(CatalogEvent).where(CatalogEvent.status == ListingStatus.PUBLISHED)
                            .order_by(col(CatalogEvent.id)))
        for event in rows:
            tags = tuple(dict.fromkeys(event.tags or ()))
            for tag in tags:
                by_tag.setdefault(tag, []).append((event.id, event.venue_id, tags))
        return cls({tag: events for tag, events in by_tag.items() if tag in TAGS})


def shown_days(draw: random.Random, group: str, candidates: dict[date, list[str]]) -> dict[tuple[str, date], date]:
    """{(service, first day of the month): the day the feed first showed it that month}, from the services that
    fit the household's children each month (`candidates`)."""
    return {(service_id, first): first.replace(day=draw.randint(1, 28)) for first, services in candidates.items()
            for service_id in services if draw.random() < SHOWN_CHANCE[group]}


@dataclass
class Activity:
    shown: list[tuple[impressions.Shown, date]]
    joined: list[tuple[str, str, tuple[str, ...], date]]  # (event id, venue id, tags, day)
    answers: tuple[int, int, int] | None  # info_finding before, after; service satisfaction


def draw_activity(draw: random.Random, group: str, pool: EventPool, today: date, consents: bool) -> Activity:
    shown: list[tuple[impressions.Shown, date]] = []
    joined: list[tuple[str, str, tuple[str, ...], date]] = []
    tags = sorted(pool.by_tag)
    if tags and draw.random() < RECOMMENDED_CHANCE[group]:
        tag = draw.choice(tags)
        first = today - timedelta(days=draw.randint(35, 330))
        event_id, venue_id, event_tags = draw.choice(pool.by_tag[tag])
        shown.append((impressions.Shown("event", event_id, event_tags), first))
        for week in range(-4, 4):
            if draw.random() < (JOIN_AFTER if week >= 0 else JOIN_BEFORE):
                joined_id, joined_venue, joined_tags = draw.choice(pool.by_tag[tag])
                joined.append((joined_id, joined_venue, joined_tags, first + timedelta(days=7 * week + draw.randint(0, 6))))
    answers = None
    if consents and draw.random() < ANSWERING:
        before = draw.choices(range(1, 6), weights=INFO_BEFORE)[0]
        lift = {"kashiwanoha_pilot": 0.45, "kashiwanoha_ring": 0.3}.get(group, 0.1)
        after = min(5, max(1, before + (1 if draw.random() < lift else 0) - (1 if draw.random() < 0.08 else 0)))
        satisfaction = min(5, max(1, round(draw.gauss(3.7 if group == "kashiwanoha_pilot" else 3.4, 0.9))))
        answers = (before, after, satisfaction)
    return Activity(shown, joined, answers)


def store(session: Session, resident_id: uuid.UUID, activity: Activity, services_shown: dict[tuple[str, date], date],
          categories: dict[str, str], surveys_open: bool) -> None:
    """Keep the household's activity as the app keeps it (`surveys_open`: the two surveys exist)."""
    impressions.record_days(session, resident_id, [
        *((impressions.Shown("service", service_id, (categories.get(service_id, ""),)), day)
          for (service_id, _first), day in sorted(services_shown.items())),
        *activity.shown])
    seen: set[tuple[str, date]] = set()
    for event_id, venue_id, tags, day in activity.joined:
        if (event_id, day) in seen:
            continue
        seen.add((event_id, day))
        session.add(Participation(resident_id=resident_id, kind=ParticipationKind.EVENT, item_id=event_id,
                                  venue_id=venue_id, categories=list(tags), occurred_on=day, source="resident"))
    if activity.answers is not None and surveys_open:
        before, after, satisfaction = activity.answers
        now = utcnow()
        session.add(SurveyResponse(survey_key="pre_pilot", resident_id=resident_id, answers={"info_finding": before},
                                   submitted_at=now))
        session.add(SurveyResponse(survey_key="post_pilot", resident_id=resident_id,
                                   answers={"info_finding": after, "service_satisfaction": satisfaction},
                                   submitted_at=now))
