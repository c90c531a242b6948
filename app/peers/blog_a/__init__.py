"""ブログサービスA (blog-a): a destination for a resident's blog, in the format `blog-a/1` (docs/switching.md).

All of it is the destination toolkit (app/peers/destination); this module only says who the service is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.peers.destination import DestinationProfile, create_destination_app

PROFILE_FIELDS = ("display_name", "locale")
INTEREST_FIELDS = ("topic", "source")

# The bank's client secret here: the environment, else this development default (never in production).
SECRET_ENV = "BLOG_A_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-blog-a-secret-not-for-production"

PROFILE = DestinationProfile(
    peer_name="blog-a",
    display_name_ja="ブログサービスA",
    display_name_en="Blog service A",
    format="blog-a/1",
    types={
        "post": ("title", "body_html", "status", "published_at", "updated_at", "tags"),
        "comment": ("post_id", "body_html", "author_name", "published_at", "in_reply_to"),
        "profile": PROFILE_FIELDS,
        "interest": INTEREST_FIELDS,
    },
    type_labels={"post": "記事", "comment": "コメント", "profile": "プロフィール", "interest": "興味・関心"},
    bank_scope="blog_posts profile interests",
    secret_env=SECRET_ENV,
    default_secret=DEV_CLIENT_SECRET,
    redirect_uris_env="BLOG_A_REDIRECT_URIS",
    client_id_env="BLOG_A_CLIENT_ID",
)


def create_app(*, storage_dir: Path, **overrides: Any) -> Flask:
    """`overrides` are `create_destination_app`'s: client_secret, redirect_uris, quota_items, issuer, client_id."""
    return create_destination_app(PROFILE, storage_dir=storage_dir, import_name=__name__, **overrides)
