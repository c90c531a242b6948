"""ヘルスケアアプリB (health-b): a destination for a resident's health records, in the format `health-b/1`
(docs/switching.md).

All of it is the destination toolkit (app/peers/destination); this module only says who the service is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.peers.destination import DestinationProfile, create_destination_app

# The bank's client secret here: the environment, else this development default (never in production).
SECRET_ENV = "HEALTH_B_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-health-b-secret-not-for-production"

PROFILE = DestinationProfile(
    peer_name="health-b",
    display_name_ja="ヘルスケアアプリB",
    display_name_en="Healthcare app B",
    format="health-b/1",
    types={
        "sample": ("metric", "start", "end", "value", "unit", "source"),
        "exercise": ("activity", "start", "end", "duration_s", "distance_m", "energy_kcal"),
        "daily_activity": ("date", "active_energy_kcal", "exercise_min", "stand_hours"),
    },
    type_labels={"sample": "測定値", "exercise": "運動", "daily_activity": "一日の活動"},
    bank_scope="health_records",
    secret_env=SECRET_ENV,
    default_secret=DEV_CLIENT_SECRET,
    redirect_uris_env="HEALTH_B_REDIRECT_URIS",
    client_id_env="HEALTH_B_CLIENT_ID",
)


def create_app(*, storage_dir: Path, **overrides: Any) -> Flask:
    """`overrides` are `create_destination_app`'s: client_secret, redirect_uris, quota_items, issuer, client_id."""
    return create_destination_app(PROFILE, storage_dir=storage_dir, import_name=__name__, **overrides)
