"""Staff accounts (operator, municipal staff, partner staff): invitation, password + TOTP login."""
