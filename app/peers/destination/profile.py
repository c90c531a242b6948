"""Who a destination is: the one thing each destination peer (blog-a, tv-a, health-b) defines.

The profile names the peer, the format it takes (docs/switching.md "Formats") with each type's required fields,
the scope it asks the bank for when it pulls, and where its client secret and redirect URIs are configured.
`create_destination_app` builds everything else from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# A resident's account holds at most this many items (all jobs together) unless the factory says otherwise;
# past it the importer answers 507 destination_full, as a real service with a storage plan would.
DEFAULT_QUOTA_ITEMS = 20_000


@dataclass(frozen=True, slots=True)
class DestinationProfile:
    peer_name: str  # the registry's name, e.g. "blog-a"
    display_name_ja: str  # e.g. ブログサービスA
    display_name_en: str  # e.g. Blog service A
    format: str  # e.g. "blog-a/1": the only format the importer takes
    # type -> the fields an item of that type must carry (besides "id" and "type", which every item has).
    types: Mapping[str, tuple[str, ...]]
    bank_scope: str  # what the peer asks the bank for when it pulls (patterns 1 and 3)
    secret_env: str  # e.g. BLOG_A_CLIENT_SECRET
    default_secret: str
    redirect_uris_env: str  # e.g. BLOG_A_REDIRECT_URIS
    client_id_env: str  # this peer's client id at the bank, e.g. BLOG_A_CLIENT_ID (default: the peer name)
    # Japanese labels for the types on the account page; a type without one shows its own name.
    type_labels: Mapping[str, str] = field(default_factory=dict)
    # Which field of an item names it on the account page, in order of preference.
    title_fields: tuple[str, ...] = ("title", "display_name", "topic", "name", "metric", "activity", "mode", "date",
                                     "author_name")
    quota_items: int = DEFAULT_QUOTA_ITEMS
    # Demo passwords are `<password_prefix>-<first name>-2026`; the peer name unless said otherwise.
    password_prefix: str = ""

    @property
    def callback_path(self) -> str:
        """Where the bank receives this destination's authorization responses (docs/switching.md)."""
        return f"/switching/connect/{self.peer_name}/callback"

    @property
    def accepted_types(self) -> frozenset[str]:
        return frozenset(self.types)

    def required_fields(self, item_type: str) -> tuple[str, ...]:
        return ("id", "type", *self.types[item_type])

    def label(self, item_type: str) -> str:
        return self.type_labels.get(item_type, item_type)

    def demo_password(self, first_name: str) -> str:
        return f"{self.password_prefix or self.peer_name}-{first_name}-2026"
