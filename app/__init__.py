"""Azukari (預かり): the Kashiwa-no-ha information bank."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported in the factory: `python -m app.imports.reader_process` needs neither)
    from flask import Flask

    from app.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the bank's WSGI app. Nothing is created at import time; everything hangs off `settings`."""
    from flask import Flask

    from app import audit, auth, cli, db, errors, htmx, i18n, security, sessions, static_files, templating
    from app.config import PROJECT_ROOT, Settings
    from app.extensions import compress, csrf

    settings = settings or Settings()
    audit.init_logging()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        AZUKARI=settings,
        SECRET_KEY=settings.resolved_secret_key(),
        TESTING=settings.azukari_env == "test",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SESSION_COOKIE_NAME="__Host-azukari" if settings.secure_cookies else "azukari_session",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The CSRF token lives as long as the server-side session; a form left open an hour still works.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        SEND_FILE_MAX_AGE_DEFAULT=0,
        # Static text assets only (htmx, CSS, JS, the manifest, icons): never a page or an API answer, whose
        # secrets (CSRF tokens, personal data) next to reflected input would open BREACH-style guessing.
        COMPRESS_MIMETYPES=["text/css", "text/javascript", "application/javascript", "application/manifest+json",
                            "image/svg+xml"],
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIN_SIZE=1024,
    )

    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    db.init_app(app, db.Database(settings.database_url))
    sessions.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    static_files.init_app(app)  # (after compress: it runs before it)
    auth.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    _register_blueprints(app, settings)
    _init_oauth(app)
    _connect_signals()
    cli.init_app(app)
    return app


def _init_oauth(app: Flask) -> None:
    from app.oauth import api, revocation, views
    from app.switching import api as switching_api

    views.init_app(app)
    api.init_app()
    switching_api.init_app()
    revocation.init_app(app)


def _connect_signals() -> None:
    """Domains that act on another's events (a consent change, a household change) connect here."""
    from app.recommend import signals as recommend_signals
    from app.surveys import signals as survey_signals
    from app.switching import signals as switching_signals

    recommend_signals.init_app()
    survey_signals.init_app()
    switching_signals.init_app()


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from app import health, pwa, signing
    from app.accounts.link_views import bp as links_bp
    from app.accounts.link_views import connections_bp
    from app.accounts.views import bp as accounts_bp
    from app.accounts.views import settings_bp
    from app.catalog.console import bp as catalog_console_bp
    from app.city_records.console import bp as city_records_console_bp
    from app.city_records.views import bp as city_records_bp
    from app.consent.console import bp as catalogue_bp
    from app.consent.views import bp as consent_bp
    from app.consent.views import public_bp as receipts_bp
    from app.data_imports.views import bp as data_imports_bp
    from app.ebpm.views import bp as ebpm_bp
    from app.home.views import bp as home_bp
    from app.household.views import bp as household_bp
    from app.inbox.views import bp as inbox_bp
    from app.jobs.views import bp as jobs_bp
    from app.ledger.views import bp as ledger_bp
    from app.ledger.views import console_bp as ledger_console_bp
    from app.mail.views import bp as mail_bp
    from app.municipal.views import bp as municipal_bp
    from app.oauth.api import bp as api_bp
    from app.oauth.console import bp as clients_console_bp
    from app.oauth.views import bp as oauth_bp
    from app.oauth.views import connections_bp as oauth_connections_bp
    from app.operator.views import bp as operator_bp
    from app.participation.views import bp as participation_bp
    from app.partners.media import bp as media_bp
    from app.partners.views import bp as partners_bp
    from app.passes.poster_views import checkin_bp, posters_bp
    from app.passes.scan_views import bp as scan_bp
    from app.passes.views import bp as passes_bp
    from app.passkeys.views import bp as passkeys_bp
    from app.passkeys.views import login_bp as passkey_login_bp
    from app.recommend.views import bp as recommend_bp
    from app.staff.views import bp as staff_bp
    from app.surveys.analyst_views import bp as analysts_bp
    from app.surveys.views import admin_bp as surveys_admin_bp
    from app.surveys.views import bp as surveys_bp
    from app.switching.api import bp as switching_api_bp
    from app.switching.views import bp as switching_bp

    for blueprint in (
        pwa.bp,
        health.bp,
        signing.bp,
        home_bp,
        accounts_bp,
        settings_bp,
        links_bp,
        connections_bp,
        household_bp,
        ledger_bp,
        consent_bp,
        receipts_bp,
        catalogue_bp,
        inbox_bp,
        recommend_bp,
        participation_bp,
        city_records_bp,
        data_imports_bp,
        ebpm_bp,
        passes_bp,
        checkin_bp,
        surveys_bp,
        oauth_bp,
        oauth_connections_bp,
        api_bp,
        clients_console_bp,
        switching_bp,
        switching_api_bp,
        jobs_bp,
        staff_bp,
        operator_bp,
        ledger_console_bp,
        municipal_bp,
        catalog_console_bp,
        city_records_console_bp,
        partners_bp,
        media_bp,
        scan_bp,
        posters_bp,
        surveys_admin_bp,
        analysts_bp,
        passkeys_bp,
        passkey_login_bp,
    ):
        app.register_blueprint(blueprint)
    if settings.mail_backend == "outbox":  # the development mailbox; production refuses this backend
        app.register_blueprint(mail_bp)
