"""Gunicorn's access log without secrets (ASVS 7.1.1): query values, referers and the token segment of the paths
that carry one are written as [redacted]. Used by the Procfile's web line: `--logger-class app.access_log.Redacting`.

A password-reset or staff-invitation link, a check-in poster's token and an OAuth code or state would otherwise sit
in every access log line of the request that used them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Paths whose segment after the prefix is a secret (the routes with a <token>).
TOKEN_PATHS = re.compile(r"^(/password/reset/|/staff/invite/|/checkin/)[^/?#]+")


def redact_path(path: str) -> str:
    return TOKEN_PATHS.sub(lambda match: match.group(1) + REDACTED, path or "")


def redact_query(query: str) -> str:
    """Keys kept (they say what was asked), values gone."""
    if not query:
        return ""
    return "&".join(f"{key}={REDACTED}" for key, _value in parse_qsl(query, keep_blank_values=True))


def redact_url(url: str) -> str:
    """A full or relative URL (a referer) with its path and query redacted."""
    if not url or url == "-":
        return url or "-"
    parts = urlsplit(url)
    query = redact_query(parts.query)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return origin + redact_path(parts.path) + (f"?{query}" if query else "")


class Redacting(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path, query = redact_path(environ.get("PATH_INFO", "")), redact_query(environ.get("QUERY_STRING", ""))
        atoms["U"], atoms["q"] = path, query
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path}{'?' + query if query else ''} {environ.get('SERVER_PROTOCOL')}"
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        return atoms
