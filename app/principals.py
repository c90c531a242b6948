"""Principals name who acts: "resident:<uuid>" or "staff:<uuid>" (sessions, audit events, tokens, jobs)."""

from __future__ import annotations

import uuid


def parse_principal(principal: str) -> tuple[str, uuid.UUID] | None:
    """("resident" | "staff", id), or None for anything else."""
    kind, _, raw_id = principal.partition(":")
    if kind not in ("resident", "staff"):
        return None
    try:
        return kind, uuid.UUID(raw_id)
    except ValueError:
        return None
