"""B4 (docs/security.md): staff see only aggregates. Logged in as each staff role, a crawl of every GET route (the
routes and objects of tests/functional/route_crawl.py and route_world.py, plain and htmx) finds no resident
identifier outside the recorded exceptions; made-up resident URLs are not found; and every count of people a staff
page or export shows is 0, at least 10 or hidden (H1, k = 10), in a world whose figures have groups of 1 to 9.

The counts are read from `data-count` (the number, or "hidden"), which the templates put on every element that shows
a count of people (templates/components/_charts.html); a cell or statistic that reads as a bare number without it is
a failure too, except on the operational pages of `OPERATIONAL`."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import lxml.html
import pytest
from flask import Flask
from sqlmodel import Session, col, select

from app.accounts.models import LinkedAccount, Resident
from app.city_records.models import CityRecordRequest
from app.disclosure import THRESHOLD
from app.ebpm import services as ebpm
from app.household import services as household
from app.household.ages import BirthDate
from app.household.models import Child, HomeAddress
from app.oauth.models import PairwiseSubject
from app.oauth.subjects import pairwise_subject
from app.passes import services as passes
from app.passes.models import PassScan, ResidentPass, ScanAction
from app.surveys import services as surveys
from app.surveys.models import SurveyRespondent, SurveyStatus, SurveySubmission
from tests.functional.ebpm.test_releases import ebpm_view, family  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_uptake import user  # noqa: F401  (fixture)
from tests.functional.route_crawl import STAFF_ROLES, fetch, get_visits
from tests.functional.route_world import (  # noqa: F401  (fixtures)
    CITY_OFFER,
    MARKERS,
    MONTH,
    SURVEY,
    World,
    loaded_catalog,
    loaded_catalogue,
    offers,
    world,
)
from tests.functional.surveys.conftest import default_answer

STAFF = (*STAFF_ROLES, "other_partner")  # operator, 柏市, the analysts, partner A's clerk, partner B's
HIDDEN = "10未満のため非表示"  # what a hidden figure reads (the staff read Japanese)
POST = "post_pilot"
ICHIJI = "svc_ichiji_azukari_hoikuen"
BOBS_CHILD = "ぼぶの-ないしょ"


@dataclass(frozen=True)
class Exemption:
    role: str
    kinds: frozenset[str]
    reason: str


# The recorded exceptions: the page, the one role that may open it, what identifies a resident there, and why.
ALLOWED = {
    "city_records_console.index": Exemption(
        "municipal",
        frozenset({"mandate name", "mandate birth date", "mandate address"}),
        "柏市's staff see the name, birth date and address a resident gave for a disclosure request: the request is "
        "addressed to 柏市 under the resident's signed mandate (docs/decisions.md § Delegated disclosure at 柏市 (issue 8))",
    ),
    "analysts.responses_csv": Exemption(
        "analyst",
        frozenset({"survey pseudonym"}),
        "the analysts hold the answers one row per respondent under a random pseudonym, given under consent "
        "(docs/decisions.md § The pilot surveys (issue 7)); the pseudonym names nobody elsewhere",
    ),
}
# Routes that are no staff page, and why (not crawled).
NOT_STAFF_PAGES = {
    "accounts.reset_password": "a capability mailed to the resident: the link names her account to whoever holds it, "
    "as it must; staff have no way to it but her mailbox (tests/functional/accounts/test_password_reset.py)",
    "mail.index": "the development mailbox (outbox backend only, not registered in production): every mail, by design",
    "mail.show": "the development mailbox (outbox backend only, not registered in production): every mail, by design",
}
# Pages whose bare numbers are about the bank's running, not counts of residents released as statistics, and why.
OPERATIONAL = {
    "operator.index": "the bank's own totals (accounts, staff accounts, queued and failed jobs) for its operator",
    "operator.job_list": "job ids, attempts and jobs by status: the queue, not people",
    "ledger_console.overview": "chains, records and anchors: the ledger's integrity, each broken chain to act on",
}
# Where the released counts are, as the role they are for: each must show a figure of 10 or more and a hidden one.
FIGURES = {
    ("municipal", "ebpm.index"),
    ("municipal", "ebpm.export"),
    ("partner", "partners.report"),
    ("analyst", "analysts.index"),
    ("analyst", "analysts.report"),
    ("analyst", "analysts.summary_csv"),
    ("operator", "surveys_admin.admin_index"),
}
COUNT_COLUMNS = {"世帯数", "うち利用した世帯", "count"}  # the exports' columns of counts (EBPM, the survey summary)
MADE_UP = (
    "/residents/{}",
    "/residents/{}/",
    "/resident/{}",
    "/staff/residents/{}",
    "/admin/residents/{}",
    "/operator/residents/{}",
    "/operator/residents/{}/ledger",
    "/municipal/residents/{}",
    "/city/residents/{}",
    "/municipal/households/{}",
    "/analysts/residents/{}",
    "/partner/residents/{}",
    "/partner/customers/{}",
    "/api/v1/residents/{}",
    "/api/residents/{}",
)


# --- the world's figures -----------------------------------------------------------------------------------------


def _scans(w: World, households: list[Resident]) -> list[PassScan]:
    """Partner A's record of check-ins and coupon uses in the weeks before this one (the clock cannot scan then):
    12 people in one week, 3 in another, 2 coupon uses."""
    clerk, alice, bob = w.users["partner"], w.users["alice"], w.users["bob"]
    week, before, coupon = (datetime(2026, 11, day, 2, tzinfo=UTC) for day in (17, 10, 18))
    visits = [(resident, week, ScanAction.CHECK_IN) for resident in households[:12]]
    visits += [(resident, before, ScanAction.CHECK_IN) for resident in (alice, bob, households[12])]
    visits += [(resident, coupon, ScanAction.REDEEM) for resident in (alice, bob)]
    return [
        PassScan(
            resident_id=resident.id,
            code_id=f"o{n:08d}",
            partner_id=clerk.partner_id,
            staff_id=clerk.id,
            action=action,
            item_id=w.ids["event" if action == ScanAction.CHECK_IN else "coupon"],
            venue_id="v_tsite",
            scanned_at=at,
        )
        for n, (resident, at, action) in enumerate(visits)
    ]


def _answers(app: Flask, db: Session, w: World) -> None:
    """alice's pre-pilot answers sent, 14 more respondents (3 of them with another answer to one question), and the
    post-pilot survey open with 3 of them: a count of 3 beside the 15."""
    alice = w.users["alice"]
    with app.test_request_context():
        sent = surveys.submit(db, alice, surveys.survey(db, SURVEY))
        surveys.set_status(db, "test", POST, SurveyStatus.OPEN)
        post = surveys.survey(db, POST).questionnaire
    post_answers: dict[str, Any] = {}
    for question in post.questions:
        if question.asked(post_answers):
            post_answers[question.key] = default_answer(question)
    for n in range(14):
        answers = dict(sent.answers) | ({"household_work": "other"} if n < 3 else {})
        db.add(SurveySubmission(survey_key=SURVEY, respondent=f"clone-{n:03d}", answers=answers, ledger_seq=n + 1))
        if n < 3:
            db.add(SurveySubmission(survey_key=POST, respondent=f"clone-{n:03d}", answers=post_answers, ledger_seq=n + 1))


@pytest.fixture
def staffed(app, db, settings, world: World, family, user) -> World:  # type: ignore[no-untyped-def]  # noqa: F811
    """The world with bob's child and both residents' passes, and figures behind every staff aggregate, each with a
    group of 1 to 9: EBPM (12 households used 一時預かり, a 0歳児クラス of 3), partner A's weekly report, the surveys."""
    alice, bob = world.users["alice"], world.users["bob"]
    with app.test_request_context():
        household.add_child(db, bob, nickname=BOBS_CHILD, birth=BirthDate(2022, 8, 9), counted=False)
    for resident in (alice, bob):
        passes.pass_of(db, resident)
    pairwise_subject(db, CITY_OFFER[0], alice)  # (what 柏市's system knows her by)
    households = [user(date(2026, 10, 7)) for _ in range(12)] + [family(birth=BirthDate(2025, 9, 1)) for _ in range(3)]
    ebpm.release(db, MONTH, recompute=True)  # (the world's release of the month was made before anyone consented)
    db.add_all(_scans(world, households))
    _answers(app, db, world)
    db.flush()
    return world


def _dates(day: date) -> set[str]:
    return {day.isoformat(), day.strftime("%Y/%m/%d"), f"{day.year}年{day.month}月{day.day}日"}


def identifiers(db: Session, w: World) -> dict[str, str]:
    """Every resident identifier of the world (text → what it is), each also as a URL would carry it."""
    found: dict[str, str] = {}
    for resident in db.exec(select(Resident)):
        found |= {str(resident.id): "account id", resident.id.hex: "account id", resident.email: "e-mail address"}
    guardians = [w.users["alice"].id, w.users["bob"].id]
    for child in db.exec(select(Child).where(col(Child.guardian_id).in_(guardians))):
        found[child.nickname or ""] = "child's nickname"
        found |= dict.fromkeys(_dates(date(child.birth_year, child.birth_month, child.birth_day or 1)), "child's birth date")
    for address in db.exec(select(HomeAddress)):
        found[f"{address.town}{address.block}"] = "address (finer than a town group)"
    found |= {row.pass_id: "pass id" for row in db.exec(select(ResidentPass))}
    found |= {row.subject: "pairwise subject" for row in db.exec(select(PairwiseSubject))}
    found |= {row.subject: "linked account's subject" for row in db.exec(select(LinkedAccount))}
    found |= {row.pseudonym: "survey pseudonym" for row in db.exec(select(SurveyRespondent))}
    for request in db.exec(select(CityRecordRequest)):
        found |= {request.mandator_name: "mandate name", request.mandator_address: "mandate address"}
        found |= dict.fromkeys(_dates(request.mandator_birth_date), "mandate birth date")
    found |= dict.fromkeys(MARKERS[1:4], "a text of alice's")  # her upload's file name, a notice's title, her passkey
    found.pop("", None)
    return found | {quote(text): kind for text, kind in found.items()}


# --- the crawl ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    role: str
    endpoint: str
    path: str
    hx: bool
    status: int
    mimetype: str
    body: str


def staff_paths(app: Flask, w: World) -> dict[str, str]:
    """path → endpoint: every path the route crawl fills in (whoever owns it), and the figures' other views."""
    paths = {path: endpoint for endpoint, _role, path in get_visits(app, w) if endpoint not in NOT_STAFF_PAGES}
    return paths | {
        f"/municipal/ebpm/?service={ICHIJI}": "ebpm.index",
        "/municipal/ebpm/?area=kashiwanoha_pilot": "ebpm.index",
        f"/municipal/ebpm/?age_class={quote('0歳児クラス')}": "ebpm.index",
        f"/analysts/surveys/{POST}": "analysts.report",
        f"/analysts/surveys/{POST}/summary.csv": "analysts.summary_csv",
        "/municipal/city-records/?show=all": "city_records_console.index",
    }


@pytest.fixture
def crawled(app, staffed: World) -> list[Visit]:  # type: ignore[no-untyped-def]
    """Every path of `staff_paths` as every staff role, plain and htmx."""
    visits = []
    for path, endpoint in sorted(staff_paths(app, staffed).items()):
        for role in STAFF:
            for hx in (False, True):
                response = fetch(staffed, role, path, headers={"HX-Request": "true"} if hx else {})
                body = response.get_data().decode(errors="replace")
                visits.append(Visit(role, endpoint, path, hx, response.status_code, response.mimetype, body))
    return visits


def test_no_staff_role_sees_a_resident_identifier_but_the_recorded_exceptions(db, staffed, crawled) -> None:  # type: ignore[no-untyped-def]
    known = identifiers(db, staffed)
    pattern = re.compile("|".join(re.escape(text) for text in sorted(known, key=len, reverse=True)))
    problems, reached = [], set()
    for visit in crawled:
        allowed = ALLOWED.get(visit.endpoint)
        for text in set(pattern.findall(visit.body)):
            if allowed and visit.role == allowed.role and known[text] in allowed.kinds:
                reached.add((visit.endpoint, known[text]))
            else:
                problems.append(f"{visit.role} {visit.path}{' (htmx)' if visit.hx else ''}: {known[text]} {text!r}")
        if allowed and visit.role != allowed.role and visit.status not in (403, 404):
            problems.append(f"{visit.role} {visit.path}: {visit.status}, but the page is {allowed.role}'s only")
    assert not problems, "\n".join(problems)
    # Each exception is really there for its role (so the crawl reads the right pages), and only there.
    assert reached == {(endpoint, kind) for endpoint, allowed in ALLOWED.items() for kind in allowed.kinds}
    # And each staff role was logged in: its own console opened.
    opened = {(visit.role, visit.endpoint) for visit in crawled if visit.status == 200}
    assert {
        ("operator", "operator.index"),
        ("municipal", "municipal.index"),
        ("analyst", "analysts.index"),
        ("partner", "partners.report"),
        ("other_partner", "partners.index"),
    } <= opened


def test_made_up_resident_urls_are_not_found_by_any_staff_role(world: World) -> None:  # noqa: F811
    alice = world.users["alice"]
    wrong = []
    for role in STAFF:
        for shape in MADE_UP:
            for key in (str(alice.id), alice.id.hex, quote(alice.email)):
                for hx in (False, True):
                    response = fetch(world, role, shape.format(key), headers={"HX-Request": "true"} if hx else {})
                    body = response.get_data(as_text=True)
                    if response.status_code != 404 or str(alice.id) in body or alice.email in body:
                        wrong.append(f"{role} {shape.format(key)}{' (htmx)' if hx else ''}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


# --- H1: the counts ------------------------------------------------------------------------------------------------


def count_problem(value: str) -> str | None:
    """What is wrong with a figure shown as `value` (a cell's text, or its `data-count`): a count of 1 to 9."""
    if value in ("", "hidden", HIDDEN):
        return None
    if not value.isdigit():
        return f"{value!r} is not a count"
    return f"a count of {value}" if 0 < int(value) < THRESHOLD else None


def html_figures(body: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(data-count, the element's text) of every marked figure, and the text of every table cell or statistic that
    reads as a bare number without a mark."""
    if not body.strip():
        return [], []
    page = lxml.html.fromstring(body)
    marked = [(el.get("data-count"), " ".join(el.text_content().split())) for el in page.xpath("//*[@data-count]")]
    unmarked = [
        text
        for el in page.xpath("//td | //*[contains(concat(' ', @class, ' '), ' stat__value ')]")
        if re.fullmatch(r"\d+", text := " ".join(el.text_content().split()))
        and not el.xpath("ancestor-or-self::*[@data-count] | .//*[@data-count]")
    ]
    return marked, unmarked


def csv_figures(body: str) -> list[str]:
    """The cells of an export's columns of counts."""
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    columns = [i for i, name in enumerate(rows[0] if rows else []) if name in COUNT_COLUMNS]
    return [row[i] for row in rows[1:] for i in columns if i < len(row)]


def figure_problems(visit: Visit) -> tuple[list[str], Counter[str]]:
    """What breaks H1 in one answer, and how many figures it showed (`shown`: 10 or more; `hidden`)."""
    problems, seen = [], Counter[str]()
    if visit.mimetype == "text/csv":
        values = csv_figures(visit.body)
    else:
        marked, unmarked = html_figures(visit.body) if visit.mimetype == "text/html" else ([], [])
        values = [value for value, _text in marked]
        for value, text in marked:  # the mark says what the element shows
            shows = HIDDEN in text if value == "hidden" else re.search(rf"(?<![\d.]){re.escape(value)}(?![\d.])", text)
            if not shows:
                problems.append(f"data-count={value!r} on {text!r}")
        if visit.endpoint not in OPERATIONAL:
            problems += [f"an unmarked figure {text!r}" for text in unmarked]
    for value in values:
        if problem := count_problem(value):
            problems.append(problem)
        seen["hidden" if value in ("hidden", HIDDEN) else "shown" if value.isdigit() and int(value) else "zero"] += 1
    return problems, seen


def test_every_count_a_staff_role_is_shown_is_0_or_10_or_more_or_hidden(crawled) -> None:  # type: ignore[no-untyped-def]
    problems, seen = [], {}
    for visit in crawled:
        found, counted = figure_problems(visit)
        problems += [f"{visit.role} {visit.path}{' (htmx)' if visit.hx else ''}: {problem}" for problem in found]
        seen.setdefault((visit.role, visit.endpoint), Counter()).update(counted)
    assert not problems, "\n".join(problems)
    # The check was live: every page of figures showed, to its role, a figure of 10 or more and a hidden one.
    assert {page: (seen[page]["shown"] > 0, seen[page]["hidden"] > 0) for page in FIGURES} == dict.fromkeys(FIGURES, (True, True))


def test_the_h1_check_catches_a_small_count() -> None:
    page = '<td data-count="12">12</td><td data-count="0">0</td><p class="stat__value">3</p><p data-count="4">14</p>'
    page += f'<td data-count="hidden">{HIDDEN}</td><td data-count="3">3</td>'
    found, _seen = figure_problems(Visit("analyst", "analysts.report", "/", False, 200, "text/html", page))
    assert found == ["data-count='4' on '14'", "an unmarked figure '3'", "a count of 4", "a count of 3"]
    export = f"\ufeffquestion_key,count,percent\r\na,12,80\r\nb,{HIDDEN},\r\nc,0,0\r\nd,7,\r\n"
    found, _seen = figure_problems(Visit("analyst", "analysts.summary_csv", "/", False, 200, "text/csv", export))
    assert found == ["a count of 7"]
