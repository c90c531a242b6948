"""Serve the peer services: ``python -m app.peers.runner [--only NAME ...] [--extra module:ATTR ...] [--list]``.

All peers run in one process, each on its own loopback address and its own server thread, so `make run` needs
one extra process, not eight. Once every peer is listening, the runner prints one ``<name>: <url>`` line per
peer to stdout (the only thing it prints there; logs go to stderr), which is what scripts and tests wait for.
SIGTERM or SIGINT stops every server and exits 0. Peers are stand-ins, so the runner refuses to start in
production. Tests that want peers in their own process use `serve_peers` instead.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from flask import Flask
from pydantic import ValidationError
from werkzeug.serving import BaseWSGIServer, make_server

from app.config import PROJECT_ROOT, InsecureSettings, Settings
from app.peers import PeerSpec, registered_peers

log = logging.getLogger(__name__)

STORAGE_ENV = "PEERS_STORAGE"
# How long stopping may wait for one server's loop to end; its request threads are daemons.
STOP_TIMEOUT_SECONDS = 5.0


class PeerError(RuntimeError):
    """A peer cannot be loaded or served; the message says which and why."""


def default_storage_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`PEERS_STORAGE`, else `<project>/instance/peers` (next to the bank's instance data, never inside it)."""
    environ = os.environ if environ is None else environ
    configured = environ.get(STORAGE_ENV, "").strip()
    return Path(configured) if configured else PROJECT_ROOT / "instance" / "peers"


def production_refusal(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the peers must not start here, or None. Peers fake outside parties; production talks to real ones."""
    environ = os.environ if environ is None else environ
    if environ.get("AZUKARI_ENV", "").strip().lower() == "production":
        return "AZUKARI_ENV=production: peer services are development and test stand-ins and are off in production"
    # The bank's settings may say production (or turn peers off) through `.env` rather than the environment.
    try:
        settings = Settings()
    except InsecureSettings:  # only raised for production settings
        return "the settings are production's (AZUKARI_ENV from .env): peer services are off in production"
    except ValidationError as exc:
        return f"cannot read the settings, so cannot tell this is not production: {exc}"
    if settings.is_production:
        return "the settings are production's: peer services are off in production"
    if not settings.peers_enabled:
        return "PEERS_ENABLED is false: peer services are turned off"
    return None


def load_object(import_string: str) -> object:
    """Resolve ``"package.module:attr.sub"`` to the object it names."""
    module_name, sep, attr_path = import_string.partition(":")
    if not sep or not module_name or not attr_path:
        raise PeerError(f"{import_string!r} is not an import string of the form 'module:attribute'")
    try:
        obj: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise PeerError(f"cannot import {module_name!r} (from {import_string!r}): {exc}") from exc
    for attr in attr_path.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise PeerError(f"{import_string!r}: {attr!r} not found") from None
    return obj


def load_specs(import_string: str) -> tuple[PeerSpec, ...]:
    """The sequence of `PeerSpec` an ``--extra`` import string names."""
    obj = load_object(import_string)
    if isinstance(obj, PeerSpec):
        return (obj,)
    if not isinstance(obj, Sequence) or isinstance(obj, str) or not all(isinstance(s, PeerSpec) for s in obj):
        raise PeerError(f"{import_string!r} must name a sequence of PeerSpec")
    return tuple(obj)


def build_peer_app(spec: PeerSpec, storage_dir: Path) -> Flask:
    """Call the spec's factory and check it built the peer the spec names."""
    if spec.factory is None:
        raise PeerError(f"peer {spec.name!r} is not built yet (no factory)")
    factory = load_object(spec.factory)
    if not callable(factory):
        raise PeerError(f"{spec.factory!r} is not callable")
    app = factory(storage_dir=storage_dir)
    if not isinstance(app, Flask):
        raise PeerError(f"{spec.factory!r} returned {type(app).__name__}, not a Flask app")
    if app.config.get("PEER_NAME") != spec.name:
        # A mismatch would put the peer's cookie and storage under another peer's name.
        raise PeerError(
            f"{spec.factory!r} built peer {app.config.get('PEER_NAME')!r}, but the spec is {spec.name!r}"
        )
    return app


@contextmanager
def serve_peers(specs: Iterable[PeerSpec], storage_dir: Path) -> Iterator[dict[str, str]]:
    """Serve `specs` in background threads; yields ``{name: base URL}`` once all listen, stops them on exit.

    Specs without a factory are skipped. A spec with port 0 gets a free port; the yielded URL has the real one,
    and so does the app's ``PEER_BASE_URL`` (what a peer uses as, e.g., its OIDC issuer).
    """
    specs = tuple(specs)
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PeerError(f"peer names must be unique: {', '.join(duplicates)}")
    storage_dir = Path(storage_dir)

    urls: dict[str, str] = {}
    servers: list[tuple[str, BaseWSGIServer]] = []
    threads: list[tuple[BaseWSGIServer, threading.Thread]] = []
    try:
        for spec in specs:
            if spec.factory is None:
                log.debug("peer %s is not built yet; skipped", spec.name)
                continue
            storage_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            app = build_peer_app(spec, storage_dir)
            server = _make_peer_server(spec, app)
            servers.append((spec.name, server))
            url = f"http://{spec.host}:{server.port}"
            app.config["PEER_BASE_URL"] = url
            urls[spec.name] = url
        for name, server in servers:
            thread = threading.Thread(target=server.serve_forever, name=f"peer-{name}", daemon=True)
            thread.start()
            threads.append((server, thread))
        yield urls
    finally:
        _stop(servers, threads)


def _make_peer_server(spec: PeerSpec, app: Flask) -> BaseWSGIServer:
    """Bind first, ourselves, so a busy port raises an error here instead of werkzeug calling sys.exit."""
    try:
        sock = socket.create_server((spec.host, spec.port), backlog=128)
    except OSError as exc:
        hint = ""
        if exc.errno == errno.EADDRNOTAVAIL and sys.platform == "darwin":
            hint = f" (on macOS, add the address first: sudo ifconfig lo0 alias {spec.host} up)"
        raise PeerError(f"peer {spec.name!r} cannot listen on {spec.host}:{spec.port}: {exc.strerror}{hint}") from exc
    try:
        # Werkzeug duplicates the descriptor, so our socket object is closed either way.
        return make_server(spec.host, spec.port, app, threaded=True, fd=sock.fileno())
    finally:
        sock.close()


def _stop(servers: list[tuple[str, BaseWSGIServer]], threads: list[tuple[BaseWSGIServer, threading.Thread]]) -> None:
    # `shutdown` waits for `serve_forever` to return, so only servers whose loop was started get it.
    for server, _ in threads:
        server.shutdown()
    for _, server in servers:
        server.server_close()
    for _, thread in threads:
        thread.join(STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            log.warning("peer server thread %s did not stop within %.0fs", thread.name, STOP_TIMEOUT_SECONDS)


def select_specs(specs: Sequence[PeerSpec], only: Sequence[str] | None) -> tuple[PeerSpec, ...]:
    """The specs to serve: those with a factory, narrowed to `only` when given (unknown names are an error)."""
    if only:
        known = {spec.name: spec for spec in specs}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise PeerError(f"unknown peer(s): {', '.join(unknown)}; known: {', '.join(known)}")
        unbuilt = [name for name in only if known[name].factory is None]
        if unbuilt:
            raise PeerError(f"peer(s) not built yet: {', '.join(unbuilt)}")
        wanted = set(only)
        specs = [spec for spec in specs if spec.name in wanted]
    skipped = [spec.name for spec in specs if spec.factory is None]
    if skipped:
        log.info("not built yet, skipped: %s", ", ".join(skipped))
    return tuple(spec for spec in specs if spec.factory is not None)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.peers.runner",
        description="Serve the peer services (stand-ins for outside parties) on their loopback addresses.",
    )
    parser.add_argument(
        "--only", nargs="+", action="extend", metavar="NAME", help="serve only these peers (repeatable)"
    )
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="also serve the PeerSpec sequence this import string names (repeatable; used by tests)",
    )
    parser.add_argument(
        "--list", action="store_true", help="print the '<name>: <url>' line of each built peer and exit"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.list else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.list:  # what `make run` prints before starting everything
        for spec in select_specs(list(registered_peers()), None):
            print(f"{spec.name}: {spec.base_url}", flush=True)
        return 0
    reason = production_refusal()
    if reason:
        log.error("refusing to start the peer services: %s", reason)
        return 2

    # A plain flag, not a threading.Event: the handler runs on the main thread between bytecodes,
    # possibly while that thread is inside Event.wait() holding the Event's lock, and Event.set()
    # would then deadlock on the same non-reentrant lock (seen in CI).
    stop_requested: list[int] = []

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    # `kill -USR1 <pid>` writes every thread's stack to stderr: how to see where a stuck runner is.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        candidates = list(registered_peers())
        for extra in args.extra:
            candidates.extend(load_specs(extra))
        specs = select_specs(candidates, args.only)
        storage_dir = default_storage_dir()
        with serve_peers(specs, storage_dir) as urls:
            for name, url in urls.items():
                print(f"{name}: {url}", flush=True)
            if not urls:
                # Stay up anyway: `make run` (honcho) stops everything when one process exits.
                log.warning("no peer service is built yet; idling until stopped")
            log.info("peer storage: %s", storage_dir)
            while not stop_requested:
                time.sleep(0.2)
            log.info("received %s; stopping the peer services", signal.Signals(stop_requested[0]).name)
    except (PeerError, ValueError) as exc:
        log.error("%s", exc)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("peer services stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
