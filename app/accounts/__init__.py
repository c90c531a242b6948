"""Residents' accounts: sign-up, login, sessions, password reset, settings, the mandate terms."""
