from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.accounts.models import Resident, TermsAcceptance
from app.accounts.passwords import hash_password
from app.accounts.terms import current_terms
from app.config import Settings
from app.crypto import seal
from app.partners.models import Partner
from app.staff.models import StaffMember, StaffRole
from app.staff.services import TOTP_LABEL


@dataclass(frozen=True)
class DemoResident:
    email: str
    password: str
    locale: str


@dataclass(frozen=True)
class DemoStaff:
    email: str
    password: str
    name: str
    role: StaffRole
    # Fixed so developers can add it to an authenticator app, or run `flask --app app demo totp EMAIL`.
    totp_secret: str


# Listed in the README; development only.
DEMO_RESIDENTS = [
    DemoResident("hanako@example.jp", "wakaba-tx13-morning", "ja"),
    DemoResident("taro@example.jp", "tsukuba-express-blue", "ja"),
    DemoResident("emily@example.jp", "leaf-garden-walk-26", "en"),
]
DEMO_STAFF = [
    DemoStaff("operator@example.jp", "azukari-unei-2026!", "運営 太郎", StaffRole.OPERATOR, "AZUKARIOPERATORDEMOSECRET2345672"),
    DemoStaff("city@example.jp", "kosodate-shien-2026", "柏市 子育て支援課 花子", StaffRole.MUNICIPAL,
              "AZUKARIKASHIWACITYDEMOSECRET2345"),
    DemoStaff("partner@example.jp", "kashiwanoha-shop-26", "協力店 次郎", StaffRole.PARTNER,
              "AZUKARIPARTNERSHOPDEMOSECRET2345"),
    DemoStaff("analyst@example.jp", "jissho-bunseki-2026", "実証 分析チーム 三郎", StaffRole.ANALYST,
              "AZUKARIPILOTANALYSTDEMOSECRET234"),
]
# The consent catalogue's recipient `kashiwanoha_partner` (same key and name), running events and coupons at two of
# the catalogue's venues.
DEMO_PARTNER = dict(key="kashiwanoha_partner", name_ja="柏の葉デモ協力店", name_en="Kashiwa-no-ha demo partner shop",
                    address="千葉県柏市若柴（デモ）", representative="店長 協力 次郎（デモ）",
                    venue_ids=["v_lalaport_main", "v_tsite"])


def seed(session: Session, settings: Settings) -> dict[str, int]:
    """Create what is missing; never change what exists (so it is safe to run at every start)."""
    created = {"residents": 0, "staff": 0, "partners": 0}
    terms = current_terms()
    for demo in DEMO_RESIDENTS:
        if session.exec(select(Resident).where(Resident.email == demo.email)).first() is None:
            resident = Resident(email=demo.email, password_hash=hash_password(demo.password), locale=demo.locale)
            session.add(resident)
            session.flush()
            session.add(TermsAcceptance(resident_id=resident.id, terms_version=terms.version))
            created["residents"] += 1
    partner = session.exec(select(Partner).where(Partner.key == DEMO_PARTNER["key"])).first()
    partner = partner or session.exec(select(Partner).where(Partner.name_ja == DEMO_PARTNER["name_ja"])).first()
    if partner is not None and partner.key != DEMO_PARTNER["key"]:  # made before partners had keys and venues
        for name, value in DEMO_PARTNER.items():
            setattr(partner, name, value)
    if partner is None:
        partner = Partner(**DEMO_PARTNER)
        session.add(partner)
        session.flush()
        created["partners"] += 1
    key = settings.resolved_secret_key()
    for demo_staff in DEMO_STAFF:
        if session.exec(select(StaffMember).where(StaffMember.email == demo_staff.email)).first() is None:
            session.add(
                StaffMember(
                    email=demo_staff.email,
                    display_name=demo_staff.name,
                    role=demo_staff.role.value,
                    partner_id=partner.id if demo_staff.role is StaffRole.PARTNER else None,
                    password_hash=hash_password(demo_staff.password),
                    totp_secret=seal(demo_staff.totp_secret, secret_key=key, label=TOTP_LABEL),
                    locale=None,  # follows the browser until they choose
                    created_by="demo-seed",
                )
            )
            created["staff"] += 1
    session.flush()
    return created
