"""Every table, imported in one place so Alembic and SQLAlchemy see the whole schema."""

from app.accounts.models import LinkedAccount, Resident, TermsAcceptance
from app.audit import AuditEvent
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue
from app.consent.models import ConsentReceipt, DataItem, EthicsApproval, Grant, Offer, Purpose, Recipient
from app.household.models import Child, HealthScore, HomeAddress
from app.inbox.models import Notice
from app.jobs.models import Job
from app.ledger.models import LedgerAnchor, LedgerChain, LedgerPayload, LedgerRecord
from app.mail.models import MailMessage
from app.oauth.models import AuthorizationCode, ClientAssertionUse, OAuthClient, OAuthToken, PairwiseSubject
from app.participation.models import Participation
from app.partners.models import Partner
from app.recommend.models import RecommendFeed
from app.sessions import BrowserSession
from app.staff.models import StaffMember
from app.throttle import ThrottleHit
from app.tokens import ActionToken

__all__ = [
    "ActionToken",
    "AuthorizationCode",
    "ClientAssertionUse",
    "AuditEvent",
    "BrowserSession",
    "CatalogCoupon",
    "CatalogEvent",
    "CatalogService",
    "CatalogVenue",
    "Child",
    "ConsentReceipt",
    "DataItem",
    "EthicsApproval",
    "Grant",
    "Offer",
    "Purpose",
    "Recipient",
    "RecommendFeed",
    "HealthScore",
    "HomeAddress",
    "Job",
    "LedgerAnchor",
    "LedgerChain",
    "LedgerPayload",
    "LedgerRecord",
    "LinkedAccount",
    "MailMessage",
    "Notice",
    "OAuthClient",
    "OAuthToken",
    "PairwiseSubject",
    "Participation",
    "Partner",
    "Resident",
    "StaffMember",
    "TermsAcceptance",
    "ThrottleHit",
]
