"""Who a recipient is: the one thing each recipient peer defines; `create_recipient_app` does the rest."""

from __future__ import annotations

from dataclasses import dataclass

from app.peers.recipient.rules import Rules

NOTICES_SCOPE = "notices"


@dataclass(frozen=True, slots=True)
class RecipientProfile:
    peer_name: str  # the registry's name, e.g. "kashiwa-city"
    system_name: str  # the system's name on its pages, e.g. 柏市 子育て支援システム
    organisation: str  # who runs it, as residents know them
    recipient_key: str  # the bank's consent catalogue: the recipient and the purpose the client is registered for
    purpose_key: str
    scopes: tuple[str, ...]  # what the authorization request asks for
    client_id_env: str
    default_client_id: str
    template_dir: str  # the peer's templates, e.g. "peers/kashiwa_city"
    rules: Rules
    # One line for residents on the start page: what the recipient does with the items.
    resident_benefit: str = ""

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    @property
    def sends_notices(self) -> bool:
        return NOTICES_SCOPE in self.scopes
