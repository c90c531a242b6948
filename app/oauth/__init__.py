"""The bank as OAuth 2.0 authorization server for recipients, and the resource API they read through.

Modules: `models` (clients, codes, tokens, assertion jtis, pairwise subjects), `hardening` (what is stricter than
authlib), `client_auth` (private_key_jwt), `server` (authlib's server, grants and endpoints over our tables),
`clients` (the client registry), `views` (the endpoints and the consent screen), `api` (the resource API),
`console` (the operator's client registry), `revocation` (tokens die with the consent).
"""
