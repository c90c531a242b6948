"""Object-level authorization, by a crawler with two residents: everything resident A can reach that names one of
A's objects (a child, an import and its job, a consent receipt and its signed file, a notice) is crawled as A — pages
and htmx fragments — and then asked for by resident B, who must get 403 or 404 and never A's data."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlmodel import select

from app.consent import decisions
from app.data_imports import services as imports
from app.household import services as household
from app.household.ages import BirthDate
from app.jobs.models import Job
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import NoticeFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

START = ["/", "/my-data", "/consents", "/ledger", "/settings", "/inbox", "/my-data/imports/", "/household/children",
         "/switching", "/feed"]
MARKERS = ("あおい-ひみつ", "a-secret-export.zip", "秘密のお知らせ")
LIMIT = 400


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "hx-get", "action", "src") and value and not value.startswith(("http", "mailto", "#")):
                self.found.append(value)


def names_one_of(url: str, ids: set[str]) -> bool:
    """Whether `url` names one of `ids`: a UUID anywhere as a whole path segment or query value; a number only
    where the route puts that object's number (the patterns in `ids`, e.g. "/jobs/7")."""
    segments = set(re.split(r"[/?&=.]", url))
    return any(i in segments if not i.startswith("/") else re.search(re.escape(i) + r"(/|$|\?)", url)
               for i in ids)


def crawl(client, ids: set[str], also: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """The URLs naming one of `ids` that A reaches from A's pages (and `also`, pages not linked from a page)."""
    seen: set[str] = set()
    naming: set[str] = set()
    queue = [*START, *also]
    while queue and len(seen) < LIMIT:
        url = queue.pop(0)
        if url in seen or urlsplit(url).path.startswith(("/static", "/logout")):
            continue
        seen.add(url)
        if names_one_of(url, ids):
            naming.add(url)
        with client.get(url) as response:
            raw = response.get_data()
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        parser = Links()
        parser.feed(raw.decode())
        for link in parser.found:
            target = urljoin(url, link)
            parts = urlsplit(target)
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return naming


def test_another_resident_reaches_none_of_a_residents_objects(app, db, client, other_client, login, csrf,  # type: ignore[no-untyped-def]
                                                               settings, offers) -> None:  # noqa: F811
    alice, bob = ResidentFactory(), ResidentFactory()
    with app.test_request_context():
        child = household.add_child(db, alice, nickname=MARKERS[0], birth=BirthDate(2023, 5, 1), counted=False)
        view = offers[("kashiwa_kosodate", "municipal_recommendation")]
        receipt = decisions.grant(db, settings, resident=alice, view=view, items=view.offer.items)
    upload = imports.start_upload(db, alice, filename=MARKERS[1], size=10, keep_sensitive=False,
                                  instance_path=settings.instance_path)
    imports.upload_path(settings.instance_path, upload.id).write_bytes(b"0123456789")
    imports.mark_received(db, upload, alice)
    notice = NoticeFactory(resident=alice, title=MARKERS[2])
    db.flush()
    job = db.exec(select(Job).where(Job.id == upload.job_id)).one()
    ids = {f"/household/children/{child.id}", str(upload.id), str(receipt.id), str(notice.id), f"/jobs/{job.id}"}

    login(client, alice)
    naming = crawl(client, ids, also=[f"/jobs/{job.id}"])  # (the import's page follows its job by itself)
    reached = {kind for kind, pattern in (("child", f"/children/{child.id}"), ("import", str(upload.id)),
                                          ("receipt", str(receipt.id)), ("notice", str(notice.id)),
                                          ("job", f"/jobs/{job.id}")) if any(pattern in url for url in naming)}
    assert reached == {"child", "import", "receipt", "notice", "job"}, (reached, sorted(naming))

    login(other_client, bob)
    token = csrf(other_client, "/settings")
    leaks = []
    for url in sorted(naming):
        for headers in ({}, {"HX-Request": "true"}):
            with other_client.get(url, headers=headers) as response:
                body = response.get_data().decode(errors="replace")
            if response.status_code == 405:  # a form's target: B posts to it, with B's own CSRF token
                with other_client.post(url, headers={**headers, "X-CSRFToken": token}) as response:
                    body = response.get_data().decode(errors="replace")
            # (286: an htmx poll for a job that is not the viewer's is told to stop, as for one that is gone)
            refused = (403, 404, 286) if headers else (403, 404)
            if response.status_code not in refused or any(marker in body for marker in MARKERS):
                leaks.append(f"{url} {headers}: {response.status_code}")
    assert not leaks, "\n".join(leaks)
    assert db.get(type(child), child.id) is not None and db.get(type(upload), upload.id) is not None
    assert len(naming) >= 6
