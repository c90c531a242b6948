"""What the bank accepts from a token endpoint: lifetimes and sizes within reason, or the provider is "unavailable"."""

from __future__ import annotations

import pytest

from app.accounts.oauth_client import TokenSet
from app.accounts.provider_http import ProviderUnavailable


@pytest.mark.smoke
@pytest.mark.parametrize("expires_in", [3600, "3600", 0, None])
def test_a_lifetime_as_a_number_or_numeric_string_is_read(app, expires_in) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        tokens = TokenSet.from_response({"access_token": "a", "token_type": "Bearer", "expires_in": expires_in},
                                        requested_scope="openid")
    assert (tokens.expires_at is None) == (expires_in is None)


@pytest.mark.smoke
@pytest.mark.parametrize("answer", [
    {"access_token": "a", "token_type": "Bearer", "expires_in": 1e400},
    {"access_token": "a", "token_type": "Bearer", "expires_in": "soon"},
    {"access_token": "a", "token_type": "Bearer", "expires_in": -5},
    {"access_token": "a" * 5000, "token_type": "Bearer"},
    {"access_token": "a", "token_type": "Bearer", "scope": "x" * 300},
    {"access_token": "a", "token_type": "mac"},
    {"token_type": "Bearer"},
])
def test_a_garbled_token_answer_is_refused_cleanly(app, answer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(ProviderUnavailable):
        TokenSet.from_response(answer, requested_scope="openid")
