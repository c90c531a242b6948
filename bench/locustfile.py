"""The load test's mix, run by bench/load.py (`locust --headless`, one run per step); not meant to be run alone.

One user class, five weighted tasks (the issue's mix): residents browsing the feed (60), their inbox (10) and
changing a consent (10); partners' clerks redeeming a resident's QR code (10); recipients' systems calling the
resource API (10). Everything a task needs (session cookies, CSRF tokens, pass codes, access tokens) is prepared
by bench/load.py and read from the JSON file named by LOAD_FIXTURE; every request goes over HTTP to gunicorn.

A request counts as an error unless it answers what a working client expects: 200 for pages and the API, 303 for
a consent change (the redirect to the receipt or the consents page, not to a login page), 200 for an accepted scan
(a refused scan answers 422). The failure's text is the status (and where a redirect went), so bench/load.py can
report errors by endpoint and status.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from locust import HttpUser, between, task

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
WAIT_MIN = float(os.environ.get("LOAD_WAIT_MIN", "1"))
WAIT_MAX = float(os.environ.get("LOAD_WAIT_MAX", "3"))
_users = itertools.count()
_codes = iter(FIXTURE["codes"])  # each code is spent once (one process, gevent: no lock needed)


def _check(response: Any, *expected: int) -> None:
    if response.status_code in expected:
        response.success()
        return
    if response.status_code == 0:  # no answer at all: the connection failed (say how)
        response.failure(f"0 {type(response.error).__name__}: {str(response.error)[:120]}")
        return
    where = response.headers.get("Location", "")
    response.failure(f"{response.status_code}" + (f" -> {where.split('?')[0]}" if where else ""))


class Mix(HttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        number = next(_users)
        name = FIXTURE["cookie_name"]
        resident = FIXTURE["residents"][number % len(FIXTURE["residents"])]
        clerk = FIXTURE["clerks"][number % len(FIXTURE["clerks"])]  # one clerk per user: 60 scans a minute each
        self.resident_cookie, self.resident_csrf = f"{name}={resident['token']}", resident["csrf"]
        self.clerk_cookie, self.clerk_csrf = f"{name}={clerk['token']}", clerk["csrf"]
        self.bearer = FIXTURE["api_tokens"][number % len(FIXTURE["api_tokens"])]
        self.withdraw_next = True  # ~90% of residents consented to the offer: withdraw first, then give it again

    @task(60)
    def feed(self) -> None:
        with self.client.get("/feed", headers={"Cookie": self.resident_cookie}, allow_redirects=False,
                             catch_response=True, name="feed") as response:
            _check(response, 200)

    @task(10)
    def inbox(self) -> None:
        with self.client.get("/inbox", headers={"Cookie": self.resident_cookie}, allow_redirects=False,
                             catch_response=True, name="inbox") as response:
            _check(response, 200)

    @task(10)
    def consent(self) -> None:
        offer = FIXTURE["consent_offer_id"]
        action = "withdraw" if self.withdraw_next else "grant"
        data = {"csrf_token": self.resident_csrf, **({} if self.withdraw_next else {"all": "y"})}
        with self.client.post(f"/consents/{offer}/{action}", data=data, headers={"Cookie": self.resident_cookie},
                              allow_redirects=False, catch_response=True, name="consent") as response:
            location = response.headers.get("Location", "")
            if response.status_code == 303 and "/login" not in location:
                response.success()
                self.withdraw_next = not self.withdraw_next
            else:
                _check(response)

    @task(10)
    def redeem(self) -> None:
        code = next(_codes, None)
        if code is None:  # bench/load.py made too few for this step's pace: say so instead of reusing one
            self.environment.events.request.fire(request_type="POST", name="redeem", response_time=0,
                                                 response_length=0, exception=RuntimeError("no pass code left"))
            return
        data = {"csrf_token": self.clerk_csrf, "target": FIXTURE["scan_target"], "code": code}
        with self.client.post("/partner/scan/", data=data, headers={"Cookie": self.clerk_cookie},
                              allow_redirects=False, catch_response=True, name="redeem") as response:
            _check(response, 200)

    @task(10)
    def resource_api(self) -> None:
        with self.client.get("/api/v1/me", headers={"Authorization": f"Bearer {self.bearer}"},
                             catch_response=True, name="resource_api") as response:
            _check(response, 200)
