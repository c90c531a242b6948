"""The installable shell: web app manifest, the service worker at the root scope, the offline page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, send_from_directory, url_for

from app.static_files import asset_url

bp = Blueprint("pwa", __name__)

BRAND_GREEN = "#1e6b3a"
BACKGROUND = "#f6f8f4"


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    data = {
        "id": "/",
        # One manifest for everyone (it is cached and installed once): Japanese, the pilot's language.
        "name": "Azukari（預かり）柏の葉 情報銀行",
        "short_name": "Azukari",
        "description": "あなたのデータをお預かりし、あなたが同意した相手にだけ、同意した目的のために渡します。",
        "lang": "ja",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": BACKGROUND,
        "theme_color": BRAND_GREEN,
        "categories": ["lifestyle", "utilities"],
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": asset_url("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
def service_worker() -> Response:
    """Served from the root so its scope is the whole app; never cached by the HTTP cache."""
    body = render_template("pwa/sw.js", shell=shell_urls())
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def shell_urls() -> list[str]:
    """What the service worker precaches: the same for every user, nothing personal."""
    return [
        url_for("pwa.offline"),
        asset_url("css/app.css"),
        asset_url("js/app.js"),
        asset_url("js/pass.js"),  # the pass page offline shows its saved codes (templates/pwa/sw.js)
        asset_url("vendor/htmx.min.js"),
        asset_url("icons/icon-192.png"),
        asset_url("icons/favicon.svg"),
    ]


@bp.route("/offline")
def offline() -> str:
    return render_template("pwa/offline.html")


@bp.route("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(current_app.static_folder or "static", "icons/favicon.ico", max_age=86400)
