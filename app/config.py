"""Typed settings, read from environment variables (and `.env` in development).

Nothing here runs at import time: `Settings()` is built by `create_app` or by the caller.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that look like a secret but are not one; refused in production.
PLACEHOLDER_SECRETS = {"", "changethis", "change-me", "changeme", "secret", "dev", "development", "xxx"}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureSettings(RuntimeError):
    """The settings would run production with a development secret or cookie."""


# The stand-in peers' client secrets (see docs/peers.md); refused in production.
DEV_CLIENT_SECRETS = {
    "smart-life-pass": "dev-smart-life-pass-secret-not-for-production",
    "mynaportal": "dev-mynaportal-secret-not-for-production",
    "google": "dev-google-secret-not-for-production",
    "blog-a": "dev-blog-a-secret-not-for-production",
    "tv-a": "dev-tv-a-secret-not-for-production",
    "health-b": "dev-health-b-secret-not-for-production",
}
# The services of one-stop switching (docs/switching.md), as settings-name prefixes: `<prefix>_issuer` …
SWITCHING_SERVICES = {"google": "google", "blog-a": "blog_a", "tv-a": "tv_a", "health-b": "health_b"}


class ExtraIdentityProvider(BaseModel):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    label: str
    issuer: str
    client_id: str
    client_secret: str
    # Who the provider is, for the APPI 法30条 record of each receipt of data from it.
    legal_name: str = ""
    legal_address: str = ""
    representative: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    azukari_env: Environment = Environment.DEVELOPMENT
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    secret_key: str = ""
    # The public origin of the bank, used in mails and absolute links.
    public_url: str = "http://localhost:5000"
    # How many reverse proxies (load balancer, ingress) put X-Forwarded-For/-Proto in front of the app.
    # 0 trusts none: behind a proxy, set it, or every client shares the proxy's address (and its login limit).
    trusted_proxies: int = 0
    # Where residents write for help, complaints and disclosure requests (shown in mails and pages).
    support_email: str = "azukari-support@example.jp"
    # The bank's operator as a recipient confirms it under APPI 法30条 (name, address, representative): sent with every
    # provision of the resource API (`provided_by`, docs/oauth.md). Demo values; production sets the registered ones.
    bank_legal_name: str = "Azukari 情報銀行（運営事業者）"
    bank_address: str = "千葉県柏市若柴178番地4（デモ）"
    bank_representative: str = "代表者（デモ）"

    # "fast" is for tests only (argon2id with tiny costs); refused in production.
    password_hash_profile: Literal["strong", "fast"] = "strong"

    # Sessions (ASVS 7.3.1/7.3.2): idle and absolute lifetimes.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Re-authentication is fresh for this long (ASVS 7.5.1).
    reauth_minutes: int = 5

    # Login throttling (ASVS 6.3.1): failures allowed in the window, per account and per client address.
    login_failures_per_account: int = 10
    login_failures_per_ip: int = 50
    login_window_minutes: int = 15
    # Request limits (ASVS 2.4.1, 4.4): the resource API per client and per client × resident, a minute each;
    # uploads started per account and per address, an hour each; upload chunks per account, a minute.
    api_requests_per_client: int = 600
    api_requests_per_account: int = 120
    uploads_per_account: int = 20
    uploads_per_ip: int = 60
    upload_chunks_per_account: int = 600
    # The token endpoint, a minute each: requests per authenticated client, whatever the grant or its outcome (a
    # refresh-token replay storm counts too). A client refreshes each resident's 5-minute token once per use, so
    # 300 lets a batch over residents run at half the API's pace while holding a storm to 5 a second (each request
    # costs a signature check, a jti write and the resident's chain lock). Requests that authenticate no client
    # count per address; past the limit the address is refused before any signature is checked. A working client
    # hardly ever fails authentication, so 30 leaves room for a clock or key mistake being retried, not for guessing.
    token_requests_per_client: int = 300
    token_failures_per_ip: int = 30

    # Mail: "outbox" keeps mail in the database and shows it at /dev/mail (development and tests);
    # "smtp" sends it from the worker.
    mail_backend: Literal["outbox", "smtp"] = "outbox"
    mail_from: str = "Azukari <no-reply@azukari.example.jp>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True

    # Job worker: a claimed job is leased for this long and the lease is renewed while it runs,
    # so a killed worker's job is picked up again once the lease runs out.
    job_lease_seconds: int = 30
    job_poll_seconds: float = 1.0
    # Extra modules that register job handlers (comma separated); the tests add their own.
    job_modules: str = ""
    # Fault injection for the transfer saga's tests (app/switching/saga.py): the worker SIGKILLs itself right after
    # committing one of these states (comma separated), once per job and state. Refused in production.
    fault_kill_at: str = ""
    # A transfer is pushed to the destination's importer in batches of this many items, each acknowledged.
    transfer_push_batch: int = 500

    # Peer services (stand-ins for outside parties); never started in production.
    peers_enabled: bool = True

    # Demo accounts and the development mail page.
    demo_enabled: bool = False

    # Smart Life Pass: the OpenID Connect provider (login, address) and its Dot to Dot health score API.
    # An empty issuer means the local stand-in (the smart-life-pass peer) while peers are enabled, else off.
    smart_life_pass_issuer: str = ""
    smart_life_pass_client_id: str = "azukari"
    smart_life_pass_client_secret: str = DEV_CLIENT_SECRETS["smart-life-pass"]
    # MyNa Portal's 自己情報取得API (children and birth dates); the same rule for an empty issuer.
    mynaportal_issuer: str = ""
    mynaportal_client_id: str = "azukari"
    mynaportal_client_secret: str = DEV_CLIENT_SECRETS["mynaportal"]
    # More OpenID Connect login providers, as a JSON list of objects with key, label, issuer, client_id,
    # client_secret (the tests add the independent `oidc-provider` this way).
    extra_identity_providers: list[ExtraIdentityProvider] = []
    # The recipient stand-ins (柏市's system, a partner) the demo seed registers as OAuth clients of the bank;
    # empty means the local peers while peers are enabled.
    kashiwa_city_url: str = ""
    partner_url: str = ""
    # One-stop switching (docs/switching.md): the source and destinations, each an authorization server the bank
    # is a client of (`azukari`) and an OAuth client of the bank at the same address; empty means the local peer.
    google_issuer: str = ""
    google_client_id: str = "azukari"
    google_client_secret: str = DEV_CLIENT_SECRETS["google"]
    blog_a_issuer: str = ""
    blog_a_client_id: str = "azukari"
    blog_a_client_secret: str = DEV_CLIENT_SECRETS["blog-a"]
    tv_a_issuer: str = ""
    tv_a_client_id: str = "azukari"
    tv_a_client_secret: str = DEV_CLIENT_SECRETS["tv-a"]
    health_b_issuer: str = ""
    health_b_client_id: str = "azukari"
    health_b_client_secret: str = DEV_CLIENT_SECRETS["health-b"]
    # The bank's ES256 key (PKCS#8 PEM) for receipts and ledger anchors; generated into instance/ outside production.
    signing_key_pem: str = ""
    # Each call to an outside party gives up after this long, so a page answers within 5 seconds.
    outbound_timeout_seconds: float = 4.0

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.instance_path / 'azukari.db'}"
        self.database_url = normalise_database_url(self.database_url)
        sqlite_file = sqlite_path(self.database_url)
        if sqlite_file is not None:  # SQLite creates the file, not its folder (a fresh clone has no instance/)
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        if self.is_production:
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise InsecureSettings(
                    "SECRET_KEY is missing or a placeholder; set a random value of at least 32 characters."
                )
            if self.mail_backend == "outbox":
                raise InsecureSettings("MAIL_BACKEND=outbox is for development; configure SMTP.")
            if self.password_hash_profile != "strong":
                raise InsecureSettings("PASSWORD_HASH_PROFILE must be 'strong' in production.")
            if self.fault_kill_at:
                raise InsecureSettings("FAULT_KILL_AT is for the tests' fault injection; unset it in production.")
            if "（デモ）" in self.bank_address + self.bank_representative:
                # (what every recipient is told under APPI 法30条: the registered facts, never the demo's)
                raise InsecureSettings("BANK_LEGAL_NAME, BANK_ADDRESS and BANK_REPRESENTATIVE must be the operator's "
                                       "registered ones in production.")
            for issuer, secret in (
                (self.smart_life_pass_issuer, self.smart_life_pass_client_secret),
                (self.mynaportal_issuer, self.mynaportal_client_secret),
                *((getattr(self, f"{prefix}_issuer"), getattr(self, f"{prefix}_client_secret"))
                  for prefix in SWITCHING_SERVICES.values()),
            ):
                if issuer and secret in DEV_CLIENT_SECRETS.values():
                    raise InsecureSettings(f"The client secret for {issuer} is the development one.")
            self.peers_enabled = False
            self.demo_enabled = False
        if self.peers_enabled:
            from app.peers import peer_spec

            self.smart_life_pass_issuer = self.smart_life_pass_issuer or peer_spec("smart-life-pass").base_url
            self.mynaportal_issuer = self.mynaportal_issuer or peer_spec("mynaportal").base_url
            self.kashiwa_city_url = self.kashiwa_city_url or peer_spec("kashiwa-city").base_url
            self.partner_url = self.partner_url or peer_spec("partner").base_url
            for name, prefix in SWITCHING_SERVICES.items():
                setattr(self, f"{prefix}_issuer", getattr(self, f"{prefix}_issuer") or peer_spec(name).base_url)
        for prefix in SWITCHING_SERVICES.values():
            setattr(self, f"{prefix}_issuer", getattr(self, f"{prefix}_issuer").rstrip("/"))
        self.smart_life_pass_issuer = self.smart_life_pass_issuer.rstrip("/")
        self.mynaportal_issuer = self.mynaportal_issuer.rstrip("/")
        self.kashiwa_city_url = self.kashiwa_city_url.rstrip("/")
        self.partner_url = self.partner_url.rstrip("/")
        return self

    @property
    def is_production(self) -> bool:
        return self.azukari_env is Environment.PRODUCTION

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    @property
    def secure_cookies(self) -> bool:
        # Local development runs over plain http on localhost; everything else is https.
        return self.is_production or self.public_url.startswith("https://")

    def absolute_url(self, path: str) -> str:
        """`path` on the bank's public origin (mails, OAuth redirect URIs, receipts): what the outside sees."""
        return self.public_url.rstrip("/") + path

    def resolved_secret_key(self) -> str:
        """The secret key; in development and tests one is generated once into the instance folder."""
        if self.secret_key:
            return self.secret_key
        if self.is_production:  # unreachable: the validator refused it
            raise InsecureSettings("SECRET_KEY is required in production.")
        key_file = self.instance_path / "secret_key"
        self.instance_path.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: when several processes start at once, exactly one writes the key
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        for _ in range(50):  # the writer may not have finished
            key = key_file.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise InsecureSettings(f"{key_file} is empty")


def current_settings() -> Settings:
    """The settings of the app handling this request (or of the app context)."""
    from flask import current_app

    return current_app.config["AZUKARI"]


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, f"{prefix}:memory:"):
        return None
    return Path(url[len(prefix):].split("?", 1)[0])


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the environment gives."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def alembic_database_url() -> str:
    """The database URL Alembic migrates: the same one the app would use."""
    return Settings().database_url

