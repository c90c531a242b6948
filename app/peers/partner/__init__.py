"""柏の葉デモ協力店: a Kashiwa-no-ha partner as a recipient of the bank (an OAuth 2.0 client of it).

It reads 年齢区分・町丁目グループ for `event_recommendation` and invites households with a child of the right
age to an example event (`rules.event_invitations`), whose page it serves at `/events/<id>`. Endpoints,
environment and test controls: docs/peers.md.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, render_template
from flask.typing import ResponseReturnValue

from app.peers.partner.rules import EVENT, EXAMPLE_NOTE, event_invitations
from app.peers.recipient import RecipientProfile, create_recipient_app

NAME = "partner"

PROFILE = RecipientProfile(
    peer_name=NAME,
    system_name="柏の葉デモ協力店 イベント案内",
    organisation="柏の葉デモ協力店",
    recipient_key="kashiwanoha_partner",
    purpose_key="event_recommendation",
    scopes=("age_bands", "town_group", "notices"),
    client_id_env="PARTNER_CLIENT_ID",
    default_client_id="kashiwanoha-partner",
    template_dir="peers/partner",
    rules=event_invitations,
    resident_benefit="お子さんの年齢に合う柏の葉のイベントのご案内を、Azukari のお知らせに届けます。",
)


def create_app(*, storage_dir: Path, issuer: str | None = None, client_id: str | None = None) -> Flask:
    app = create_recipient_app(PROFILE, storage_dir=storage_dir, import_name=__name__, issuer=issuer,
                               client_id=client_id)

    @app.get("/events/<event_id>")
    def event_page(event_id: str) -> ResponseReturnValue:
        if event_id != EVENT.id:
            abort(404)
        return render_template("peers/partner/event.html", event=EVENT, example_note=EXAMPLE_NOTE)

    return app
