"""The toolkit for recipient peers: outside systems that are OAuth 2.0 *clients* of the bank (docs/oauth.md),
the opposite of the source peers, which are authorization servers the bank is a client of.

A recipient peer defines a `RecipientProfile` (its names, its scopes, its rules) and calls
`create_recipient_app`, which gives it: an EC P-256 client key with its JWKS at `/.well-known/jwks.json`,
"Azukari と連携する" (`/start`, `POST /connect`, `/callback`), private_key_jwt at the bank's token endpoint, a
pull of `/api/v1/me` with refresh and refusal handling, notices sent through `/api/v1/notices`, a staff screen
(`/`, `POST /pull`) and test controls (`POST /_test/pull`, `GET /_test/links`). Modules: `keys`, `bank` (the
contract's client side), `storage`, `rules` (what rules work with), `pull` and `views`.

The bank's location: `AZUKARI_ISSUER`, else `PUBLIC_URL`, else http://localhost:5000 (no trailing slash). The
client id: the profile's environment variable, else its default. Nothing talks to the bank at start-up, so the
peers start whether or not the bank is up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app.peers.authserver.storage import PeerDatabase
from app.peers.base import create_peer_app, peer_storage
from app.peers.recipient.bank import BankClient
from app.peers.recipient.keys import load_or_create_client_key
from app.peers.recipient.profile import RecipientProfile
from app.peers.recipient.pull import Puller
from app.peers.recipient.storage import Base
from app.peers.recipient.views import own_base_url, register_views

__all__ = ["RecipientProfile", "bank_issuer", "create_recipient_app"]

ISSUER_ENV = "AZUKARI_ISSUER"
DEFAULT_PUBLIC_URL = "http://localhost:5000"


def bank_issuer(environ: Mapping[str, str] | None = None) -> str:
    """`AZUKARI_ISSUER`, else `PUBLIC_URL`, else http://localhost:5000; never with a trailing slash."""
    environ = os.environ if environ is None else environ
    configured = environ.get(ISSUER_ENV, "").strip() or environ.get("PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
    return configured.rstrip("/")


def create_recipient_app(
    profile: RecipientProfile,
    *,
    storage_dir: Path,
    import_name: str,
    issuer: str | None = None,
    client_id: str | None = None,
) -> Flask:
    """The peer's app. `issuer` and `client_id` win over the environment (tests pin them)."""
    app = create_peer_app(profile.peer_name, storage_dir=storage_dir, import_name=import_name)
    folder = peer_storage(app)
    bank = BankClient(
        issuer=(issuer or bank_issuer()).rstrip("/"),
        client_id=client_id or os.environ.get(profile.client_id_env, "").strip() or profile.default_client_id,
        key=load_or_create_client_key(folder),
    )
    # The peer database's session handling, but only this toolkit's tables: a client keeps no OAuth server tables.
    db = PeerDatabase(app, folder)
    Base.metadata.create_all(db.engine)
    puller = Puller(profile, bank, db, own_base_url)
    register_views(app, profile=profile, bank=bank, puller=puller, db=db)
    app.extensions["recipient"] = puller
    return app
