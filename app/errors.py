"""Domain errors and their mapping to responses at the edge.

Services raise typed exceptions; here each becomes a status and, for htmx, a toast fragment
(retargeted to the page's toast region) or otherwise a full page in the user's language.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.db import rollback_request_session
from app.htmx import is_htmx

DATABASE_RETRY_AFTER = 5  # seconds: a restarted PostgreSQL is back well within it

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the errors services raise; `message` is shown to the user."""

    status = 400
    message = _l("We could not do that. Please check what you entered and try again.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(str(message or self.message))
        if message is not None:
            self.message = message


class NotFound(DomainError):
    status = 404
    message = _l("We could not find that page.")


class Forbidden(DomainError):
    status = 403
    message = _l("You cannot open this page with this account.")


class Conflict(DomainError):
    status = 409
    message = _l("This was changed in the meantime. Please reload the page and try again.")


class InvalidFields(DomainError):
    """A form's values a service refuses, with the problems by field (the view puts each on its field)."""

    status = 422
    message = _l("Some of what you entered cannot be saved. Please check the marked fields.")

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__()
        self.problems = problems


class RateLimited(DomainError):
    status = 429
    message = _l("Too many attempts. Please wait a while and try again.")

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


def rate_limited_message(error: RateLimited) -> str:
    return str(_l("Too many failed attempts. For your security, please wait %(minutes)d minutes and try again.",
                  minutes=max(1, round(error.retry_after / 60))))


# What each HTTP status says to the user; the page title and the next step.
STATUS_MESSAGES = {
    400: _l("Your request could not be processed. Please go back and try again."),
    403: Forbidden.message,
    404: NotFound.message,
    405: _l("This page cannot be opened from here. Please go back and use the links on the page."),
    409: Conflict.message,
    413: _l("The file is too large. Please choose a smaller file."),
    429: RateLimited.message,
    500: _l("Something went wrong on our side. Your data is safe. Please try again in a moment."),
    503: _l("The service is busy or under maintenance. Please try again in a moment."),
}
CSRF_MESSAGE = _l("This page has expired for your security. Please reload it and try again.")


def json_error(error: DomainError, **extra: object) -> Response:
    """A domain error for a script's fetch: {"error": the message in the user's language, …extra}, its status, and
    Retry-After when it is a rate limit."""
    response = jsonify({"error": str(error.message), **extra})
    response.status_code = error.status
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def error_response(status: int, message: str, *, retry_after: int | None = None) -> Response:
    if is_htmx():
        body = _render_or_plain("errors/_toast.html", message=message, level="error")
        response = Response(body, status=status)
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "beforeend"
    else:
        body = _render_or_plain("errors/error.html", status=status, message=message)
        response = Response(body, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.vary.add("HX-Request")
    return response


def _render_or_plain(template: str, **context: object) -> str:
    """The error page; if even that cannot render (the database is down, say), a bare page that can."""
    try:
        return render_template(template, **context)
    except Exception:
        log.exception("error page %s could not render", template)
        message = escape(str(context.get("message", "")))
        return (f'<!doctype html><html lang="ja"><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>Azukari</title>'
                f'<main><h1>Azukari</h1><p>{message}</p><p><a href="/">Home</a></p></main></html>')


def _handle_domain_error(error: DomainError) -> Response:
    rollback_request_session()
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    return error_response(error.status, str(error.message), retry_after=retry_after)


def _handle_csrf_error(_error: CSRFError) -> Response:
    rollback_request_session()
    return error_response(400, str(CSRF_MESSAGE))


def _handle_http_exception(error: HTTPException) -> Response:
    original = getattr(error, "original_exception", None)
    if isinstance(original, OperationalError):  # the database failed outside the view (saving the session, say)
        return _handle_database_unavailable(original)
    rollback_request_session()
    status = error.code or 500
    if status < 400:  # redirects raised as exceptions (e.g. RequestRedirect) keep their response
        return error.get_response()
    message = STATUS_MESSAGES.get(status, STATUS_MESSAGES[400 if status < 500 else 500])
    response = error_response(status, str(message))
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


# Answered to programs, not people: the resource API and the token, revocation and introspection endpoints (RFC 6749
# §5.2's JSON error shape; `temporarily_unavailable` is the code RFC 6749 §4.1.2.1 defines for this).
MACHINE_PATHS = ("/api/", "/oauth/token", "/oauth/revoke", "/oauth/introspect")


def _handle_database_unavailable(error: OperationalError) -> Response:
    """The database (or its ledger write) failed under the request: nothing of it was committed and nothing was
    answered from it, so the honest answer is "try again shortly" (503 with Retry-After), not a 500 — as JSON on the
    resource API."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path, type(error.orig).__name__)
    rollback_request_session()
    if request.path.startswith(MACHINE_PATHS):
        response = jsonify(error="temporarily_unavailable",
                           error_description="The service is busy or under maintenance. Try again in a moment.")
        response.status_code = 503
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        response.headers["Cache-Control"] = "no-store"
        return response
    return error_response(503, str(STATUS_MESSAGES[503]), retry_after=DATABASE_RETRY_AFTER)


def _handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    rollback_request_session()
    return error_response(500, str(STATUS_MESSAGES[500]))


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(OperationalError, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
