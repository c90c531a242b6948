"""C1, the downgrade case: a code that was issued without an S256 challenge must never buy a token.

The authorization endpoint cannot issue such a code (`test_authorization_server.py::
test_pkce_missing_or_plain_is_invalid_request`), so these codes are planted in the database, as a bug, an older
release or a migration might leave them. Each planted code is otherwise valid: hanako's consent is live, the client,
the redirect URI and the scope are right, and a planted code *with* a proper challenge is exchanged (the control), so
the refusals below are PKCE's and nothing else's."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.oauth.models import AuthorizationCode, OAuthToken
from app.sessions import hash_token
from tests.functional.oauth.conftest import REDIRECT_URI, allow, pkce_pair, redirect_params

ITEMS = ["children_count", "town_group"]


@pytest.fixture
def consented(city, hanako_browser, db):  # type: ignore[no-untyped-def]
    """Hanako allowed the items on the consent screen; the code the flow issued is left unused (its consent is what
    the planted codes rely on)."""
    redirect_params(allow(hanako_browser, city.authorize_url(), ITEMS))
    return db.exec(select(AuthorizationCode)).one()


def plant(db, issued: AuthorizationCode, *, challenge: str, method: str) -> str:  # type: ignore[no-untyped-def]
    code, now = secrets.token_urlsafe(32), utcnow()
    db.add(
        AuthorizationCode(
            id=secrets.token_urlsafe(24),
            code_digest=hash_token(code),
            client_id=issued.client_id,
            resident_id=issued.resident_id,
            redirect_uri=REDIRECT_URI,
            scope=issued.scope,
            code_challenge=challenge,
            code_challenge_method=method,
            consent_receipt_id=issued.consent_receipt_id,
            issued_at=now,
            expires_at=now + timedelta(seconds=60),
        )
    )
    db.flush()
    return code


def _tokens(db) -> int:  # type: ignore[no-untyped-def]
    return len(db.exec(select(OAuthToken)).all())


def test_a_planted_code_with_a_proper_challenge_is_exchanged(city, db, consented) -> None:  # type: ignore[no-untyped-def]
    verifier, challenge = pkce_pair()
    code = plant(db, consented, challenge=challenge, method="S256")
    answer = city.exchange(code, verifier=verifier)
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize("method", ["", "S256"])
def test_a_verifier_for_a_code_issued_without_a_challenge_is_invalid_request(city, db, consented, method) -> None:  # type: ignore[no-untyped-def]
    code = plant(db, consented, challenge="", method=method)
    verifier, _challenge = pkce_pair()
    answer = city.exchange(code, verifier=verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
    # Without a verifier it is refused too: PKCE is required, not only checked when offered.
    bare = city.exchange(code, verifier="")
    assert bare.status_code == 400 and bare.get_json()["error"] == "invalid_request"
    assert _tokens(db) == 0


def test_a_code_issued_with_a_plain_challenge_is_refused_without_a_server_error(city, db, consented) -> None:  # type: ignore[no-untyped-def]
    verifier, _challenge = pkce_pair()
    code = plant(db, consented, challenge=verifier, method="plain")  # `plain`: the challenge is the verifier itself
    answer = city.exchange(code, verifier=verifier)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    assert _tokens(db) == 0
    unused = db.exec(select(AuthorizationCode).where(AuthorizationCode.code_digest == hash_token(code))).one()
    assert unused.used_at is None  # refused before it was claimed
