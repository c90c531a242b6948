"""A small world for the crawls of every route (tests/functional/route_crawl.py): alice with one of everything a
resident owns, bob, a newcomer who has not accepted the terms, staff of each role, two partners at the same venues and
the recipients' systems with their tokens, each object made as its owner makes it (factories, services, and the
owners' own forms), and a browser logged in as each."""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from PIL import Image
from sqlmodel import Session, select

from app.accounts.models import LinkedAccount
from app.accounts.providers import SMART_LIFE_PASS
from app.catalog.models import CatalogEvent
from app.city_records import services as city_records
from app.city_records.models import ServiceUsage
from app.config import Settings
from app.consent import decisions
from app.data_imports import services as imports
from app.ebpm import services as ebpm
from app.household import services as household
from app.household.ages import BirthDate, japan_today
from app.household.models import HomeAddress
from app.mail.models import MailMessage
from app.participation import services as participation
from app.passes import posters
from app.passkeys.models import Passkey
from app.surveys import services as surveys
from app.surveys.models import SurveyStatus
from app.switching.models import JobState, TransferJob
from tests.conftest import csrf_token
from tests.factories import TEST_SECRET_KEY
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import NoticeFactory
from tests.factories.staff import STAFF_PASSWORD, PartnerFactory, StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.oauth.conftest import RecipientSystem, allow, new_key, redirect_params, register_city
from tests.functional.surveys.conftest import answer_everything
from tests.functional.switching.conftest import BLOG_ITEMS, BLOG_REDIRECT, GOOGLE_ITEMS, GOOGLE_REDIRECT, register
from tests.functional.switching.test_views import collected_values

# Texts only alice's objects (and partner A's listing) carry: none may reach another account's answer.
MARKERS = ("あおい-ひみつ", "a-secret-export.zip", "秘密のお知らせ", "ひみつの鍵", "秘密野 花子", "ひみつの催し")
ON = "2026-11-26 03:00:00"  # 12:00 in Japan, as the feed's and partners' tests
SURVEY = "pre_pilot"
MONTH = "2026-10"
CITY_OFFER = ("kashiwa_kosodate", "municipal_recommendation")
ANALYSTS_OFFER = ("pilot_analysts", "pilot_research")
FEED_OFFERS = (("azukari", "municipal_recommendation"), ("azukari", "event_recommendation"))


@dataclass
class World:
    browsers: dict[str, FlaskClient]  # role → a browser logged in as it ("anonymous": none)
    users: dict[str, Any]  # role → the resident or staff member
    ids: dict[str, Any] = field(default_factory=dict)  # what the URLs name
    tokens: dict[str, str] = field(default_factory=dict)  # the recipients' bearer tokens, as alice (bob_…) allowed them
    objects: dict[str, Any] = field(default_factory=dict)  # alice's rows, to compare before and after a sweep


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _post(browser: FlaskClient, path: str, csrf_from: str, **data: Any) -> Any:
    response = browser.post(path, data={"csrf_token": csrf_token(browser, csrf_from), **data}, content_type="multipart/form-data")
    assert response.status_code in (200, 303), (path, response.status_code, response.get_data(as_text=True)[:300])
    return response


def _listing(partner: FlaskClient, kind: str, **values: Any) -> str:
    today = japan_today().isoformat()
    common = {
        "title_ja": MARKERS[5],
        "title_en": "A secret",
        "description_ja": "",
        "description_en": "",
        "venue_id": "v_tsite",
        "age_min_years": "",
        "age_min_months": "",
        "age_max_years": "6",
        "age_max_months": "",
    }
    if kind == "events":  # (held today: its poster checks in)
        common |= {
            "starts_at": f"{today}T00:00",
            "ends_at": f"{today}T23:59",
            "capacity": "12",
            "fee_jpy": "0",
            "registration": "required",
            "tags": ["workshop"],
        }
    else:
        common |= {
            "merchant_category": "bookstore_cafe",
            "discount_type": "percent",
            "discount_value": "10",
            "conditions": "",
            "valid_from": today,
            "valid_to": "2099-12-31",
        }
    response = _post(partner, f"/partner/{kind}/new", "/partner/", **common, **values)
    match = re.fullmatch(rf"/partner/{kind}/(p[0-9a-f]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def _found(browser: FlaskClient, path: str, pattern: str) -> str:
    match = re.search(pattern, browser.get(path).get_data(as_text=True))
    assert match, f"{pattern} not on {path}"
    return match.group(1)


def _mail_link(db: Session, to: str, pattern: str) -> tuple[int, str]:
    message = db.exec(select(MailMessage).where(MailMessage.to == to)).first()
    assert message is not None and message.id is not None, f"no mail to {to}"
    match = re.search(pattern, message.body)
    assert match, message.body
    return message.id, match.group(1)


def _token(system: RecipientSystem, browser: FlaskClient, items: list[str]) -> str:
    answer = system.exchange(redirect_params(allow(browser, system.authorize_url(scope=" ".join(items)), items))["code"])
    assert answer.status_code == 200, answer.get_json()
    return str(answer.get_json()["access_token"])


def _recipients(app: Flask, db: Session, settings: Settings, world: World) -> None:
    """柏市's system, ブログサービスA (a destination) and Google (a source) as the bank's clients, each with a token."""
    issuer, alice = settings.public_url.rstrip("/"), world.browsers["alice"]
    keys = {name: new_key() for name in ("city", "blog_a", "google")}
    with app.app_context():
        register_city(db, keys["city"])
        register(db, "blog-a", keys["blog_a"], "blog_a", "transfer_blog", BLOG_ITEMS, BLOG_REDIRECT)
        register(db, "google-export", keys["google"], "azukari", "switching_intake", GOOGLE_ITEMS, GOOGLE_REDIRECT)
    city = RecipientSystem("kashiwa-city", keys["city"], issuer, app.test_client())
    world.ids["authorize"] = city.authorize_url()
    world.tokens["city"] = _token(city, alice, ["children_count", "town_group"])
    blog = RecipientSystem("blog-a", keys["blog_a"], issuer, app.test_client(), redirect_uri=BLOG_REDIRECT)
    google = RecipientSystem("google-export", keys["google"], issuer, app.test_client(), redirect_uri=GOOGLE_REDIRECT)
    for who in ("alice", "bob"):  # (bob's: the two-user crawler gives them alice's transfer)
        prefix = "" if who == "alice" else "bob_"
        world.tokens[f"{prefix}blog_a"] = _token(blog, world.browsers[who], BLOG_ITEMS)
        world.tokens[f"{prefix}google"] = _token(google, world.browsers[who], GOOGLE_ITEMS)


def _alices_objects(app: Flask, db: Session, settings: Settings, offers: Any, alice: Any) -> dict[str, Any]:  # noqa: F811
    with app.test_request_context():
        child = household.add_child(db, alice, nickname=MARKERS[0], birth=BirthDate(2023, 5, 1), counted=False)
        view = offers[CITY_OFFER]
        receipt = decisions.grant(db, settings, resident=alice, view=view, items=view.offer.items)
        analysts = offers[ANALYSTS_OFFER]  # (the surveys ask for it)
        decisions.grant(db, settings, resident=alice, view=analysts, items=analysts.offer.items)
        request = city_records.start(
            db, settings, alice, name=MARKERS[4], birth_date=date(1991, 6, 15), address="千葉県柏市柏の葉二丁目3番地1", years=3
        )
        joined = participation.record(db, alice, "event", "ev_park_toride", japan_today())
        for key in FEED_OFFERS:
            decisions.grant(db, settings, resident=alice, view=offers[key], items=offers[key].offer.items)
        db.add(
            HomeAddress(
                resident_id=alice.id,
                postal_code="277-0871",
                region="千葉県",
                locality="柏市",
                town="若柴",
                block="178-4",
                source="smart-life-pass",
            )
        )
    upload = imports.start_upload(
        db, alice, filename=MARKERS[1], size=10, keep_sensitive=False, instance_path=settings.instance_path
    )
    imports.upload_path(settings.instance_path, upload.id).write_bytes(b"0123456789")
    imports.mark_received(db, upload, alice)
    link = LinkedAccount(
        resident_id=alice.id, provider=SMART_LIFE_PASS, issuer=settings.smart_life_pass_issuer, subject=f"slp-{alice.id}"
    )
    usage = ServiceUsage(
        resident_id=alice.id, service_id="svc_jidoteate", used_from=japan_today(), request_id=request.id, note=MARKERS[4]
    )
    passkey = Passkey(resident_id=alice.id, credential_id=os.urandom(32), public_key=b"\xa5" * 77, name=MARKERS[3])
    transfer = TransferJob(
        resident_id=alice.id,
        source="google",
        destination="blog-a",
        pattern=3,
        kinds=["profile", "post"],
        format="blog-a/1",
        state=JobState.READY,
        **collected_values(),
    )
    notice = NoticeFactory(resident=alice, title=MARKERS[2])
    db.add_all([link, usage, passkey, transfer])
    db.flush()
    return {
        "child": child,
        "receipt": receipt,
        "city_request": request,
        "participation": joined,
        "import": upload,
        "usage": usage,
        "passkey": passkey,
        "transfer": transfer,
        "notice": notice,
    }


def build_world(app: Flask, db: Session, settings: Settings, login: Callable[..., str], offers: Any) -> World:  # noqa: F811
    """alice (with one of everything a resident owns), bob, a newcomer who has not accepted the terms, staff of each
    role (and two half-way through their login), partner A (an event held today, published, with its picture; a
    draft coupon) and partner B at the same venues, a password reset and a staff invitation in the mailbox, and the
    recipients' systems with alice's (and bob's) tokens."""
    alice, bob = ResidentFactory(), ResidentFactory()
    partner_a, partner_b = PartnerFactory(venue_ids=["v_tsite", "v_lalaport_main"]), PartnerFactory()
    users = {
        "alice": alice,
        "bob": bob,
        "newcomer": ResidentFactory(new=True),
        **{role: StaffFactory(**{role: True}) for role in ("operator", "municipal", "analyst")},
        "partner": StaffFactory(partner=True, partner_id=partner_a.id),
        "other_partner": StaffFactory(partner=True, partner_id=partner_b.id),
    }
    browsers = {"anonymous": app.test_client(), "machine": app.test_client()}  # (machine: a recipient's system)
    for role, user in users.items():
        browsers[role] = app.test_client()
        login(browsers[role], user)
    world = World(browsers, users)
    with app.test_request_context():
        surveys.load_surveys(db)
        surveys.set_status(db, "test", SURVEY, SurveyStatus.OPEN)
    ebpm.release(db, MONTH)
    world.objects = _alices_objects(app, db, settings, offers, alice)
    answer_everything(db, alice, SURVEY)
    world.ids |= {name: row.id for name, row in world.objects.items()}
    world.ids["job"] = world.objects["import"].job_id

    partner = browsers["partner"]  # partner A: an event held today, published with its picture; a draft coupon
    world.ids["event"] = event = _listing(partner, "events", picture=(io.BytesIO(_png()), "p.png"))
    _post(partner, f"/partner/events/{event}/publish", "/partner/")
    world.ids["coupon"] = _listing(partner, "coupons")
    world.ids["picture"] = uuid.UUID(_found(partner, f"/partner/events/{event}", r"/partner/pictures/([0-9a-f-]{36})"))
    with app.app_context():
        world.ids["poster"] = posters.poster_token(TEST_SECRET_KEY, partner_a, db.get(CatalogEvent, event))
    # What alice's feed recommends (its detail pages show only those).
    for kind in ("services", "events", "coupons"):
        world.ids[f"feed_{kind}"] = _found(browsers["alice"], f"/feed?tab={kind}", rf'/feed/{kind}/([\w-]+)"')

    _post(browsers["anonymous"], "/password/forgot", "/password/forgot", email=alice.email)
    world.ids["mail"], world.ids["reset"] = _mail_link(db, alice.email, r"/password/reset/([\w-]+)")
    _post(
        browsers["operator"],
        "/operator/staff",
        "/operator/staff",
        display_name="新しい 職員",
        email="invited@example.jp",
        role="municipal",
        partner_id="",
        locale="ja",
    )
    _, world.ids["invite"] = _mail_link(db, "invited@example.jp", r"/staff/invite/([\w-]+)")
    # Half-way through a staff login: the password given, the authenticator to enroll / the code to enter.
    for role, member in (
        ("enrolling", StaffFactory(municipal=True, totp_secret=None)),
        ("signing_in", StaffFactory(municipal=True)),
    ):
        browsers[role] = app.test_client()
        _post(browsers[role], "/staff/login", "/staff/login", email=member.email, password=STAFF_PASSWORD)
    _recipients(app, db, settings, world)
    db.flush()
    return world


@pytest.fixture
def world(app: Flask, db: Session, settings: Settings, login, offers, loaded_catalog) -> Iterator[World]:  # type: ignore[no-untyped-def]  # noqa: F811
    """The world on a day the catalogue's events and coupons are current (the clock ticks on through the test)."""
    with freeze_time(ON, tick=True):
        yield build_world(app, db, settings, login, offers)
