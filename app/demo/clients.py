"""Demo OAuth clients: the recipient stand-ins (`kashiwa-city`, `partner` peers) and the switching services (the
`google` source pushes in, the destinations pull out: docs/switching.md), registered for their offers with their
published keys (development only; production registers real systems in the operator console)."""

from __future__ import annotations

from sqlmodel import Session

from app.config import Settings
from app.oauth import clients
from app.oauth.models import OAuthClient

# (client_id, name, recipient, purpose, scopes, settings attribute with the peer's URL, its callback path)
DEMO_CLIENTS = (
    ("kashiwa-city", "柏市 子育て支援システム", "kashiwa_kosodate", "municipal_recommendation",
     ["children_count", "age_bands", "town_group", "notices"], "kashiwa_city_url", "/callback"),
    ("kashiwanoha-partner", "柏の葉デモ協力店 イベント案内", "kashiwanoha_partner", "event_recommendation",
     ["age_bands", "town_group", "notices"], "partner_url", "/callback"),
    ("google-export", "Google（Azukari への送信）", "azukari", "switching_intake",
     ["blog_posts", "profile", "interests", "location_history", "calendar_events", "viewing_history"], "google_issuer",
     "/azukari/callback"),
    ("blog-a", "ブログサービスA", "blog_a", "transfer_blog", ["blog_posts", "profile", "interests"], "blog_a_issuer",
     "/azukari/callback"),
    ("tv-a", "インターネットTV A", "tv_a", "transfer_tv",
     ["profile", "interests", "viewing_history", "calendar_events", "location_history"], "tv_a_issuer",
     "/azukari/callback"),
    ("health-b", "ヘルスケアアプリB", "health_app_b", "transfer_health", ["health_records"], "health_b_issuer",
     "/azukari/callback"),
)


def seed_clients(session: Session, settings: Settings) -> dict[str, int]:
    """Register (or re-point, when the peers moved) the demo clients."""
    created = 0
    for client_id, name, recipient, purpose, scopes, url_setting, callback in DEMO_CLIENTS:
        base = getattr(settings, url_setting)
        if not base:
            continue
        existing = session.get(OAuthClient, client_id)
        registration = clients.ClientRegistration(
            client_id=client_id, name=name, recipient_key=recipient, purpose_key=purpose,
            redirect_uris=[f"{base}{callback}"], scopes=scopes, jwks_uri=f"{base}/.well-known/jwks.json")
        # Re-pointed when the peers moved (another PEER_PORT); a client the operator disabled stays disabled.
        if existing is None or existing.redirect_uris != registration.redirect_uris:
            clients.register(session, registration, actor="demo-seed", replace=existing is not None)
            created += existing is None
    return {"oauth clients": created}
