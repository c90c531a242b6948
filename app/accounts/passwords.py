"""Password hashing (argon2id) and the password policy (ASVS 6.2: length, not a common password)."""

from __future__ import annotations

import contextlib
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

from app.config import current_settings
from app.errors import DomainError

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "fast":  # tests only: the same algorithm with tiny costs
        return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hasher() -> PasswordHasher:
    return _hasher(current_settings().password_hash_profile)


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("an unknown account still costs one verification")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown account) spend the same time and say no."""
    ph = hasher()
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            ph.verify(_dummy_hash(current_settings().password_hash_profile), password + "\0")
        return False
    try:
        return ph.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """What is wrong with a new password, as messages for the user (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))]
    if len(password) > MAX_LENGTH:
        return [str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))]
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.rstrip("0123456789!") in _common_passwords():
        return [str(_l("This password is one of the most common ones. Please choose another."))]
    local_part = (email or "").split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return [str(_l("Do not use your email address in the password."))]
    from zxcvbn import zxcvbn

    inputs = [local_part] if local_part else []
    if zxcvbn(password[:64], user_inputs=inputs)["score"] < 3:
        return [str(_l("This password is easy to guess. Try a longer mix of unrelated words."))]
    return []


class WeakPassword(DomainError):
    status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def check_new_password(password: str, *, email: str) -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise WeakPassword(problems)
