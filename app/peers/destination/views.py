"""A destination's pages and test controls: sign-in and consent for the bank's authorization requests, the
resident's page of what arrived (`/`, Japanese, signed in), and `/_test/received`.

The pages are this service's own: a resident signs in here with the account they have at the service (not at
the bank), and what they see is what the service holds, counted from its own copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from app.peers.authserver import AuthorizationPages, signed_in_owner
from app.peers.authserver.interaction import csrf_valid, sign_in, sign_out
from app.peers.authserver.storage import PeerDatabase
from app.peers.authserver.testing import loopback_only
from app.peers.bank_link import BankLink
from app.peers.destination.intake import JST
from app.peers.destination.profile import DestinationProfile
from app.peers.destination.storage import (
    StoredItem,
    account_by_login,
    account_by_sub,
    authenticate,
    counts_by_type,
    job_items,
    jobs_of,
    newest_items,
)

TEMPLATES = "peers/destination"
NEWEST_ITEMS = 20
SCOPE_LABELS = {
    "import": "あなたのアカウントにデータを取り込むこと（のりかえ）",
    "profile": "アカウント名",
}
LOGIN_FAILED = "ログインIDまたはパスワードが正しくありません。"
FORM_EXPIRED = "フォームの有効期限が切れました。もう一度やり直してください。"


def authorization_pages(profile: DestinationProfile, session: Callable[[], Session]) -> AuthorizationPages:
    """The sign-in and consent pages; `session` is the request's database session, looked up at call time."""

    def authenticate_form(form: Mapping[str, str]) -> str | None:
        account = authenticate(session(), form.get("login_id", ""), form.get("password", ""))
        return account.sub if account else None

    def describe_owner(subject: str) -> str | None:
        account = account_by_sub(session(), subject)
        return f"{account.display_name}（{account.login_id}）" if account else None

    return AuthorizationPages(
        login_template=f"{TEMPLATES}/login.html",
        consent_template=f"{TEMPLATES}/consent.html",
        error_template=f"{TEMPLATES}/error.html",
        authenticate=authenticate_form,
        describe_scopes=lambda scopes: [SCOPE_LABELS[scope] for scope in scopes if scope in SCOPE_LABELS],
        describe_owner=describe_owner,
    )


def item_summary(profile: DestinationProfile, row: StoredItem) -> dict[str, Any]:
    """One stored item as the page lists it: its type's label and the field that names it best."""
    try:
        item = json.loads(row.canonical)
    except ValueError:
        item = {}
    title = next((str(item[name]) for name in profile.title_fields if item.get(name) not in (None, "")), row.item_id)
    return {"id": row.item_id, "type": row.type, "label": profile.label(row.type), "title": title[:120],
            "stored_at": row.stored_at}


def sign_in_page(login_error: str | None, login_id: str) -> str:
    """The sign-in form of the account page (the authorization endpoint has its own, naming the client)."""
    return render_template(f"{TEMPLATES}/login.html", login_error=login_error, login_id=login_id, client_name=None,
                           form_action=url_for("login"))


TERMS_VERSION = "2026-10"


def register_views(app: Flask, *, profile: DestinationProfile, db: PeerDatabase, link: BankLink) -> None:
    @app.context_processor
    def _destination_context() -> dict[str, object]:
        return {"profile": profile}

    @app.template_filter("jst")
    def _jst(timestamp: int | None) -> str:
        return datetime.fromtimestamp(timestamp, JST).strftime("%Y-%m-%d %H:%M") if timestamp else "—"

    @app.get("/")
    def index() -> ResponseReturnValue:
        owner = signed_in_owner()
        account = account_by_sub(db.session, owner.subject) if owner else None
        if account is None:
            return sign_in_page(None, "")
        counts = counts_by_type(db.session, account)
        # Every type the format takes is listed, so "0件" says plainly that nothing of it arrived.
        per_type = [(profile.label(item_type), counts.get(item_type, 0)) for item_type in profile.types]
        newest = [item_summary(profile, row) for row in newest_items(db.session, account, NEWEST_ITEMS)]
        return render_template(f"{TEMPLATES}/index.html", account=account, per_type=per_type,
                               total=sum(counts.values()), newest=newest, jobs=jobs_of(db.session, account),
                               link=link.link_of(account.sub))

    @app.get("/terms")
    def terms() -> ResponseReturnValue:
        """The terms a new member accepts; the bank shows their version before it sends anything here."""
        return render_template(f"{TEMPLATES}/terms.html", version=TERMS_VERSION)

    @app.post("/login")
    def login() -> ResponseReturnValue:
        if not csrf_valid():
            return sign_in_page(FORM_EXPIRED, ""), 400
        login_id = request.form.get("login_id", "")
        account = authenticate(db.session, login_id, request.form.get("password", ""))
        if account is None:
            return sign_in_page(LOGIN_FAILED, login_id), 401
        sign_in(account.sub)
        return redirect(url_for("index"), 303)

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        if csrf_valid():
            sign_out()
        return redirect(url_for("index"), 303)

    @app.get("/_test/received")
    @loopback_only
    def test_received() -> ResponseReturnValue:
        account = account_by_login(db.session, request.args.get("login_id", ""))
        if account is None:
            return jsonify(error="no such account"), 404
        return jsonify(
            login_id=account.login_id,
            sub=account.sub,
            jobs=[
                {
                    "id": job.id,
                    "job": job.bank_job,
                    "via": job.via,
                    "status": job.status,
                    "format": job.format,
                    "expected": job.expected_items,
                    "items": [{"id": row.item_id, "type": row.type, "sha256": row.sha256}
                              for row in job_items(db.session, job)],
                }
                for job in jobs_of(db.session, account)
            ],
        )
