"""The npm package `oidc-provider` (a certified OpenID Provider) as a second identity provider in tests."""
