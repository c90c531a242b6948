"""Write the benchmark's residents into the database, fast: COPY in chunks, not one ORM call per row.

Each resident gets the rows the app itself would have written: the account and its terms acceptance (as the demo
seed), the address and health scores as the Smart Life Pass import stores them, children as the household form or
the MyNa Portal import stores them, and for ~90% a consent to both offers the feed reads, exactly as
`app.consent.decisions.grant` records it: a signed receipt, one grant per item, a CONSENT record on the resident's
hash chain (the ledger's triggers check every record and head) and the audit event. Logged-in sessions are
BrowserSession rows holding what a login stores, so the app accepts their cookies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from feed_households import SLP_SOURCE, Household
from sqlmodel import Session

from app import signing
from app.accounts.terms import current_terms
from app.audit import EventTag
from app.consent import catalogue, receipts
from app.consent.catalogue import OfferView
from app.consent.decisions import VALIDITY
from app.consent.models import BANK, Recipient
from app.household.address import PREFECTURE
from app.household.ages import japan_today
from app.household.smart_life_pass import HEALTH_DAYS
from app.ledger.chain import ZERO_HASH, new_salt, normalise_payload, payload_digest, record_hash
from app.ledger.models import RecordKind
from app.recommend import rules
from app.sessions import hash_token

EMAIL_DOMAIN = "bench.example.jp"  # how the benchmark finds its own residents again
ACTOR = "bench-seed"
FEED_OFFERS = ((BANK, "municipal_recommendation"), (BANK, "event_recommendation"))
CONSENT_SHARE = 0.9
ENGLISH_SHARE = 0.05
CHUNK = 2500  # residents per transaction: bounded memory, work for the builders to share, progress to print


def _json(value: Any) -> str:
    return json.dumps(value)  # what SQLAlchemy's JSON type writes


def offer_the_feed(session: Session) -> list[OfferView]:
    """The ethics board's approvals (with the feed's profiling rules, security anchor G6) and the two offers the feed
    reads, active, as the operator records them."""
    approvals = {("recipient", BANK), *(("purpose", purpose) for _, purpose in FEED_OFFERS)}
    for kind, key in sorted(approvals | {(rules.KIND, rule.subject) for rule in rules.current_rules()}):
        if catalogue.approval_of(session, kind, key) is None:
            catalogue.record_approval(session, actor=ACTOR, kind=kind, key=key, approved_on=date.today(),
                                      minutes_ref="benchmark")
    views = {(view.recipient.key, view.purpose.key): view for view in catalogue.offer_views(session)}
    for key in FEED_OFFERS:
        if not views[key].offer.active:
            catalogue.activate_offer(session, actor=ACTOR, offer=views[key].offer, active=True)
    session.flush()
    return [views[key] for key in FEED_OFFERS]


class ReceiptSigner:
    """Signs receipts as `receipts.sign` does (a compact ES256 JWS with the app's own header and key) without the
    JOSE library's per-call work, which alone would take ~25 s for 90,000 receipts. `check` verifies a sample with
    `app.signing.verify`, so a receipt here is one the app accepts."""

    def __init__(self) -> None:
        self.header = receipts.sign({}).split(".")[0]
        self.key = signing.signing_key().private_key

    def sign(self, canonical_body: bytes) -> str:
        signing_input = f"{self.header}.{_b64(canonical_body)}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    @staticmethod
    def check(jws: str, body: dict[str, Any]) -> None:
        if signing.verify(jws, typ=receipts.RECEIPT_TYPE) != body:
            raise AssertionError("a benchmark receipt does not verify")


@dataclass(frozen=True)
class PlainOffer:
    """An offer as plain values: ORM attribute access cost more than the signature, 90,000 times over."""

    recipient: SimpleNamespace
    purpose: SimpleNamespace
    items: list[SimpleNamespace]
    item_keys: list[str]
    item_names: dict[str, str]

    @classmethod
    def of(cls, view: OfferView) -> PlainOffer:
        items = [_plain(item) for item in view.items]
        return cls(_plain(view.recipient), _plain(view.purpose), items, [item.key for item in items],
                   {item.key: item.name_ja for item in items})


def _plain(row: Any) -> SimpleNamespace:
    return SimpleNamespace(**row.model_dump())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Rows:
    """The rows of one chunk, per table, in COPY column order."""

    COLUMNS = {
        "resident": ("id", "email", "password_hash", "locale", "created_at", "password_changed_at"),
        "terms_acceptance": ("resident_id", "terms_version", "accepted_at"),
        "home_address": ("resident_id", "postal_code", "region", "locality", "town", "block", "source", "received_at"),
        "child": ("guardian_id", "nickname", "birth_year", "birth_month", "birth_day", "counted_for_allowance", "source",
                  "created_at", "updated_at"),
        "bench_health": ("resident_id", "level", "received_at"),  # a temporary table: see _expand
        "consent_receipt": ("id", "resident_id", "event", "recipient_key", "purpose_key", "items", "issued_at", "body",
                            "jws"),
        "audit_event": ("at", "tag", "actor", "subject", "details"),
        "ledger_chain": ("id", "subject", "created_at", "head_seq", "head_hash"),
        "ledger_record": ("id", "chain_id", "seq", "kind", "at", "prev_hash", "payload_digest", "record_hash"),
        "ledger_payload": ("record_id", "salt", "body"),
    }

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.COLUMNS}
        self.heads: list[list[tuple[uuid.UUID, int, str]]] = [[], []]  # chain head after the 1st and the 2nd record


class ResidentWriter:
    def __init__(self, settings: Any, views: list[OfferView], controller: Recipient, seed: int) -> None:
        self.offers, self.controller = [PlainOffer.of(view) for view in views], _plain(controller)
        self.seed, self.rng = seed, random.Random(seed)  # reseeded per chunk (_build_chunk)
        self.signer = ReceiptSigner()
        self.terms_version = current_terms().version
        self.withdraw_url = settings.absolute_url("/consents")
        self.checked = False

    def add(self, rows: Rows, number: int, household: Household, now: datetime, record_ids: Iterable[int]) -> None:
        rng, tables = self.rng, rows.tables
        resident_id = uuid.uuid4()
        created = now - timedelta(seconds=rng.uniform(86_400, 300 * 86_400))  # joined within the last ~10 months
        tables["resident"].append((resident_id, f"bench-{number:06d}@{EMAIL_DOMAIN}", None,
                                   "en" if rng.random() < ENGLISH_SHARE else "ja", created, created))
        tables["terms_acceptance"].append((resident_id, self.terms_version, created))
        home = household.home
        tables["home_address"].append((resident_id, home.postal_code, PREFECTURE, home.locality, home.town, household.block,
                                       SLP_SOURCE, created + timedelta(minutes=5)))
        added = created + timedelta(minutes=10)
        tables["child"].extend((resident_id, c.nickname, c.birth.year, c.birth.month, c.birth.day, c.counted_for_allowance,
                                c.source, added, added) for c in household.children)
        if household.health_level is not None:
            tables["bench_health"].append((resident_id, household.health_level, now - timedelta(hours=rng.uniform(1, 20))))
        if rng.random() < CONSENT_SHARE:
            self._consent(rows, resident_id, created + timedelta(minutes=15), iter(record_ids))

    def _consent(self, rows: Rows, resident_id: uuid.UUID, at: datetime, record_ids: Any) -> None:
        """Both feed offers, every item: what `decisions.grant` writes, twice."""
        tables, principal = rows.tables, f"resident:{resident_id}"
        chain_id, prev = uuid.uuid4(), ZERO_HASH
        tables["ledger_chain"].append((chain_id, principal, at, 0, ZERO_HASH))
        for seq, offer in enumerate(self.offers, start=1):
            at += timedelta(seconds=self.rng.uniform(5, 90))
            expiry, receipt_id = at + VALIDITY, uuid.uuid4()
            recipient, purpose, items = offer.recipient.key, offer.purpose.key, offer.item_keys
            body = receipts.build(record_id=receipt_id, subject=principal, event="given", at=at, expiry=expiry,
                                  controller=self.controller, recipient=offer.recipient, purpose=offer.purpose,
                                  items=offer.items, withdraw_url=self.withdraw_url)  # type: ignore[arg-type]
            canonical_body = signing.canonical_json(body)
            jws = self.signer.sign(canonical_body)
            tables["consent_receipt"].append((receipt_id, resident_id, "given", recipient, purpose, _json(items), at,
                                              canonical_body.decode(), jws))
            tables["audit_event"].append((at, EventTag.CONSENT_GRANT.value, principal, principal, _json({
                "recipient": recipient, "purpose": purpose, "items": items, "receipt": str(receipt_id)})))
            payload = {
                "event": "given", "recipient": recipient, "recipient_name": offer.recipient.legal_name,
                "purpose": purpose, "purpose_name": offer.purpose.name_ja, "items": items,
                "item_names": offer.item_names, "expires": expiry.isoformat(), "receipt_id": str(receipt_id),
            }
            salt, canonical_payload = new_salt(), signing.canonical_json(payload)
            # `chain.payload_digest` from the bytes the payload is stored as (one JSON encoding instead of two).
            digest = hashlib.sha256(salt.encode("ascii") + canonical_payload).hexdigest()
            if not self.checked:  # once: the receipt verifies; the payload and digest are what the ledger makes
                self.signer.check(jws, body)
                assert normalise_payload(payload) == payload and digest == payload_digest(salt, payload)
                self.checked = True
            kind = RecordKind.CONSENT.value
            this_hash = record_hash(chain_id=chain_id, seq=seq, kind=kind, at=at, prev_hash=prev, payload_digest=digest)
            record_id = next(record_ids)
            tables["ledger_record"].append((record_id, chain_id, seq, kind, at, prev, digest, this_hash))
            tables["ledger_payload"].append((record_id, salt, canonical_payload.decode()))
            rows.heads[seq - 1].append((chain_id, seq, this_hash))
            prev = this_hash


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write(connection: Any, rows: Rows, today: date) -> None:
    """One transaction. Records go in seq order and heads advance one step at a time: the ledger's triggers allow
    nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_health (resident_id uuid, level int, received_at timestamptz) "
                       "ON COMMIT DROP")
        for table, columns in Rows.COLUMNS.items():
            if table == "ledger_record":
                for seq in (1, 2):
                    _copy(cursor, table, columns, (row for row in rows.tables[table] if row[2] == seq))
            else:
                _copy(cursor, table, columns, rows.tables[table])
        _expand(cursor, [row[0] for row in rows.tables["consent_receipt"]], today)
        for heads in rows.heads:
            if heads:
                ids, seqs, hashes_ = zip(*heads, strict=True)
                cursor.execute(
                    "UPDATE ledger_chain AS c SET head_seq = h.seq, head_hash = h.hash "
                    "FROM unnest(%s::uuid[], %s::int[], %s::text[]) AS h(id, seq, hash) WHERE c.id = h.id",
                    (list(ids), list(seqs), list(hashes_)))
    connection.commit()


def _expand(cursor: Any, receipt_ids: list[uuid.UUID], today: date) -> None:
    """The many small rows, made by the database from the chunk's own rows: a grant per item of each receipt (as
    `decisions.grant` sets them: decided when the receipt was issued, ending with it), and 30 days of health scores
    wobbling ±8 around each person's level (as Smart Life Pass sends them)."""
    cursor.execute(
        "INSERT INTO consent_grant (resident_id, recipient_key, purpose_key, item_key, granted, decided_at, expires_at, "
        "receipt_id) SELECT r.resident_id, r.recipient_key, r.purpose_key, item, true, r.issued_at, "
        "r.issued_at + %s, r.id FROM consent_receipt AS r CROSS JOIN json_array_elements_text(r.items) AS item "
        "WHERE r.id = ANY(%s::uuid[])", (VALIDITY, receipt_ids))
    cursor.execute(
        "INSERT INTO health_score (resident_id, day, score, meal, exercise, source, received_at) "
        "SELECT h.resident_id, %s::date - back, least(100, greatest(0, h.level + (random() * 16 - 8)::int)), "
        "least(100, greatest(0, h.level + 3 + (random() * 16 - 8)::int)), "
        "least(100, greatest(0, h.level - 5 + (random() * 16 - 8)::int)), %s, h.received_at "
        "FROM bench_health AS h CROSS JOIN generate_series(1, %s) AS back", (today, SLP_SOURCE, HEALTH_DAYS))


def seeded_count(session: Session) -> int:
    return session.connection().exec_driver_sql(
        f"SELECT count(*) FROM resident WHERE email LIKE '%%@{EMAIL_DOMAIN}'").scalar_one()  # noqa: S608 (a constant)


def write_residents(session: Session, settings: Any, households: list[Household], *, seed: int = 2026,
                    progress: Any = print) -> None:
    views = offer_the_feed(session)
    controller = session.get(Recipient, BANK)
    assert controller is not None
    session.commit()
    global _WRITER
    _WRITER = ResidentWriter(settings, views, controller, seed)
    connection = session.connection().connection.driver_connection  # psycopg 3, for COPY
    now, today = datetime.now(UTC), japan_today()
    # Ledger record ids come from the table's own sequence, taken ahead so a payload can name its record.
    record_ids = session.connection().exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('ledger_record', 'id')) FROM generate_series(1, %s)",
        (len(households) * len(FEED_OFFERS),)).scalars().all()
    session.commit()
    tasks = [(start, households[start:start + CHUNK], record_ids[start * 2:(start + CHUNK) * 2], now)
             for start in range(0, len(households), CHUNK)]
    # Building the rows (receipt signatures, JSON, hashes) is most of the work: forked workers build chunks while
    # this process copies the finished ones in. Fork, so workers share the key and the catalogue; they never touch
    # the database connections they inherit.
    with multiprocessing.get_context("fork").Pool(BUILDERS) as pool:
        for done, rows in enumerate(pool.imap(_build_chunk, tasks), start=1):
            _write(connection, rows, today)
            session.commit()
            progress(f"  residents: {min(done * CHUNK, len(households))}/{len(households)}")


BUILDERS = 2  # one per core of the benchmark machine
_WRITER: ResidentWriter | None = None  # set before the pool forks


def _build_chunk(task: tuple[int, list[Household], list[int], datetime]) -> Rows:
    start, chunk, record_ids, now = task
    assert _WRITER is not None
    # Chunks are built in any order and in any process: each has its own random stream.
    _WRITER.rng.seed(_WRITER.seed * 1_000_003 + start)
    rows, ids = Rows(), iter(record_ids)
    for number, household in enumerate(chunk, start=start + 1):
        _WRITER.add(rows, number, household, now, ids)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Logged-in sessions


def open_sessions(session: Session, count: int, *, seed: int = 7) -> list[str]:
    """`count` residents, chosen at random, logged in: the cookie values (raw tokens) of their sessions.

    The row holds what a password login stores (`auth.begin_session`: Flask-Login's keys and `auth_at`) plus the
    CSRF token a rendered form would have added, so no request in the run has to write the session for it."""
    ids = session.connection().exec_driver_sql(
        f"SELECT id FROM resident WHERE email LIKE '%%@{EMAIL_DOMAIN}' ORDER BY email").scalars().all()  # noqa: S608
    chosen = random.Random(seed).sample(list(ids), min(count, len(ids)))
    now = datetime.now(UTC)
    identifier = hashlib.sha512(b"127.0.0.1|wrk").hexdigest()  # Flask-Login's `_id`; unused (session_protection off)
    tokens, rows = [], []
    for resident_id in chosen:
        token = secrets.token_urlsafe(32)  # as DatabaseSessionInterface.save_session makes one
        principal = f"resident:{resident_id}"
        data = {"_user_id": principal, "_fresh": True, "_id": identifier, "auth_at": now.isoformat(),
                "csrf_token": hashlib.sha1(os.urandom(64)).hexdigest()}  # noqa: S324 (Flask-WTF's own raw token)
        rows.append((hash_token(token), principal, _json(data), now, now))
        tokens.append(token)
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        _copy(cursor, "browser_session", ("token_hash", "principal", "data", "created_at", "last_seen_at"), rows)
    session.commit()
    return tokens


def refresh_sessions(session: Session, tokens: list[str]) -> None:
    """Seen just now, so none idles out (30 min) between the phases of a long run."""
    session.connection().exec_driver_sql("UPDATE browser_session SET last_seen_at = now() WHERE token_hash = ANY(%s)",
                                         ([hash_token(token) for token in tokens],))
    session.commit()
