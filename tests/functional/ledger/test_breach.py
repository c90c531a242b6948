"""The breach query: for a component and a window, the residents whose data it used or received and the items,
from the ledger; nothing outside the window or about another component; the command prints it as JSON."""

from __future__ import annotations

import json
from datetime import timedelta

from app.db import utcnow
from app.ledger.breach import affected
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.oauth.conftest import (  # noqa: F401  (fixtures)
    allow,
    authorized,
    city,
    city_key,
    hanako,
    hanako_browser,
    redirect_params,
)


def test_a_client_s_breach_names_the_residents_it_read_and_the_items(  # type: ignore[no-untyped-def]
        app, db, city, hanako, hanako_browser, login, authorized) -> None:  # noqa: F811
    start = utcnow() - timedelta(minutes=1)
    assert city.me(authorized["access_token"]).status_code == 200
    jiro = ResidentFactory()
    jiro_browser = app.test_client()
    login(jiro_browser, jiro)
    params = redirect_params(allow(jiro_browser, city.authorize_url(), ["children_count"]))
    jiro_token = city.exchange(params["code"]).get_json()["access_token"]
    assert city.me(jiro_token).status_code == 200
    ResidentFactory()  # never read by the city
    end = utcnow() + timedelta(minutes=1)

    found = {entry.subject: entry for entry in affected(db, "kashiwa-city", start, end)}
    assert set(found) == {hanako.principal, jiro.principal}
    assert found[hanako.principal].items == {"children_count", "town_group"} and found[jiro.principal].items == {"children_count"}
    assert affected(db, "/api/v1/me", start, end) and affected(db, "recommendation_feed", start, end) == []
    assert affected(db, "kashiwa-city", end, end + timedelta(hours=1)) == []  # outside the window

    db.commit()  # the command opens its own session
    result = app.test_cli_runner().invoke(args=["ledger", "breach", "--component", "kashiwa-city",
                                                "--since", start.strftime("%Y-%m-%dT%H:%M"),
                                                "--until", (end + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {r["subject"] for r in answer["residents"]} == {hanako.principal, jiro.principal}
    assert answer["items"] == {"children_count": 2, "town_group": 1}
    assert hanako.email not in result.output  # principals, never e-mail addresses
