"""One URL serves the page or, for htmx, a named block of the same template."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return bool(getattr(request, "htmx", False))


def wants_fragment() -> bool:
    """An htmx component request, as opposed to a boosted navigation or a history restore."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, *, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the whole page, or only `block` when htmx asks for the component."""
    if block is not None and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str, *, status: int = 303) -> Response:
    """Redirect a plain request with 303, an htmx request with HX-Redirect (a full page load)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    response = make_response("", status)
    response.headers["Location"] = location
    return response


def init_app(app: Flask) -> None:
    from app.extensions import htmx

    htmx.init_app(app)
