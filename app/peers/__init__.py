"""Peer services: stand-ins for the outside parties the bank talks to.

Each outside party (the Smart Life Pass OIDC provider, MyNa Portal, 柏市's system, a partner, Google, blog-a,
tv-a, health-b) is a small, separate WSGI app with its own storage, served on its own loopback address. The bank
runs on ``localhost``; each peer runs on ``127.0.0.N``. Browsers treat those as different sites, so cookies never
mix and every redirect between the bank and a party really crosses sites, as it does in production. The bank
only knows a peer by its configured URL and client credentials, so production points the same code at the real
party (peers themselves are never started in production).

This module is only the registry: importing it defines constants and starts nothing. ``app.peers.runner``
serves the peers; ``app.peers.base`` is the app factory every peer builds on.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# All peers share one port and differ by address; `PEER_PORT` moves them all (see `registered_peers`).
DEFAULT_PEER_PORT = 5100
PEER_PORT_ENV = "PEER_PORT"


@dataclass(frozen=True, slots=True)
class PeerSpec:
    """Where a peer listens and how to build it.

    ``factory`` is an import string ``"module:function"``; the function is called as
    ``function(storage_dir=<Path>)`` and returns the peer's Flask app. ``None`` reserves the name and address
    for a peer that is not built yet; the runner skips it.
    """

    name: str
    host: str
    port: int
    factory: str | None
    description: str

    @property
    def base_url(self) -> str:
        """The configured URL (with port 0 the real port is only known once served; see the runner)."""
        return f"http://{self.host}:{self.port}"


# The reserved names and addresses, in this order. Addresses never change meaning once given out, so later
# peers take new ones rather than reuse a slot.
PEERS: tuple[PeerSpec, ...] = (
    PeerSpec(
        "smart-life-pass",
        "127.0.0.2",
        DEFAULT_PEER_PORT,
        "app.peers.smart_life_pass:create_app",
        "Smart Life Pass: OIDC provider and Dot to Dot health score API",
    ),
    PeerSpec(
        "mynaportal",
        "127.0.0.3",
        DEFAULT_PEER_PORT,
        "app.peers.mynaportal:create_app",
        "MyNa Portal: 自己情報取得API-shaped source",
    ),
    PeerSpec(
        "kashiwa-city",
        "127.0.0.4",
        DEFAULT_PEER_PORT,
        "app.peers.kashiwa_city:create_app",
        "柏市 子育て支援システム: a recipient (OAuth client of the bank); receives coarse items and sends notices",
    ),
    PeerSpec(
        "partner",
        "127.0.0.5",
        DEFAULT_PEER_PORT,
        "app.peers.partner:create_app",
        "柏の葉デモ協力店: a recipient (OAuth client of the bank); receives age bands and sends event invitations",
    ),
    PeerSpec(
        "google",
        "127.0.0.6",
        DEFAULT_PEER_PORT,
        "app.peers.google:create_app",
        "Google: Blogger/Calendar/YouTube API-shaped source",
    ),
    PeerSpec(
        "blog-a",
        "127.0.0.7",
        DEFAULT_PEER_PORT,
        "app.peers.blog_a:create_app",
        "Blog service A: destination",
    ),
    PeerSpec(
        "tv-a",
        "127.0.0.8",
        DEFAULT_PEER_PORT,
        "app.peers.tv_a:create_app",
        "Internet-TV service A: destination",
    ),
    PeerSpec(
        "health-b",
        "127.0.0.9",
        DEFAULT_PEER_PORT,
        "app.peers.health_b:create_app",
        "Health app B: destination",
    ),
)


def peer_port(environ: Mapping[str, str] | None = None) -> int:
    """The port the registered peers listen on: `PEER_PORT` if set, else 5100.

    Read on demand rather than at import so importing the registry has no dependency on the environment.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(PEER_PORT_ENV, "").strip()
    if not raw:
        return DEFAULT_PEER_PORT
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{PEER_PORT_ENV} must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{PEER_PORT_ENV} must be between 0 and 65535, got {port}")
    return port


def registered_peers(environ: Mapping[str, str] | None = None) -> tuple[PeerSpec, ...]:
    """The registry with the port taken from the environment (`PEER_PORT`), in registry order."""
    port = peer_port(environ)
    return tuple(dataclasses.replace(spec, port=port) for spec in PEERS)


def peer_spec(name: str, specs: Iterable[PeerSpec] | None = None) -> PeerSpec:
    """The spec called `name` (from the environment-adjusted registry unless `specs` is given)."""
    for spec in registered_peers() if specs is None else specs:
        if spec.name == name:
            return spec
    raise KeyError(f"no peer named {name!r}")
