"""The bank at a real blog-a peer (app/switching/remote.py): an access token the service no longer accepts (401) is
refreshed once and the call made again; the rotated refresh token is what is kept; a refresh the service refuses
ends the connection (the resident connects again) rather than looping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from app.accounts.oauth_client import TokenSet
from app.config import Settings
from app.crypto import unseal
from app.peers import PeerSpec
from app.peers.runner import serve_peers
from app.switching import registry, remote
from tests.peers.oauth_helpers import Flow
from tests.unit.switching.test_notify import BLOG_REDIRECT, BLOG_SECRET, at, new_resident


def blog_a_app(*, storage_dir: Path) -> Flask:
    from app.peers.blog_a import create_app

    return create_app(storage_dir=storage_dir, client_secret=BLOG_SECRET, redirect_uris=[BLOG_REDIRECT])


def test_a_401_is_refreshed_once_and_the_rotated_token_kept(app: Flask, db: Session, settings: Settings,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLOG_A_CLIENT_ID", raising=False)
    with serve_peers([PeerSpec("blog-a", "127.0.0.7", 0, f"{__name__}:blog_a_app", "under test")], tmp_path) as urls:
        blog = urls["blog-a"]
        configured = at(settings, blog, blog_a_client_secret=BLOG_SECRET)
        flow = Flow(blog, BLOG_SECRET, BLOG_REDIRECT, "import profile")
        tokens = flow.exchange(flow.authorize({"login_id": "hanako@example.jp",
                                               "password": "blog-a-hanako-2026"})["code"]).json()
        resident = new_resident()
        with app.app_context():
            # A token that looks alive to the bank (an hour left) but that blog-a does not know: its answer is 401.
            remote.save(db, configured, resident, "blog-a", TokenSet(
                "revoked-or-forgotten", tokens["refresh_token"], datetime.now(UTC) + timedelta(hours=1),
                tokens["scope"]))
            client = remote.ServiceClient(db, configured, resident, registry.provider(configured, "blog-a"))
            me = client.call("GET", "/dtp/v1/me")
            assert me["service"]  # answered after one refresh
            kept = remote.connection(db, resident, "blog-a")
            assert kept is not None and kept.refresh_token_sealed is not None
            assert unseal(kept.refresh_token_sealed, secret_key=configured.resolved_secret_key(),
                          label=remote.TOKEN_SEAL_LABEL) != tokens["refresh_token"]  # rotated, kept

            # The service refuses the refresh (the old refresh token, replayed): no loop, the connection is over.
            remote.save(db, configured, resident, "blog-a", TokenSet(
                "revoked-or-forgotten", tokens["refresh_token"], datetime.now(UTC) + timedelta(hours=1),
                tokens["scope"]))
            with pytest.raises(remote.NotConnected):
                remote.ServiceClient(db, configured, resident, registry.provider(configured, "blog-a")).call(
                    "GET", "/dtp/v1/me")
