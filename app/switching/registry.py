"""The services of one-stop switching and the seed's four cases, from the settings (docs/switching.md).

A source gives interchange kinds (docs/interchange.md): through its API (the bank pulls, or the source pushes to
the intake API), or from an export the resident uploaded. A destination takes a format (`app/switching/converters`)
and is a recipient of the consent catalogue for its own purpose. Adding a service is an entry here, its settings
and, for a new format, a converter (docs/adding-a-service.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.providers import DataSource, OAuthProvider
from app.config import SWITCHING_SERVICES, Settings
from app.data_imports.models import ImportFormat
from app.errors import NotFound

GOOGLE_KINDS = ("profile", "post", "comment", "interest", "place_visit", "activity_segment", "calendar_event",
                "watch_event")
HEALTH_KINDS = ("health_record", "workout", "activity_summary")
# Google's resource kinds (docs/switching.md) and the interchange kinds each becomes.
GOOGLE_RESOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "blogger#user": ("profile",), "blogger#post": ("post",), "blogger#comment": ("comment",),
    "youtube#subscription": ("interest",), "youtube#watchHistoryEntry": ("watch_event",),
    "calendar#event": ("calendar_event",), "maps#timelineObject": ("place_visit", "activity_segment"),
}


def resource_kinds_for(kinds: tuple[str, ...] | list[str]) -> list[str]:
    """The Google resource kinds that give any of these interchange kinds."""
    return [native for native, gives in GOOGLE_RESOURCE_KINDS.items() if set(gives) & set(kinds)]
# The patterns in which the source pushes to the bank (it is the bank's client) and the destination pulls.
SOURCE_PUSHES = frozenset({1, 4})
DESTINATION_PULLS = frozenset({1, 3})
PATTERNS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Source:
    key: str
    label_ja: str
    label_en: str
    kinds: tuple[str, ...]
    upload_format: str | None = None  # an uploaded export: no API, the bank reads its stored copy
    scopes: tuple[str, ...] = ()  # what the bank asks the source's authorization server for
    bank_client_id: str | None = None  # the source's client at the bank (it pushes in patterns 1 and 4)
    data_source: DataSource | None = None  # for the APPI 法30条 record of what the bank receives from it

    @property
    def has_api(self) -> bool:
        return self.upload_format is None


@dataclass(frozen=True)
class Destination:
    key: str
    label_ja: str
    label_en: str
    format: str  # the converter's format, e.g. `blog-a/1`
    recipient: str  # the consent catalogue's recipient and purpose of this transfer
    purpose: str
    bank_client_id: str  # the destination's client at the bank (it pulls in patterns 1 and 3)
    scopes: tuple[str, ...] = ("import",)
    terms_version: str = "2026-10"  # the destination's terms the resident accepts before sending ({issuer}/terms)


@dataclass(frozen=True)
class Case:
    key: str
    source: str
    destination: str
    kinds: tuple[str, ...]
    label_ja: str
    label_en: str


GOOGLE_SOURCE = DataSource(
    legal_name="Google（デモの代役）",
    address="東京都（デモ）",
    representative="代表者（デモ）",
    how_obtained="Blogger・Google カレンダー・YouTube・Google マップの利用により、本人から取得したもの",
)

SOURCES: dict[str, Source] = {
    "google": Source("google", "Google", "Google", GOOGLE_KINDS,
                     scopes=("profile", "blogger.readonly", "calendar.readonly", "youtube.readonly", "timeline.readonly",
                             "account.manage"),
                     bank_client_id="google-export", data_source=GOOGLE_SOURCE),
    "apple_health": Source("apple_health", "Apple ヘルスケア（書き出し）", "Apple Health (export)", HEALTH_KINDS,
                           upload_format=ImportFormat.APPLE_HEALTH),
}
DESTINATIONS: dict[str, Destination] = {
    "blog-a": Destination("blog-a", "ブログサービスA", "Blog service A", "blog-a/1", "blog_a", "transfer_blog", "blog-a"),
    "tv-a": Destination("tv-a", "インターネットTV A", "Internet TV A", "tv-a/1", "tv_a", "transfer_tv", "tv-a"),
    "health-b": Destination("health-b", "ヘルスケアアプリB", "Health app B", "health-b/1", "health_app_b",
                            "transfer_health", "health-b"),
}
_BLOG = ("post", "comment", "profile", "interest")
CASES: dict[str, Case] = {
    "i": Case("i", "google", "blog-a", _BLOG, "Blogger の投稿・会員情報・興味関心 → ブログサービスA",
              "Blogger posts, profile and interests → Blog service A"),
    "ii": Case("ii", "google", "tv-a", (*_BLOG, "place_visit", "activity_segment"),
               "＋ マップのロケーション履歴 → インターネットTV A（場所と移動手段からのおすすめ）",
               "+ Maps location history → Internet TV A (picks by place and travel mode)"),
    "iii": Case("iii", "google", "tv-a", (*_BLOG, "place_visit", "activity_segment", "calendar_event", "watch_event"),
                "＋ カレンダーと YouTube の視聴 → インターネットTV A（予定と好みからの番組のおすすめ）",
                "+ Calendar and YouTube viewing → Internet TV A (programmes by schedule and taste)"),
    "iv": Case("iv", "apple_health", "health-b", HEALTH_KINDS, "Apple ヘルスケア → ヘルスケアアプリB（運動とイベントの助言）",
               "Apple Health → Health app B (exercise and event advice)"),
}


def source(key: str) -> Source:
    try:
        return SOURCES[key]
    except KeyError:
        raise NotFound() from None


def destination(key: str) -> Destination:
    try:
        return DESTINATIONS[key]
    except KeyError:
        raise NotFound() from None


def service_of_client(client_id: str) -> str | None:
    """The switching service a client of the bank is, if it is one."""
    for key, spec in SOURCES.items():
        if spec.bank_client_id == client_id:
            return key
    for key, spec in DESTINATIONS.items():
        if spec.bank_client_id == client_id:
            return key
    return None


def issuer(settings: Settings, key: str) -> str:
    """A switching service's base URL from the settings (`<prefix>_issuer`), or "" for one without (an upload)."""
    prefix = SWITCHING_SERVICES.get(key)
    return str(getattr(settings, f"{prefix}_issuer", "")) if prefix else ""


def provider(settings: Settings, key: str) -> OAuthProvider:
    """The bank's client configuration at a service's authorization server (patterns 2, 3 and 4)."""
    prefix = SWITCHING_SERVICES.get(key, "")
    issuer_url = issuer(settings, key)
    if not issuer_url or (key not in SOURCES and key not in DESTINATIONS) or (key in SOURCES and not SOURCES[key].has_api):
        raise NotFound()
    label = SOURCES[key].label_ja if key in SOURCES else DESTINATIONS[key].label_ja
    scopes = SOURCES[key].scopes if key in SOURCES else DESTINATIONS[key].scopes
    data_source = SOURCES[key].data_source if key in SOURCES else None
    return OAuthProvider(key=key, label=label, issuer=issuer_url, client_id=getattr(settings, f"{prefix}_client_id"),
                         client_secret=getattr(settings, f"{prefix}_client_secret"), scopes=scopes, openid=False,
                         can_log_in=False, source=data_source or DataSource(label, "（デモ）", "（デモ）", "本人の操作による"))
