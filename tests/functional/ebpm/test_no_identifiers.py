"""A crawler logged in as 柏市 staff follows every link of the EBPM pages and files: no resident identifier, e-mail
address, exact birth date or coordinate anywhere (docs/ebpm.md: aggregates only)."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from app.ebpm import services
from app.household.ages import BirthDate
from tests.factories.staff import StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_releases import ebpm_view, family  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_uptake import user  # noqa: F401  (fixture)

UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
COORDINATE = re.compile(r"\b(3[45]|1[34]\d)\.\d{3,}")  # latitude ~35.8, longitude ~139.9 with any precision
FIXED_BIRTH = "2024-06-10"


class Links(HTMLParser):
    """Every link, and each choice of the GET form's selects (one at a time); POST forms are not followed."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.get_form: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "a" and given.get("href"):
            self.found.append(given["href"] or "")
        elif tag == "form":
            self.get_form = given.get("action") if (given.get("method") or "get").lower() == "get" else None
        elif tag == "select":
            self.select = given.get("name")
        elif tag == "option" and self.get_form and self.select and given.get("value"):
            self.found.append(f"{self.get_form}?{urlencode({self.select: given['value']})}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.get_form = None


def test_nothing_on_the_ebpm_pages_or_files_names_a_household(client, login, db, family, user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    households = [family() for _ in range(14)] + [family(birth=BirthDate(2025, 9, 1)) for _ in range(4)]
    households += [user(date(2026, 9, 3), date(2026, 10, 7)) for _ in range(12)]  # uptake figures on every page
    services.release(db, "2026-09")
    services.release(db, "2026-10")
    login(client, StaffFactory(municipal=True))
    secrets = {str(r.id) for r in households} | {r.id.hex for r in households} | {r.email for r in households}
    seen: set[str] = set()
    queue = ["/municipal/ebpm/"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not any(secret in body for secret in secrets), url
        assert not UUID.search(body), (url, UUID.search(body))
        assert not EMAIL.search(body), url
        assert FIXED_BIRTH not in body and not COORDINATE.search(body), url
        if response.mimetype == "text/html":
            parser = Links()
            parser.feed(body)
            for link in parser.found:
                target = urljoin(url, link)
                if urlsplit(target).path.startswith("/municipal/ebpm/"):
                    queue.append(urlsplit(target).path + (f"?{urlsplit(target).query}" if urlsplit(target).query else ""))
    assert {"/municipal/ebpm/2026-09.csv", "/municipal/ebpm/2026-10.csv", "/municipal/ebpm/?month=2026-09",
            "/municipal/ebpm/?age_class=1%E6%AD%B3%E5%85%90%E3%82%AF%E3%83%A9%E3%82%B9",
            "/municipal/ebpm/?area=kashiwanoha_pilot"} <= seen
