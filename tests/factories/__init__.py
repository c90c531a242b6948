"""factory_boy factories per domain; they add to the current test's session (bound by the `db` fixture)."""

from __future__ import annotations

from typing import Any

TEST_SECRET_KEY = "test-secret-key-" + "x" * 40

_current: dict[str, Any] = {"session": None}


def bind_session(session: Any) -> None:
    _current["session"] = session


def current_session() -> Any:
    session = _current["session"]
    if session is None:
        raise RuntimeError("factories need the `db` fixture")
    return session
