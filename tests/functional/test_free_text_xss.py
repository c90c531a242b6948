"""Script in any free text a resident, a recipient, a device or another service can put in is shown as text: a
child's nickname, an export's file name and contents, a recipient's notice, a passkey's name, a city-records request,
the address from Smart Life Pass, a child's name from MyNa Portal, an email address, and whatever the public forms,
the staff's code step, the login's `next` and a query string send back. The page holds the escaped text and no live
tag. (What staff enter: test_free_text_xss_staff.py;
the same in Chromium: e2e/test_hostile_input.py and e2e/test_hostile_listings.py.)"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from sqlmodel import select

from app.accounts.models import Resident
from app.data_imports import services as imports
from app.data_imports.models import DataImport
from app.household import services as household
from app.household.ages import BirthDate
from app.household.models import Child, HomeAddress
from app.passkeys.models import Passkey
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory, TermsAcceptanceFactory
from tests.factories.exports import EXPORT_XML, export_zip
from tests.factories.inbox import NoticeFactory
from tests.factories.staff import STAFF_PASSWORD, StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue  # noqa: F401  (fixture)
from tests.functional.data_imports.conftest import run_jobs, upload_whole  # noqa: F401  (fixture)
from tests.functional.household.test_mynaportal_import import import_from_portal, new_household
from tests.functional.staff.test_staff_login import code_step, password_step

PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>"
TIGHT = "\"'><svg/onload=alert(1)>{{7*7}}"  # no space: for a given name (cut at a space) or a link
LIVE = ("<script>alert", "<img src=x", "<svg onload", "<svg/onload", "onerror=alert(1)>", 'href="javascript:')


def assert_inert(html: str, *, shown: bool = True) -> None:
    """No live tag from a payload; with `shown`, the payload is on the page as escaped text."""
    assert not any(tag in html for tag in LIVE), [tag for tag in LIVE if tag in html]
    if shown:
        assert "&lt;script&gt;alert(" in html or "&lt;img src=x" in html or "&lt;svg/onload" in html


@pytest.fixture
def resident(app, db):  # type: ignore[no-untyped-def]
    return ResidentFactory()


def test_a_childs_nickname(app, db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        household.add_child(db, resident, nickname=PAYLOAD[:40], birth=BirthDate(2022, 4, 1), counted=False)
    login(client, resident)
    assert_inert(client.get("/my-data").get_data(as_text=True))


def test_an_exports_file_name(db, client, login, resident, settings) -> None:  # type: ignore[no-untyped-def]
    """(Kept as its base name: what follows the last "/", the one of "</script>".)"""
    upload = imports.start_upload(db, resident, filename=PAYLOAD, size=10, keep_sensitive=False,
                                  instance_path=settings.instance_path)
    login(client, resident)
    assert_inert(client.get("/my-data/imports/").get_data(as_text=True))
    assert_inert(client.get(f"/my-data/imports/{upload.id}").get_data(as_text=True))


def test_a_recipients_notice(db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident, title=PAYLOAD[:100], body=PAYLOAD)
    login(client, resident)
    assert_inert(client.get("/inbox").get_data(as_text=True))
    assert_inert(client.get(f"/inbox/{notice.id}").get_data(as_text=True))


def test_a_passkeys_name(db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    db.add(Passkey(resident_id=resident.id, credential_id=b"x" * 16, public_key=b"k", name=PAYLOAD[:60]))
    db.flush()
    login(client, resident)
    assert_inert(client.get("/settings/passkeys").get_data(as_text=True))


def test_a_city_records_request(client, other_client, db, login, resident, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The name and address a resident types for 柏市: her request, the mandate, and 柏市's staff's list."""
    login(client, resident)
    answer = client.post("/city-records/new", data={
        "csrf_token": csrf_token(client, "/city-records/new"), "name": PAYLOAD, "birth_date": "1991-06-15",
        "address": PAYLOAD, "years": "3", "mandate": "y"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    request_path = answer.headers["Location"]
    assert_inert(client.get(request_path).get_data(as_text=True), shown=False)  # (names neither)
    assert_inert(client.get(f"{request_path}/mandate").get_data(as_text=True))
    login(other_client, StaffFactory(municipal=True))
    assert_inert(other_client.get("/municipal/city-records/").get_data(as_text=True))


def test_an_address_from_smart_life_pass(client, db, login, resident, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Shown on わたしのデータ, and as the value of the city-records form's address (an attribute)."""
    db.add(HomeAddress(resident_id=resident.id, postal_code="277-0871", region="千葉県", locality="柏市",
                       town=PAYLOAD[:64], block=TIGHT, source="smart-life-pass"))
    db.flush()
    login(client, resident)
    assert_inert(client.get("/my-data").get_data(as_text=True))
    form = client.get("/city-records/new").get_data(as_text=True)
    assert_inert(form)
    assert "&#34;&#39;&gt;&lt;svg/onload" in form or "&quot;&#39;&gt;&lt;svg/onload" in form  # escaped in value=""


def test_an_exports_contents(client, db, login, resident, csrf, run_jobs, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """An Apple Health export names its sources and record types: the import's page lists both."""
    hostile = PAYLOAD.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")  # as an XML attribute
    xml = EXPORT_XML.replace('sourceName="花子のiPhone"', f'sourceName="{hostile}"').replace(
        "HKQuantityTypeIdentifierHeartRate", f"HKQuantityTypeIdentifier{hostile}")
    login(client, resident)
    state = upload_whole(client, csrf(client, "/my-data/imports/"), export_zip(xml=xml))
    run_jobs()
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    db.refresh(data_import)
    assert data_import.status == "done", data_import.summary
    assert_inert(client.get(f"/my-data/imports/{data_import.id}").get_data(as_text=True))


def test_a_childs_name_from_mynaportal(client, db, login, resident, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    """The given name MyNa Portal answers: the side-by-side review, then the child it adds on わたしのデータ."""
    login(client, resident)
    login_id, pin = new_household(peers, [(f"若葉 {TIGHT}", "2021-05-12")])
    assert import_from_portal(client, idp_browser, login_id, pin).status_code == 303
    assert_inert(client.get("/household/mynaportal/review").get_data(as_text=True))
    decided = client.post("/household/mynaportal/review", data={
        "csrf_token": csrf_token(client, "/household/mynaportal/review"), "p0": "add"})
    assert decided.status_code == 303, decided.get_data(as_text=True)[:1000]
    assert db.exec(select(Child).where(Child.guardian_id == resident.id)).one().nickname == TIGHT
    assert_inert(client.get("/my-data").get_data(as_text=True))


@pytest.mark.parametrize(("method", "path", "field"), [
    ("post", "/login", "email"), ("post", "/signup", "email"), ("post", "/password/forgot", "email"),
    ("post", "/staff/login", "email"), ("get", "/login?next=", None), ("get", "/oauth/authorize?client_id=", None),
    ("post", "/receipts/verify", "jws"),
])
def test_what_a_visitor_sends_comes_back_inert(client, method, path, field) -> None:  # type: ignore[no-untyped-def]
    """A refused email is put back in its field (a value=""); `next` is kept in a hidden field; nothing else is
    echoed."""
    if method == "get":
        response = client.get(path + quote(PAYLOAD))
    else:
        response = client.post(path, data={"csrf_token": csrf_token(client, path), field: PAYLOAD, "password": "x"})
    assert response.status_code < 500
    assert_inert(response.get_data(as_text=True), shown=False)


def test_a_staff_members_second_factor(client, csrf) -> None:  # type: ignore[no-untyped-def]
    """The 6-digit code's field, after the password: a hostile code is refused and not put back live."""
    member = StaffFactory()
    assert password_step(client, csrf, member.email, STAFF_PASSWORD).status_code == 303
    response = code_step(client, csrf, PAYLOAD)
    assert response.status_code == 422
    assert_inert(response.get_data(as_text=True), shown=False)


def test_a_query_string_put_back_into_a_link(client, login, resident) -> None:  # type: ignore[no-untyped-def]
    """The switching wizard's connect step links to its own URL with the query string as sent."""
    login(client, resident)
    response = client.get("/switching/new?source=google&destination=blog-a&kinds=post&x=" + quote(PAYLOAD))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_inert(page, shown=False)
    assert 'href="/switching/new?source=google' in page  # the link stays a path on this site


def test_an_email_address_is_never_markup_and_a_template_in_it_stays_text(client, db) -> None:  # type: ignore[no-untyped-def]
    """The email validator refuses markup (the one free text every page of a resident's shows); what it lets
    through, such as braces, is shown as typed."""
    refused = client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"),
                                           "email": '"><svg/onload=alert(1)>@example.jp', "password": "x" * 20})
    assert refused.status_code == 422
    email = f"x{{{{7*7}}}}{uuid.uuid4().hex[:6]}@example.jp"
    created = client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"), "email": email,
                                           "password": "kashiwa-braces-in-email-26"})
    assert created.status_code == 303, created.get_data(as_text=True)[:500]
    TermsAcceptanceFactory(resident=db.exec(select(Resident).where(Resident.email == email)).one())
    page = client.get("/settings").get_data(as_text=True)
    assert email in page and "x49" not in page
