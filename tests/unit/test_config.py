from __future__ import annotations

import pytest

from app.config import InsecureSettings, Settings

pytestmark = pytest.mark.smoke


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("secret", ["", "changethis", "secret", "short-but-not-placeholder"])
def test_production_refuses_a_missing_or_placeholder_secret(secret):
    with pytest.raises(InsecureSettings):
        settings(azukari_env="production", secret_key=secret, mail_backend="smtp",
                 database_url="postgresql://db/azukari")


def test_production_refuses_development_backends():
    strong = "k" * 48
    with pytest.raises(InsecureSettings):
        settings(azukari_env="production", secret_key=strong, mail_backend="outbox")
    with pytest.raises(InsecureSettings):
        settings(azukari_env="production", secret_key=strong, mail_backend="smtp", password_hash_profile="fast")
    ok = settings(azukari_env="production", secret_key=strong, mail_backend="smtp", peers_enabled=True,
                  demo_enabled=True, public_url="https://azukari.example.jp", **REGISTERED)
    assert not ok.peers_enabled and not ok.demo_enabled and ok.secure_cookies


REGISTERED = {"bank_legal_name": "株式会社柏の葉情報銀行", "bank_address": "千葉県柏市若柴1番地",
              "bank_representative": "代表取締役 柏 太郎"}


def test_production_refuses_the_demo_operator_that_recipients_are_told_of():
    """(APPI 法30条: every provision names the bank's registered name, address and representative: docs/oauth.md)"""
    strong = "k" * 48
    with pytest.raises(InsecureSettings, match="BANK_"):
        settings(azukari_env="production", secret_key=strong, mail_backend="smtp")
    assert settings(azukari_env="production", secret_key=strong, mail_backend="smtp", **REGISTERED).bank_address


def test_development_generates_one_secret_key_in_the_instance_folder(tmp_path):
    first = settings(instance_path=tmp_path).resolved_secret_key()
    second = settings(instance_path=tmp_path).resolved_secret_key()
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_sqlite_in_the_instance_folder_and_postgres_uses_psycopg(tmp_path):
    assert settings(instance_path=tmp_path).database_url == f"sqlite:///{tmp_path / 'azukari.db'}"
    assert settings(database_url="postgres://u@h/db").database_url == "postgresql+psycopg://u@h/db"
    assert settings(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


def test_cookies_are_secure_outside_local_development():
    assert not settings(public_url="http://localhost:5000").secure_cookies
    assert settings(public_url="https://azukari.example.jp").secure_cookies


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(settings, tmp_path):
    from flask import request

    from app import create_app
    from tests.conftest import make_test_settings

    seen: dict[str, str | None] = {}

    def whoami():  # type: ignore[no-untyped-def]
        seen["ip"] = request.remote_addr
        return ""

    for hops, expected in ((0, "10.0.0.1"), (1, "203.0.113.7")):
        app = create_app(make_test_settings(settings.database_url, tmp_path, trusted_proxies=hops))
        app.add_url_rule("/whoami", view_func=whoami)

        app.test_client().get("/whoami", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                              headers={"X-Forwarded-For": "203.0.113.7"})
        assert seen["ip"] == expected


def test_a_fresh_checkout_without_an_instance_folder_can_migrate(tmp_path):
    import sqlalchemy as sa

    instance = tmp_path / "fresh-clone" / "instance"
    url = settings(instance_path=instance).database_url
    assert instance.is_dir()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select 1").scalar() == 1
    engine.dispose()
