from __future__ import annotations

import json
import logging

from app.audit import EventTag, record


def test_audit_events_are_one_json_line_even_with_crlf_in_values(db, caplog):
    with caplog.at_level(logging.INFO, logger="azukari.security"):
        record(db, EventTag.RESIDENT_LOGIN_FAILED, ip="203.0.113.9", note="x\r\nFAKE 200 admin login")
    lines = [r.getMessage() for r in caplog.records if r.name == "azukari.security"]
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]
    assert json.loads(lines[0])["event"] == "accounts:resident:login_failed"


def test_event_tags_follow_the_source_subject_action_grammar():
    for tag in EventTag:
        parts = tag.value.split(":")
        assert len(parts) == 3 and all(p.replace("_", "").isalpha() and p.islower() for p in parts), tag
