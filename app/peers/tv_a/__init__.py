"""インターネットTV A (tv-a): a destination for what a resident watches, plans and where they go, in the format
`tv-a/1` (docs/switching.md).

All of it is the destination toolkit (app/peers/destination); this module only says who the service is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.peers.blog_a import INTEREST_FIELDS, PROFILE_FIELDS
from app.peers.destination import DestinationProfile, create_destination_app

# The bank's client secret here: the environment, else this development default (never in production).
SECRET_ENV = "TV_A_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-tv-a-secret-not-for-production"

PROFILE = DestinationProfile(
    peer_name="tv-a",
    display_name_ja="インターネットTV A",
    display_name_en="Internet TV A",
    format="tv-a/1",
    types={
        # `profile` and `interest` are blog-a's (the formats say "as blog-a").
        "profile": PROFILE_FIELDS,
        "interest": INTEREST_FIELDS,
        "viewing": ("title", "channel", "watched_at", "url"),
        "schedule": ("title", "start", "end", "all_day", "recurrence"),
        "place": ("name", "latitude", "longitude", "arrived_at", "left_at"),
        "trip": ("mode", "distance_m", "start", "end"),
    },
    type_labels={"profile": "プロフィール", "interest": "興味・関心", "viewing": "視聴履歴", "schedule": "予定",
                 "place": "訪れた場所", "trip": "移動"},
    bank_scope="profile interests viewing_history calendar_events location_history",
    secret_env=SECRET_ENV,
    default_secret=DEV_CLIENT_SECRET,
    redirect_uris_env="TV_A_REDIRECT_URIS",
    client_id_env="TV_A_CLIENT_ID",
)


def create_app(*, storage_dir: Path, **overrides: Any) -> Flask:
    """`overrides` are `create_destination_app`'s: client_secret, redirect_uris, quota_items, issuer, client_id."""
    return create_destination_app(PROFILE, storage_dir=storage_dir, import_name=__name__, **overrides)
