from __future__ import annotations

from functools import cache

import factory
from argon2 import PasswordHasher

from app.accounts.models import Resident, TermsAcceptance
from app.accounts.terms import current_terms
from tests.factories import current_session

DEFAULT_PASSWORD = "kashiwa-test-resident-2026"


@cache
def fast_hash(password: str) -> str:
    """The same parameters as the app's "fast" test profile."""
    return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(password)


class ResidentFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Resident
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    password_hash = factory.LazyFunction(lambda: fast_hash(DEFAULT_PASSWORD))
    locale = "ja"

    class Params:
        # A resident who signed up but has not accepted the current terms yet.
        new = factory.Trait(terms=None)

    terms = factory.RelatedFactory(
        "tests.factories.accounts.TermsAcceptanceFactory", factory_related_name="resident"
    )


class TermsAcceptanceFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = TermsAcceptance
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"
        exclude = ("resident",)

    resident = None
    resident_id = factory.LazyAttribute(lambda o: o.resident.id)
    terms_version = factory.LazyFunction(lambda: current_terms().version)
