"""Security anchor G6 for profiling rules: the feed's eligibility and ranking rules are applied only in a version the
data ethics board approved. Without the approval the part reads nothing and is listed the same for everyone (and
says so), the batch names the rule as skipped; the approval is an ETHICS_APPROVAL audit event under the G3 anchors;
a changed rule is a new version that waits for its own approval."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.audit_anchor import AuditBreak, make_anchor, verify_audit_log
from app.consent import catalogue
from app.consent.models import EthicsApproval
from app.db import utcnow
from app.errors import NotFound
from app.jobs.models import Job, JobStatus
from app.jobs.registry import load_registry
from app.jobs.runner import run_next
from app.jobs.services import enqueue
from app.recommend import ranking, rules
from app.recommend.feed import feed_for
from app.recommend.jobs import PART_KIND
from app.recommend.models import RecommendFeed
from tests.conftest import csrf_token, login_as
from tests.factories.staff import StaffFactory
from tests.functional.consent.conftest import (  # noqa: F401  (fixture)
    BOARD,
    approve_profiling_rules,
    loaded_catalogue,
    offer_everything,
)
from tests.functional.recommend.test_feed import EVENTS, ON, SERVICES, grant, processing, wakashiba_family
from tests.functional.test_audit_tamper_evidence import drop_triggers

FROZEN = "2026-11-26 03:00:00"  # 12:00 in Japan, on ON


@pytest.fixture
def unapproved_rules(app, db, loaded_catalogue):  # type: ignore[no-untyped-def]  # noqa: F811
    """Every recipient and purpose approved and offered; no profiling rule approved."""
    return offer_everything(app, db, profiling_rules=False)


@pytest.fixture
def consented(app, db, settings, loaded_catalog, unapproved_rules):  # type: ignore[no-untyped-def]
    """test_feed's household (若柴, a 10-month-old and a 4-year-old), consenting to both of the bank's purposes."""
    resident = wakashiba_family(app, db)
    grant(app, db, settings, resident, SERVICES)
    grant(app, db, settings, resident, EVENTS)
    return resident


def feed(app, db, resident, on: date = ON):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        payload = feed_for(db, resident, on)
        db.flush()
    return payload


def subject(key: str) -> str:
    return next(rule.subject for rule in rules.current_rules() if rule.key == key)


def approve(app, db, key: str, *, actor: str = "staff:board"):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        approval = catalogue.record_approval(db, actor=actor, kind=rules.KIND, key=subject(key), approved_on=BOARD[0],
                                             minutes_ref="DE-2026-05")
        db.flush()
    return approval


def operator_post(client, path: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/operator/catalogue/"), **data})


def test_without_the_boards_approval_no_profiling_rule_is_applied(app, db, consented) -> None:  # type: ignore[no-untyped-def]
    payload = feed(app, db, consented)
    services, events = payload["services"], payload["events"]
    assert services["personalised"] is False and events["personalised"] is False
    # Nothing was read through the consent door for either purpose: no processing on her ledger.
    assert processing(db, consented) == []
    assert services["used"] == services["missing"] == events["used"] == events["missing"] == []
    # Every service, no status claimed; events by date; no birthday coupon (it needs a birthday to mean anything).
    assert {result["status"] for result in services["results"]} == {"listed"}
    assert "svc_daretsu" in {result["service_id"] for result in services["results"]}
    assert events["ranked"] and all(item["score"] == 0.0 for item in events["ranked"] + events["coupons"])
    with app.app_context():
        from app.catalog.models import CatalogCoupon, CatalogEvent
        from app.recommend.ranking_events import next_occurrence

        days = [next_occurrence(row.starts_at, row.ends_at, row.recurrence, ON, ranking.HORIZON_DAYS).day
                for row in (db.get(CatalogEvent, item["id"]) for item in events["ranked"])]
        triggers = [db.get(CatalogCoupon, item["id"]).trigger or "" for item in events["coupons"]]
    assert days == sorted(days)
    assert not any(trigger.startswith("birthday") for trigger in triggers)


def test_the_resident_is_told_plainly_and_gets_no_error(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    consented.locale = "en"
    db.add(consented)
    db.flush()
    login_as(client, db, consented)
    with freeze_time(FROZEN, tick=True):
        services = client.get("/feed")
        events = client.get("/feed?tab=events")
        coupons = client.get("/feed?tab=coupons", headers={"HX-Request": "true"})
        detail = client.get("/feed/services/svc_daretsu")
        home = client.get("/")
    assert {r.status_code for r in (services, events, coupons, detail, home)} == {200}
    text = services.get_data(as_text=True)
    assert "not matched to your family for now" in text and "data ethics board" in text
    assert "Eligible" not in text and '<details class="feed-others">' not in text
    assert "listed by date" in events.get_data(as_text=True) and "listed by date" in coupons.get_data(as_text=True)
    assert "listed the same for everyone, without using your data" in detail.get_data(as_text=True)
    assert "not matched to your family for now" in home.get_data(as_text=True)
    # A list by date recommends nothing: no impression for the statistics.
    assert db.execute(sa.text("SELECT count(*) FROM recommend_impression")).scalar() == 0


def test_each_rule_is_gated_on_its_own_and_an_approval_drops_the_kept_feeds(app, db, consented) -> None:  # type: ignore[no-untyped-def]
    assert feed(app, db, consented)["services"]["personalised"] is False
    approve(app, db, rules.ELIGIBILITY)
    assert db.exec(select(RecommendFeed)).all() == []  # the day's listed feed is not kept past the approval
    payload = feed(app, db, consented)
    assert payload["services"]["personalised"] is True and payload["events"]["personalised"] is False
    statuses = {r["service_id"]: r["status"] for r in payload["services"]["results"]}
    assert statuses["svc_daretsu"] == "eligible"
    assert [r.payload["purpose"] for r in processing(db, consented)] == ["municipal_recommendation"]
    approve(app, db, rules.FEED_RANKING)
    payload = feed(app, db, consented)
    assert payload["events"]["personalised"] is True and payload["events"]["used"]
    assert sorted(r.payload["purpose"] for r in processing(db, consented)) == [
        "event_recommendation", "municipal_recommendation", "municipal_recommendation"]


def test_the_batch_records_the_unapproved_rules_as_skipped(app, db, consented) -> None:  # type: ignore[no-untyped-def]
    approve(app, db, rules.ELIGIBILITY)
    job = enqueue(db, PART_KIND, {"day": ON.isoformat(), "part": 0, "parts": 1})
    db.flush()
    assert run_next(app, load_registry(), worker_id="test")
    db.expire_all()
    job = db.get(Job, job.id)
    assert job.status == JobStatus.DONE.value, job.last_error
    assert job.result["skipped_rules"] == [subject(rules.FEED_RANKING)] and job.result["computed"] >= 1
    kept = db.exec(select(RecommendFeed).where(RecommendFeed.resident_id == consented.id)).one().payload
    assert kept["services"]["personalised"] is True and kept["events"]["personalised"] is False
    assert [r.payload["purpose"] for r in processing(db, consented)] == ["municipal_recommendation"]


def test_the_operator_sees_and_approves_the_rules_in_the_catalogue_console(client, db, login, unapproved_rules) -> None:  # type: ignore[no-untyped-def]
    operator = StaffFactory(operator=True, locale="en")
    login(client, operator)
    html = client.get("/operator/catalogue/").get_data(as_text=True)
    assert "Profiling rules" in html and "Eligibility for Kashiwa City's services" in html
    for rule in rules.current_rules():
        assert rule.subject in html
    key = subject(rules.FEED_RANKING)
    operator_post(client, "/operator/catalogue/approvals", kind=rules.KIND, key=key, approved_on="", minutes_ref="x")
    assert "date of the board" in client.get("/operator/catalogue/").get_data(as_text=True)
    response = operator_post(client, "/operator/catalogue/approvals", kind=rules.KIND, key=key,
                             approved_on="2026-11-20", minutes_ref="DE-2026-05 議事録")
    assert response.status_code == 303
    html = client.get("/operator/catalogue/").get_data(as_text=True)
    assert "approval is recorded" in html and "DE-2026-05 議事録" in html
    approval = catalogue.approval_of(db, rules.KIND, key)
    assert approval is not None and approval.recorded_by == operator.principal
    assert approval.approved_on == date(2026, 11, 20)
    (event,) = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.ETHICS_APPROVAL.value,
                                                AuditEvent.actor == operator.principal)).all()
    assert event.details == {"kind": rules.KIND, "key": key, "approved_on": "2026-11-20",
                             "minutes_ref": "DE-2026-05 議事録"}
    # Once only; and only a rule the code has, in its current version.
    operator_post(client, "/operator/catalogue/approvals", kind=rules.KIND, key=key, approved_on="2026-11-21",
                  minutes_ref="again")
    assert "already recorded" in client.get("/operator/catalogue/").get_data(as_text=True)
    operator_post(client, "/operator/catalogue/approvals", kind=rules.KIND, key="feed_ranking@0.00000000",
                  approved_on="2026-11-21", minutes_ref="DE-x")
    assert len(db.exec(select(EthicsApproval).where(EthicsApproval.subject_kind == rules.KIND)).all()) == 1


def test_a_rule_approval_is_anchored_in_the_security_log(app, db, unapproved_rules) -> None:  # type: ignore[no-untyped-def]
    approve(app, db, rules.ELIGIBILITY)
    with app.test_request_context(), freeze_time(utcnow() - timedelta(minutes=30)):  # settled: an anchor covers it
        catalogue.record_approval(db, actor="staff:board", kind=rules.KIND, key=subject(rules.FEED_RANKING),
                                  approved_on=BOARD[0], minutes_ref="DE-2026-05")
        db.flush()
    (event,) = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.ETHICS_APPROVAL.value,
                                                AuditEvent.actor == "staff:board").order_by(AuditEvent.id.desc()).limit(1))
    with app.app_context():
        anchor = make_anchor(db)
        assert anchor is not None and anchor.through_id >= event.id
        assert verify_audit_log(db).ok
    assert event.details["kind"] == rules.KIND and event.details["key"] == subject(rules.FEED_RANKING)
    drop_triggers(db)  # a DBA rewrites the approval's minutes
    db.execute(sa.text("UPDATE audit_event SET details = :d WHERE id = :id"), {"d": '{"minutes_ref": "none"}',
                                                                                "id": event.id})
    db.expire_all()
    with app.app_context():
        result = verify_audit_log(db)
    assert not result.ok and result.broken_anchor == anchor.id and result.reason == AuditBreak.EVENTS


def test_a_changed_rule_version_needs_a_new_approval(app, db, consented) -> None:  # type: ignore[no-untyped-def]
    family = consented
    with app.app_context():
        approve_profiling_rules(db)  # every rule approved in the version the code has now
    approved = subject(rules.FEED_RANKING)
    assert feed(app, db, family)["events"]["personalised"] is True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranking, "EVENT_WEIGHTS", {**ranking.EVENT_WEIGHTS, "date": 0.35, "walk": 0.20})
        rules.current_rules.cache_clear()
        try:
            changed = subject(rules.FEED_RANKING)
            assert changed != approved and changed.startswith(f"{rules.FEED_RANKING}@{ranking.REVISION}.")
            payload = feed(app, db, family, ON + timedelta(days=1))
            assert payload["events"]["personalised"] is False and payload["services"]["personalised"] is True
            with app.test_request_context(), pytest.raises(NotFound):  # the old version is no longer the code's
                catalogue.record_approval(db, actor="staff:board", kind=rules.KIND, key=approved,
                                          approved_on=BOARD[0], minutes_ref="DE-again")
            approve(app, db, rules.FEED_RANKING)
            assert feed(app, db, family, ON + timedelta(days=1))["events"]["personalised"] is True
        finally:
            rules.current_rules.cache_clear()
    keys = {a.subject_key for a in db.exec(select(EthicsApproval).where(EthicsApproval.subject_kind == rules.KIND))}
    assert keys == {approved, changed, subject(rules.ELIGIBILITY)}
