"""The access log keeps no secret: reset and invitation tokens in paths, OAuth codes and states in queries, and
the same in referers are written as [redacted]."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from app.access_log import Redacting, redact_path, redact_query, redact_url


def test_paths_with_a_token_lose_the_token() -> None:
    assert redact_path("/password/reset/abc.DEF-123") == "/password/reset/[redacted]"
    assert redact_path("/staff/invite/xyz") == "/staff/invite/[redacted]"
    assert redact_path("/checkin/poster-token") == "/checkin/[redacted]"
    assert redact_path("/my-data/imports/") == "/my-data/imports/"


def test_queries_keep_their_keys_only() -> None:
    assert redact_query("code=SECRET&state=S2&iss=https%3A%2F%2Fx") == "code=[redacted]&state=[redacted]&iss=[redacted]"
    assert redact_query("") == ""
    assert redact_url("http://localhost:5000/password/reset/tok?next=/x") == \
        "http://localhost:5000/password/reset/[redacted]?next=[redacted]"
    assert redact_url("-") == "-"


def test_the_gunicorn_line_has_no_secret() -> None:
    logger = Redacting(SimpleNamespace(errorlog="-", loglevel="info", accesslog="-", access_log_format="%(r)s %(f)s",
                                       syslog=False, logconfig=None, logconfig_dict={}, logconfig_json=None,
                                       capture_output=False, user=0, group=0, disable_redirect_access_to_syslog=False,
                                       dogstatsd_tags="", statsd_host=None, statsd_prefix=""))
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/password/reset/SECRET?x=1", "PATH_INFO": "/password/reset/SECRET",
               "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_REFERER": "http://h/oauth/cb?code=CODE"}
    atoms = logger.atoms(SimpleNamespace(status="200 OK", sent=10, headers=[]), SimpleNamespace(headers=[]), environ,
                         timedelta(seconds=0))
    line = f"{atoms['r']} {atoms['f']}"
    assert "SECRET" not in line and "CODE" not in line and "/password/reset/[redacted]" in line
