"""Notices put straight into an inbox (the delivery rules are tested through `app.inbox.services.deliver`)."""

from __future__ import annotations

import factory

from app.inbox.models import Notice
from tests.factories import current_session

CITY_CLIENT = "kashiwa-city"


class NoticeFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Notice
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"
        exclude = ("resident",)

    resident = None
    resident_id = factory.LazyAttribute(lambda o: o.resident.id)
    client_id = CITY_CLIENT
    recipient_key = "kashiwa_kosodate"
    purpose_key = "municipal_recommendation"
    external_id = factory.Sequence(lambda n: f"notice-{n}")
    title = factory.Sequence(lambda n: f"一時預かりのご案内 {n}")
    body = "柏の葉の一時預かりに空きがあります。\nお早めにご予約ください。"
    link_url = "https://www.city.kashiwa.lg.jp/"
