"""The npm package `openid-client` (a certified OAuth 2.0 / OpenID client) as a recipient's system in tests."""
