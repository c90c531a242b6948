"""Every table, imported in one place so Alembic and SQLAlchemy see the whole schema."""

from app.accounts.models import LinkedAccount, Resident, TermsAcceptance
from app.audit import AuditEvent
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue
from app.city_records.models import CityRecordRequest, ServiceUsage
from app.consent.models import ConsentReceipt, DataItem, EthicsApproval, Grant, Offer, Purpose, Recipient
from app.data_imports.models import (
    DataImport,
    HealthActivitySummary,
    HealthDocument,
    HealthRecord,
    HealthWorkout,
    ImportedItem,
    LocationPoint,
)
from app.ebpm.models import EbpmRelease, EbpmReleaseCell, EbpmServiceBudget
from app.household.models import Child, HealthScore, HomeAddress
from app.inbox.models import Notice
from app.jobs.models import Job
from app.ledger.models import LedgerAnchor, LedgerChain, LedgerPayload, LedgerRecord
from app.mail.models import MailMessage
from app.oauth.models import AuthorizationCode, ClientAssertionUse, OAuthClient, OAuthToken, PairwiseSubject
from app.participation.models import Participation
from app.partners.models import ListingImage, Partner, PartnerReport
from app.passes.models import CouponRedemption, PassScan, ResidentPass
from app.passkeys.models import Passkey
from app.recommend.models import RecommendFeed, RecommendImpression
from app.sessions import BrowserSession
from app.staff.models import StaffMember
from app.surveys.models import Survey, SurveyRespondent, SurveyResponse, SurveySubmission
from app.switching.models import ServiceConnection, TransferItem, TransferJob
from app.throttle import ThrottleHit
from app.tokens import ActionToken

__all__ = [
    "ActionToken",
    "AuditEvent",
    "AuthorizationCode",
    "BrowserSession",
    "CatalogCoupon",
    "CatalogEvent",
    "CatalogService",
    "CatalogVenue",
    "CityRecordRequest",
    "Child",
    "ClientAssertionUse",
    "ConsentReceipt",
    "CouponRedemption",
    "DataImport",
    "DataItem",
    "EbpmRelease",
    "EbpmReleaseCell",
    "EbpmServiceBudget",
    "HealthActivitySummary",
    "HealthDocument",
    "HealthRecord",
    "HealthWorkout",
    "ImportedItem",
    "EthicsApproval",
    "Grant",
    "HealthScore",
    "HomeAddress",
    "Job",
    "LedgerAnchor",
    "LedgerChain",
    "LedgerPayload",
    "LedgerRecord",
    "LinkedAccount",
    "LocationPoint",
    "ListingImage",
    "MailMessage",
    "Notice",
    "OAuthClient",
    "OAuthToken",
    "Offer",
    "PairwiseSubject",
    "Participation",
    "PassScan",
    "Passkey",
    "Partner",
    "PartnerReport",
    "Purpose",
    "Recipient",
    "RecommendFeed",
    "RecommendImpression",
    "Resident",
    "ResidentPass",
    "ServiceUsage",
    "StaffMember",
    "Survey",
    "SurveyRespondent",
    "SurveyResponse",
    "SurveySubmission",
    "TermsAcceptance",
    "ServiceConnection",
    "ThrottleHit",
    "TransferItem",
    "TransferJob",
]
