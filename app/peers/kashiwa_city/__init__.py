"""柏市 子育て支援システム: 柏市's system as a recipient of the bank (an OAuth 2.0 client of it), and the window for
delegated disclosure requests (開示請求) the bank files on residents' behalf.

It reads 児童数・年齢区分・町丁目グループ for `municipal_recommendation` and sends guidance notices
(`rules.municipal_notices`); it answers disclosure requests from its residents' records (`disclosure`, `records`).
Endpoints, environment and test controls: docs/peers.md.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.peers.kashiwa_city.disclosure import register_disclosure
from app.peers.kashiwa_city.rules import municipal_notices
from app.peers.recipient import RecipientProfile, create_recipient_app

NAME = "kashiwa-city"

PROFILE = RecipientProfile(
    peer_name=NAME,
    system_name="柏市 子育て支援システム",
    organisation="柏市 こども部 子育て支援課",
    recipient_key="kashiwa_kosodate",
    purpose_key="municipal_recommendation",
    scopes=("children_count", "age_bands", "town_group", "notices"),
    client_id_env="KASHIWA_CITY_CLIENT_ID",
    default_client_id="kashiwa-city",
    template_dir="peers/kashiwa_city",
    rules=municipal_notices,
    resident_benefit="お子さんの年齢とお住まいに合う一時預かり・健診などのご案内を、Azukari のお知らせに届けます。",
)


def create_app(*, storage_dir: Path, issuer: str | None = None, client_id: str | None = None) -> Flask:
    app = create_recipient_app(PROFILE, storage_dir=storage_dir, import_name=__name__, issuer=issuer,
                               client_id=client_id)
    puller = app.extensions["recipient"]
    register_disclosure(app, db=puller.db, issuer=puller.bank.issuer)
    return app
