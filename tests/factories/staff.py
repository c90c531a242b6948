from __future__ import annotations

import factory
import pyotp

from app.crypto import seal, unseal
from app.partners.models import Partner
from app.staff.models import StaffMember, StaffRole
from app.staff.services import TOTP_LABEL
from tests.factories import TEST_SECRET_KEY, current_session
from tests.factories.accounts import fast_hash

STAFF_PASSWORD = "kashiwa-test-staff-2026"


class PartnerFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Partner
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"

    key = factory.Sequence(lambda n: f"test_partner_{n}")
    name_ja = factory.Sequence(lambda n: f"テスト協力店{n}")
    name_en = factory.Sequence(lambda n: f"Test partner {n}")
    address = "千葉県柏市若柴（テスト）"
    representative = "代表 テスト"
    venue_ids = factory.LazyFunction(lambda: ["v_lalaport_main", "v_tsite"])


class StaffFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = StaffMember
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"
        exclude = ("totp_plain",)

    email = factory.Sequence(lambda n: f"staff{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"職員 {n}")
    role = StaffRole.OPERATOR.value
    partner_id = None
    password_hash = factory.LazyFunction(lambda: fast_hash(STAFF_PASSWORD))
    totp_plain = factory.LazyFunction(pyotp.random_base32)
    totp_secret = factory.LazyAttribute(lambda o: seal(o.totp_plain, secret_key=TEST_SECRET_KEY, label=TOTP_LABEL))
    locale = "ja"

    class Params:
        operator = factory.Trait(role=StaffRole.OPERATOR.value)
        municipal = factory.Trait(role=StaffRole.MUNICIPAL.value)
        analyst = factory.Trait(role=StaffRole.ANALYST.value)
        partner = factory.Trait(
            role=StaffRole.PARTNER.value, partner_id=factory.LazyFunction(lambda: PartnerFactory().id)
        )
        invited = factory.Trait(password_hash=None, totp_secret=None)


def totp_secret_of(member: StaffMember) -> str:
    assert member.totp_secret is not None
    return unseal(member.totp_secret, secret_key=TEST_SECRET_KEY, label=TOTP_LABEL)


def totp_now(member: StaffMember) -> str:
    return pyotp.TOTP(totp_secret_of(member)).now()
