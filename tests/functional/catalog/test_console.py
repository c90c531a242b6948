"""柏市's staff keep the services up to date in the municipal console: list, edit, mistakes, and who may do it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.catalog.forms import today_in_japan
from app.catalog.models import CatalogService
from app.catalog.services import load_catalog
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory

LIST = "/municipal/services/"
DARETSU = "/municipal/services/svc_daretsu"


@pytest.fixture
def municipal(client, login, loaded_catalog):  # type: ignore[no-untyped-def]
    member = StaffFactory(municipal=True, locale="en")
    login(client, member)
    return member


def form_data(row: CatalogService, **overrides: str) -> dict[str, str]:
    values = {
        "version": str(row.version), "name_ja": row.name_ja, "name_en": row.name_en,
        "description_ja": row.description_ja, "description_en": row.description_en,
        "eligibility": json.dumps(row.eligibility, ensure_ascii=False), "how_to_apply_ja": row.how_to_apply_ja,
        "how_to_apply_en": row.how_to_apply_en, "source_url": row.source_url,
        "last_checked": row.last_checked.isoformat(),
    }
    values.update(overrides)
    return values


def post_edit(client, db, **overrides: str):  # type: ignore[no-untyped-def]
    row = db.get(CatalogService, "svc_daretsu")
    return client.post(DARETSU, data={"csrf_token": csrf_token(client, DARETSU), **form_data(row, **overrides)})


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# --- the list ------------------------------------------------------------------------------------------------


def test_the_list_shows_every_service_with_category_confidence_and_last_checked(client, db, municipal, catalog_data):
    response = client.get(LIST)
    assert response.status_code == 200
    text = page(response)
    for record in catalog_data["services"]:
        assert f'id="service-{record["id"]}"' in text
        assert str(escape(record["name_en"])) in text  # the English member reads English names
    assert "Temporary childcare" in text and "Confidence: Low" in text
    assert "Thu, 26 Nov 2026" in text  # last checked, in the member's language
    assert 'href="/municipal/services/svc_daretsu"' in text


def test_the_list_filters_by_confidence(client, municipal, catalog_data):
    text = page(client.get(LIST + "?confidence=low"))
    low = {r["id"] for r in catalog_data["services"] if r["confidence"] == "low"}
    assert low and all(f'id="service-{service_id}"' in text for service_id in low)
    assert 'id="service-svc_daretsu"' not in text  # high confidence


def test_the_console_home_links_to_the_services(client, municipal):
    text = page(client.get("/municipal/"))
    assert 'href="/municipal/services/"' in text


def test_the_japanese_list_shows_the_japanese_names(client, login, loaded_catalog, catalog_data):
    login(client, StaffFactory(municipal=True, locale="ja"))
    text = page(client.get(LIST))
    assert all(str(escape(r["name_ja"])) in text for r in catalog_data["services"])
    assert "2026年11月26日(木)" in text


# --- editing -------------------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_service_with_its_age_rule_readable(client, municipal):
    response = client.get(DARETSU)
    assert response.status_code == 200
    text = page(response)
    assert "From 6 months to under 36 months old" in text
    assert "&#34;max_months_exclusive&#34;: 36" in text or "&quot;max_months_exclusive&quot;: 36" in text
    assert 'value="https://www.city.kashiwa.lg.jp/haguhagu/navi/azukari/ichiji/riyousya-daretuu.html"' in text


def test_a_valid_edit_is_saved_marked_and_audited(client, db, municipal):
    eligibility = {"age": {"min_months": 6, "max_months_exclusive": 36, "status": "verified"},
                   "residence": "kashiwa_registered"}
    response = post_edit(client, db, name_en="Anyone-can-attend nursery", description_ja="月10時間まで、保育園に通えます。",
                         eligibility=json.dumps(eligibility), how_to_apply_en="Register at each nursery.",
                         source_url="https://www.city.kashiwa.lg.jp/new-page.html", last_checked="2026-11-25")
    assert response.status_code == 303 and response.headers["Location"] == LIST
    db.expire_all()
    row = db.get(CatalogService, "svc_daretsu")
    assert row.name_en == "Anyone-can-attend nursery" and row.description_ja == "月10時間まで、保育園に通えます。"
    assert row.eligibility == eligibility and row.how_to_apply_en == "Register at each nursery."
    assert row.source_url == "https://www.city.kashiwa.lg.jp/new-page.html" and row.last_checked == date(2026, 11, 25)
    assert row.edited_by == municipal.principal and row.edited_at is not None and row.version == 2
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CATALOG_SERVICE_EDIT.value)).one()
    assert event.actor == municipal.principal and event.details["service"] == "svc_daretsu"
    assert set(event.details["fields"]) == {"name_en", "description_ja", "eligibility", "how_to_apply_en", "source_url",
                                            "last_checked"}
    assert "The service is saved." in page(client.get(LIST))


def test_the_edit_survives_a_reload_of_the_catalogue(app, client, db, municipal):
    post_edit(client, db, name_ja="こども誰でも通園制度(試行)")
    with app.app_context():
        load_catalog(db)
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").name_ja == "こども誰でも通園制度(試行)"


def test_saving_without_a_change_records_nothing(client, db, municipal):
    response = post_edit(client, db)
    assert response.status_code == 303
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").edited_at is None
    assert db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CATALOG_SERVICE_EDIT.value)).first() is None


INVALID = [
    pytest.param({"eligibility": '{"age": {"min_months": 6,}'}, "eligibility", "This is not valid JSON (line 1",
                 id="bad-json"),
    pytest.param({"eligibility": "[1, 2]"}, "eligibility", "must be a JSON object", id="json-not-an-object"),
    pytest.param({"eligibility": '{"age": {"min_months": -1}}'}, "eligibility", "whole number of 0 or more",
                 id="negative-months"),
    pytest.param({"eligibility": '{"age": {"min_months": 36, "max_months_exclusive": 6}}'}, "eligibility",
                 "must be less than", id="months-reversed"),
    pytest.param({"eligibility": '{"age": {"school_grade_max": "grade_7"}}'}, "eligibility", "must be one of",
                 id="unknown-grade"),
    pytest.param({"source_url": "not a web address"}, "source_url", "https://", id="bad-url"),
    pytest.param({"source_url": "javascript:alert(1)"}, "source_url", "https://", id="script-url"),
    pytest.param({"source_url": "ftp://www.city.kashiwa.lg.jp/a.pdf"}, "source_url", "https://", id="not-the-web"),
    pytest.param({"last_checked": "2026-13-01"}, "last_checked", "YYYY-MM-DD", id="bad-date"),
    pytest.param({"last_checked": "26/11/2026"}, "last_checked", "YYYY-MM-DD", id="other-date-format"),
    pytest.param({"name_ja": ""}, "name_ja", "", id="no-name"),
]


@pytest.mark.parametrize("overrides, field, message", INVALID)
def test_a_mistake_is_refused_with_422_and_a_message_at_the_field(client, db, municipal, overrides, field, message):
    response = post_edit(client, db, **overrides)
    assert response.status_code == 422
    text = page(response)
    assert f'id="{field}-error"' in text and 'aria-invalid="true"' in text
    assert str(escape(message)) in text
    assert "Some of what you entered cannot be saved." in text
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").edited_at is None


def test_a_date_in_the_future_is_refused(client, db, municipal):
    response = post_edit(client, db, last_checked=(today_in_japan() + timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "cannot be later than today" in page(response)


def test_the_messages_follow_the_members_language(app, client, db, login, loaded_catalog):
    login(client, StaffFactory(municipal=True, locale="ja"))
    response = post_edit(client, db, eligibility="[]")
    assert response.status_code == 422
    with app.test_request_context(), force_locale("ja"):
        expected = _("The eligibility must be a JSON object, in braces { }.")
    assert str(escape(expected)) in page(response)
    assert '<html lang="ja"' in page(response)


def test_an_edit_from_an_older_version_is_refused_as_a_conflict(client, db, municipal):
    assert post_edit(client, db, name_en="First edit").status_code == 303
    response = post_edit(client, db, version="1", name_en="Second edit from a stale form")
    assert response.status_code == 409
    assert "Someone else saved this service" in page(response)
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").name_en == "First edit"


def test_a_post_without_the_csrf_token_is_refused(client, db, municipal):
    row = db.get(CatalogService, "svc_daretsu")
    response = client.post(DARETSU, data=form_data(row, name_en="No token"))
    assert response.status_code == 400
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").name_en != "No token"


def test_an_unknown_service_is_404(client, municipal):
    assert client.get("/municipal/services/svc_nothing").status_code == 404


# --- who may -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", ["operator", "partner", "resident"])
@pytest.mark.parametrize("method, path", [("GET", LIST), ("GET", DARETSU), ("POST", DARETSU)])
def test_other_roles_are_refused(client, db, login, loaded_catalog, principal, method, path):
    login(client, ResidentFactory() if principal == "resident" else StaffFactory(**{principal: True}))
    token = csrf_token(client, "/")
    row = db.get(CatalogService, "svc_daretsu")
    response = client.open(path, method=method, data={"csrf_token": token, **form_data(row, name_en="Not allowed")}
                           if method == "POST" else None)
    assert response.status_code == 403
    db.expire_all()
    assert db.get(CatalogService, "svc_daretsu").name_en != "Not allowed"


def test_anonymous_visitors_are_sent_to_the_staff_login(client, loaded_catalog):
    response = client.get(DARETSU)
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")
