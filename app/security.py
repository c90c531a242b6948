"""Security headers on every response (ASVS 3.4): a CSP with no inline script, and friends.

Scripts run only with the request's nonce (`csp_nonce()`, on every <script> tag of the templates) and
'strict-dynamic': a same-origin file injected as a <script src> (a stored XSS pointing at one of our own scripts)
does not run. 'self' stays for browsers without CSP 3, which ignore the rest."""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from app.config import Settings, current_settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

# Pages that are the same for everyone may be cached; everything else is personal or a form with a token.
PUBLIC_PATH_PREFIXES = ("/static/", "/manifest.webmanifest", "/sw.js", "/offline", "/favicon.ico",
                        "/.well-known/jwks.json", "/.well-known/oauth-authorization-server",
                        "/api/v1/openapi.json", "/media/")


def is_loopback_host(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1): where plain http is allowed, for development and the
    stand-in peers. A name that merely starts with "127." is not one."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_origins(settings: Settings) -> list[str]:
    """The origins of the parties a form may lead to: "log in with", "connect" and "import" are forms (POST, with
    CSRF) answered by a redirect to the provider, and `form-action` also governs where such a redirect may go."""
    from app.accounts.providers import configured_providers
    from app.config import SWITCHING_SERVICES

    origins = set()
    # The switching services too: "connect" at のりかえ is the same kind of form.
    issuers = [provider.issuer for provider in configured_providers(settings).values()]
    issuers += [getattr(settings, f"{prefix}_issuer", "") for prefix in SWITCHING_SERVICES.values()]
    for issuer in issuers:
        parts = urlsplit(issuer)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def csp_nonce() -> str:
    """This request's script nonce (made on first use: a response whose page has no script gets none)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(settings: Settings, extra_form_origins: list[str] | None = None) -> str:
    """`extra_form_origins`: a page whose form is answered by a redirect elsewhere (the OAuth consent screen sends
    the resident back to the client's redirect URI) names that origin too."""
    policy = CONTENT_SECURITY_POLICY
    nonce = g.get("csp_nonce")
    if nonce is not None:
        policy = policy.replace("script-src 'self'", f"script-src 'self' 'nonce-{nonce}' 'strict-dynamic'")
    origins = sorted({*provider_origins(settings), *(extra_form_origins or [])})
    if not origins:
        return policy
    return policy.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_settings()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=(), payment=()")
    if request.is_secure or current_settings().secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if not request.path.startswith(PUBLIC_PATH_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
