"""Pre-filling the children from MyNa Portal's 自己情報取得API.

Only each child's given name and birth date are taken from the answer; nothing else in it is read, and no
個人番号 is ever asked for, received or stored (an answer that carries something shaped like one is refused).
What comes back is held in the session until the resident confirms; every difference with what they typed is
shown side by side and decided by them, never merged silently.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import session as browser_session
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from app.accounts import oauth_client
from app.accounts.models import Resident
from app.accounts.oauth_client import TokenSet
from app.accounts.provider_http import ProviderUnavailable, get_resource, request_deadline
from app.accounts.providers import OAuthProvider
from app.db import utcnow
from app.errors import DomainError
from app.household import services
from app.household.ages import LAST_COUNTED_SIBLING_CLASS_INDEX, MAX_CHILDREN, BirthDate, class_index
from app.household.events import announce_change
from app.household.models import Child, ChildSource
from app.ledger.models import RecordKind
from app.ledger.services import append, record_receipt

CHILDREN_API = "/api/v1/self-info/children"
PENDING_KEY = "mynaportal_import"
PENDING_TTL = timedelta(minutes=15)
# Twelve digits in a row, however separated: the shape of a 個人番号.
_MY_NUMBER_SHAPE = re.compile(r"(?<!\d)(?:\d[\s-]?){11}\d(?!\d)")


class ImportExpired(DomainError):
    status = 409
    message = _l("The import from MyNa Portal has expired. Please import again.")


class ChoiceMissing(DomainError):
    status = 422
    message = _l("Choose which date to keep for each difference.")


@dataclass(frozen=True)
class PortalChild:
    index: int
    given_name: str
    birth: date


@dataclass(frozen=True)
class ImportRow:
    """One line of the review: a child from the portal, one typed by the resident, or both side by side."""

    key: str
    kind: str  # "same" | "new" | "differs" | "typed_only"
    portal: PortalChild | None
    typed: Child | None

    @property
    def needs_choice(self) -> bool:
        return self.kind in ("differs", "new", "typed_only")


def parse_children(raw: Any) -> list[PortalChild]:
    if not isinstance(raw, dict) or not isinstance(raw.get("children"), list):
        raise ProviderUnavailable()
    if _MY_NUMBER_SHAPE.search(repr(raw)):
        raise ProviderUnavailable()  # never take in anything shaped like a 個人番号, even by accident
    children = []
    for entry in raw["children"]:
        try:
            birth = date.fromisoformat(entry["birth_date"])
            name = entry.get("name") or ""
            if not isinstance(name, str):
                raise TypeError("name")
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProviderUnavailable() from error
        given = name.replace("\u3000", " ").split(" ")[-1][:40]  # the given name only; the family name is theirs
        if class_index(birth, services.today()) > LAST_COUNTED_SIBLING_CLASS_INDEX:
            continue  # a grown-up 子 of the household: past every limit the bank records, so not even offered
        children.append(PortalChild(len(children), given, birth))
    if len(children) > MAX_CHILDREN:
        raise services.TooManyChildren()
    return children


def fetch(session: Session, *, resident: Resident, provider: OAuthProvider, tokens: TokenSet) -> list[PortalChild]:
    """Read the children with the one-time token, record the receipt, keep them for review, revoke the token."""
    deadline = request_deadline()
    raw = get_resource(f"{provider.issuer}{CHILDREN_API}", tokens.access_token, deadline)
    children = parse_children(raw)
    receipt = record_receipt(session, principal=resident.principal, source_key=provider.key, source=provider.source,
                             items=["children.birth_date", "children.given_name"], kept=False,
                             children=len(children), held_for="the resident's confirmation")
    session.flush()
    browser_session[PENDING_KEY] = {
        "principal": resident.principal,
        "at": utcnow().isoformat(),
        "receipt": receipt.seq,  # in the resident's own ledger chain
        "children": [{"name": c.given_name, "birth": c.birth.isoformat()} for c in children],
    }
    # The token was for this one read; a provider that cannot be told lets it expire on its own.
    with contextlib.suppress(DomainError):
        oauth_client.revoke(provider, tokens.access_token, hint="access_token", deadline=deadline)
    return children


def pending(resident: Resident) -> list[PortalChild]:
    entry = browser_session.get(PENDING_KEY)
    if not entry or entry.get("principal") != resident.principal:
        raise ImportExpired()
    if utcnow() - datetime.fromisoformat(entry["at"]) > PENDING_TTL:
        browser_session.pop(PENDING_KEY, None)
        raise ImportExpired()
    return [PortalChild(i, c["name"], date.fromisoformat(c["birth"])) for i, c in enumerate(entry["children"])]


def plan(typed: list[Child], portal: list[PortalChild]) -> list[ImportRow]:
    """Pair the portal's children with the typed ones, closest first over all pairs: equal dates, then the same
    month, then the nearest date within a year (a likely slip); what is left is new (portal) or only typed.

    A pair's key names both sides (`p<index>t<child id>`), so a decision made on the review page can only apply to
    the pair that was shown: if the typed children changed meanwhile, the pair is new and needs a new decision.
    """
    candidates = []
    for p in portal:
        for t in typed:
            days = abs((_approx(t) - p.birth).days)
            if (t.birth_year, t.birth_month, t.birth_day) == (p.birth.year, p.birth.month, p.birth.day):
                candidates.append((0, days, p, t, "same"))
            elif (t.birth_year, t.birth_month) == (p.birth.year, p.birth.month):
                candidates.append((1, days, p, t, "differs"))
            elif days <= 366:
                candidates.append((2, days, p, t, "differs"))
    rows: list[ImportRow] = []
    paired_portal: set[int] = set()
    paired_typed: set[int | None] = set()
    for _tier, _days, p, t, kind in sorted(candidates, key=lambda c: (c[0], c[1], c[2].index, c[3].id or 0)):
        if p.index in paired_portal or t.id in paired_typed:
            continue
        paired_portal.add(p.index)
        paired_typed.add(t.id)
        rows.append(ImportRow(f"p{p.index}t{t.id}", kind, p, t))
    rows.extend(ImportRow(f"p{p.index}", "new", p, None) for p in portal if p.index not in paired_portal)
    rows.extend(ImportRow(f"t{t.id}", "typed_only", None, t) for t in typed if t.id not in paired_typed)
    return sorted(rows, key=lambda r: r.portal.birth if r.portal else _approx(r.typed))  # type: ignore[union-attr,arg-type]


def _approx(child: Child) -> date:
    return date(child.birth_year, child.birth_month, child.birth_day or 15)


def apply(session: Session, *, resident: Resident, choices: dict[str, str]) -> dict[str, int]:
    """Carry out the resident's decisions: for "differs" portal|typed, for "new" add|skip, for "typed_only"
    keep|remove. Every row that needs a choice must have one."""
    portal = pending(resident)
    rows = plan(services.children_of(session, resident), portal)
    allowed = {"differs": {"portal", "typed"}, "new": {"add", "skip"}, "typed_only": {"keep", "remove"}}
    if any(row.needs_choice and choices.get(row.key) not in allowed[row.kind] for row in rows):
        raise ChoiceMissing()
    counts = {"added": 0, "updated": 0, "removed": 0}
    for row in rows:
        choice = choices.get(row.key)
        if row.kind == "typed_only" and choice == "remove" and row.typed is not None:
            services.delete_child(session, resident, row.typed)
            counts["removed"] += 1
    session.flush()
    for row in rows:
        choice = choices.get(row.key)
        if row.portal is None:
            continue
        birth = BirthDate(row.portal.birth.year, row.portal.birth.month, row.portal.birth.day)
        if row.kind == "new" and choice == "add":
            # Never "counted" on the portal's word: that flag says the resident supports an older sibling, and
            # only they can say so (the add is then refused with that message, and they add the sibling by hand).
            services.add_child(session, resident, nickname=row.portal.given_name, birth=birth, counted=False,
                               source=ChildSource.MYNAPORTAL)
            counts["added"] += 1
        elif row.typed is not None and (row.kind == "same" or choice == "portal"):
            services.update_child(session, resident, row.typed, nickname=row.typed.nickname or row.portal.given_name,
                                  birth=birth, counted=row.typed.counted_for_allowance)
            row.typed.source = ChildSource.MYNAPORTAL
            counts["updated"] += int(row.kind != "same")
    entry = browser_session.pop(PENDING_KEY, None) or {}
    if counts["added"] or counts["updated"]:
        # The receipt said "not kept" (held for the resident's confirmation); the ledger is append-only, so this
        # record says what was stored and points back at it.
        append(session, subject=resident.principal, kind=RecordKind.PROCESSING, payload={
            "action": "household.children_from_mynaportal",
            "description": "stored the children the resident confirmed from MyNa Portal",
            "items": ["children.birth_date", "children.given_name"],
            "added": counts["added"], "updated": counts["updated"], "removed": counts["removed"],
            "receipt_seq": entry.get("receipt"),
        })
    announce_change(session, resident.id)
    return counts


def discard(resident: Resident) -> None:
    entry = browser_session.get(PENDING_KEY)
    if entry and entry.get("principal") == resident.principal:
        browser_session.pop(PENDING_KEY, None)
