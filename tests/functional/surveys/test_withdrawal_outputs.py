"""A withdrawal leaves every output the analysts have: 11 residents send the real pre-pilot survey through the real
path; one withdraws their answers on the page, another withdraws the consent; the report's counts and both CSV files
follow at once (and 9 left is under the threshold: the count itself is hidden)."""

from __future__ import annotations

import csv
import io

from app.consent import decisions
from app.surveys import services
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.surveys.conftest import ANALYSTS, PRE, answer_everything, give_consent


def csv_rows(client, name: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(f"/analysts/surveys/{PRE}/{name}.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_withdrawn_answers_leave_the_report_and_both_exports(app, db, settings, offers, surveys, client, other_client,  # type: ignore[no-untyped-def]
                                                              login) -> None:
    residents = []
    for _ in range(11):
        resident = ResidentFactory(locale="en")
        give_consent(app, db, settings, offers, resident)
        answer_everything(db, resident)
        with app.test_request_context():
            services.submit(db, resident, services.survey(db, PRE))
        residents.append(resident)
    login(client, StaffFactory(analyst=True, locale="en"))
    pseudonyms = [services.pseudonym(db, resident) for resident in residents]
    assert sorted(row["respondent"] for row in csv_rows(client, "responses")) == sorted(pseudonyms)
    assert '<td data-count="11">11</td>' in client.get("/analysts/").get_data(as_text=True)

    # One withdraws the answers on the survey's page.
    login(other_client, residents[0])
    response = other_client.post(f"/surveys/{PRE}/withdraw", data={"csrf_token": csrf_token(other_client, "/surveys/")})
    assert response.status_code == 303
    assert sorted(row["respondent"] for row in csv_rows(client, "responses")) == sorted(pseudonyms[1:])
    assert '<td data-count="10">10</td>' in client.get("/analysts/").get_data(as_text=True)
    # Another withdraws the consent.
    with app.test_request_context():
        decisions.withdraw(db, settings, resident=residents[1], view=offers[ANALYSTS], items=["survey_answers"])
        db.flush()
    left = csv_rows(client, "responses")
    assert sorted(row["respondent"] for row in left) == sorted(pseudonyms[2:])
    listing = client.get("/analysts/").get_data(as_text=True)
    assert ">9<" not in listing and '<td data-count="hidden">Hidden (fewer than 10)</td>' in listing
    # 9 people: every table is about fewer than 10, so the summary shows no count at all.
    summary = csv_rows(client, "summary")
    assert summary and {row["count"] for row in summary} <= {"10未満のため非表示", "0"}
