"""The outside parties the bank is an OAuth 2.0 / OpenID Connect client of, built from the settings.

The bank knows each party only by its issuer URL and client credentials, so production points the same code at
the real Smart Life Pass and MyNa Portal; development and tests point it at the peer stand-ins.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.config import Settings

SMART_LIFE_PASS = "smart-life-pass"
MYNAPORTAL = "mynaportal"

# Scopes the bank asks Smart Life Pass for: who (login), where (address), and the health score (Dot to Dot).
HEALTH_SCORE_SCOPE = "dot2dot.health_score"
SMART_LIFE_PASS_SCOPES = ("openid", "profile", "email", "address", HEALTH_SCORE_SCOPE)
CHILDREN_SCOPE = "children"


@dataclass(frozen=True)
class DataSource:
    """Who provides personal data to the bank and how they obtained it: what the APPI 法30条 record needs."""

    legal_name: str
    address: str
    representative: str
    how_obtained: str


@dataclass(frozen=True)
class OAuthProvider:
    key: str  # the URL segment and the stored name (`smart-life-pass`)
    label: str  # shown to residents
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    openid: bool  # OpenID Connect (ID token, userinfo) or plain OAuth 2.0
    can_log_in: bool  # offered as "… でログイン"
    source: DataSource

    @property
    def metadata_url(self) -> str:
        well_known = "openid-configuration" if self.openid else "oauth-authorization-server"
        return f"{self.issuer}/.well-known/{well_known}"


SMART_LIFE_PASS_SOURCE = DataSource(
    # Demo values: production configures the operator's registered name, address and representative.
    legal_name="Smart Life Pass 運営事業者（デモ）",
    address="千葉県柏市（デモ）",
    representative="代表者（デモ）",
    how_obtained="Smart Life Pass の会員登録とカロママプラスの利用により、本人から取得したもの",
)
MYNAPORTAL_SOURCE = DataSource(
    legal_name="デジタル庁（マイナポータル 自己情報取得API）",
    address="東京都千代田区紀尾井町1番3号",
    representative="デジタル大臣",
    how_obtained="住民基本台帳の世帯情報（市区町村が保有）を、本人のマイナンバーカード認証により取得したもの",
)


def configured_providers(settings: Settings) -> dict[str, OAuthProvider]:
    """Every provider with an issuer, by key; a provider without one is simply not offered."""
    providers: dict[str, OAuthProvider] = {}
    if settings.smart_life_pass_issuer:
        providers[SMART_LIFE_PASS] = OAuthProvider(
            key=SMART_LIFE_PASS,
            label="Smart Life Pass",
            issuer=settings.smart_life_pass_issuer,
            client_id=settings.smart_life_pass_client_id,
            client_secret=settings.smart_life_pass_client_secret,
            scopes=SMART_LIFE_PASS_SCOPES,
            openid=True,
            can_log_in=True,
            source=SMART_LIFE_PASS_SOURCE,
        )
    if settings.mynaportal_issuer:
        providers[MYNAPORTAL] = OAuthProvider(
            key=MYNAPORTAL,
            label=_l("MyNa Portal"),  # type: ignore[arg-type]  # a lazy string, translated where shown
            issuer=settings.mynaportal_issuer,
            client_id=settings.mynaportal_client_id,
            client_secret=settings.mynaportal_client_secret,
            scopes=(CHILDREN_SCOPE,),
            openid=False,
            can_log_in=False,
            source=MYNAPORTAL_SOURCE,
        )
    for extra in settings.extra_identity_providers:
        providers[extra.key] = OAuthProvider(
            key=extra.key,
            label=extra.label,
            issuer=extra.issuer.rstrip("/"),
            client_id=extra.client_id,
            client_secret=extra.client_secret,
            scopes=("openid", "profile", "email", "address"),
            openid=True,
            can_log_in=True,
            source=DataSource(extra.legal_name or extra.label, extra.legal_address or "（未設定）",
                              extra.representative or "（未設定）", "本人から取得したもの（本人による連携の操作）"),
        )
    return providers
