"""Secrets kept at rest (TOTP seeds now, linked-account tokens later) are sealed with AES-GCM.

The key is derived from SECRET_KEY with HKDF and a per-use label, so a database copy alone opens nothing.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealBroken(ValueError):
    """The sealed value was altered, or sealed under another key or label."""


def _key(secret_key: str, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"azukari:{label}".encode()).derive(
        secret_key.encode()
    )


def seal(plaintext: str, *, secret_key: str, label: str) -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(_key(secret_key, label)).encrypt(nonce, plaintext.encode(), label.encode())
    return base64.urlsafe_b64encode(nonce + ciphertext).decode()


def unseal(sealed: str, *, secret_key: str, label: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        plaintext = AESGCM(_key(secret_key, label)).decrypt(raw[:12], raw[12:], label.encode())
    except Exception as error:  # InvalidTag, binascii.Error, short input
        raise SealBroken(str(error) or "sealed value cannot be opened") from error
    return plaintext.decode()
