"""The demo partner's rule: a household with a child of "3-5" or "elementary" is invited to its event.

The event is an EXAMPLE from /work/shared/data/kashiwa/catalog.json (`ev_ashita_yogurt`, `example: true`: an
invented date at a real Kashiwa-no-ha venue, `v_ashita`), and every text says so. The invitation is sent once
per event (its id is the event's), whatever the town group: the venue is open to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.peers.recipient.rules import NoticeDraft, RuleContext, age_bands

INVITED_BANDS = frozenset({"3-5", "elementary"})


@dataclass(frozen=True, slots=True)
class ExampleEvent:
    id: str
    title: str
    venue: str
    venue_address: str
    when: str
    audience: str
    fee: str
    registration: str

    @property
    def page_path(self) -> str:
        return f"/events/{self.id}"


EVENT = ExampleEvent(
    id="ev_ashita_yogurt",
    title="親子食育講座「ヨーグルトで朝ごはん」（例）",
    venue="まちの健康研究所「あ・し・た」",
    venue_address="ららぽーと柏の葉 北館3F（千葉県柏市若柴178-4）",
    when="2027年2月13日（土）10:30〜11:30",
    audience="3歳〜小学生のお子さんと保護者",
    fee="無料",
    registration="要申込（定員20名）",
)
EXAMPLE_NOTE = "※これはデモ用の架空のイベントです。実在の施設・事業者による開催ではありません。"


def event_invitations(items: Mapping[str, Any], context: RuleContext) -> list[NoticeDraft]:
    """The invitations for one household's items (age_bands, town_group)."""
    if not age_bands(items) & INVITED_BANDS:
        return []
    body = (
        f"{EVENT.title}のご案内です。\n"
        f"日時：{EVENT.when}\n"
        f"会場：{EVENT.venue}（{EVENT.venue_address}）\n"
        f"対象：{EVENT.audience}\n"
        f"参加費：{EVENT.fee}／{EVENT.registration}\n"
        "朝ごはんにヨーグルトを取り入れるこつを、親子で楽しく学びます。\n"
        f"{EXAMPLE_NOTE}"
    )
    return [NoticeDraft(id=f"event-{EVENT.id}", title=f"【例】{EVENT.title}のご案内", body=body,
                        link=f"{context.base_url}{EVENT.page_path}")]
