"""Passkeys (WebAuthn) for residents: a way to log in and to confirm a sensitive change (docs/decisions.md)."""
