"""The profiling rules the bank applies to residents' data, and the data ethics board's gate on them (security
anchor G6).

Two rule sets profile a household: `eligibility` (which of 柏市's services it can use: app/recommend/eligibility.py
and the catalogue's rules) and `feed_ranking` (which events and coupons come first: app/recommend/ranking.py). Each
has a stable key and a version, `<key>@<version>` (the subject of the board's approval, kind `profiling_rule`):

- `eligibility@<eligibility.REVISION>.<the catalogue file's compiled_on>`, e.g. eligibility@1.2026-11-26: a new
  catalogue file (new services, new rules) or a new reading of the rules is a new version. 柏市's staff correcting a
  service in the municipal console is not (the board approves the matching, not each bound of the city's rules).
- `feed_ranking@<ranking.REVISION>.<digest of the model's parameters>`, e.g. feed_ranking@1.e509f454: any changed
  weight, tier or threshold is a new version by itself.

The gate is read once per computation (`gate`) and enforced in one place, `feed.compute_many`: a rule set without
a recorded approval of its current version is not applied, nothing is read for it through the consent door, and
its part of the feed is listed without personalisation (app/recommend/unpersonalised.py). `flask recommend preview`
(an invented household, no resident's data) is not gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from app.catalog.services import catalog_document
from app.consent.catalogue import approved_subjects
from app.recommend import eligibility, ranking

KIND = "profiling_rule"  # the approval's subject_kind
ELIGIBILITY = "eligibility"
FEED_RANKING = "feed_ranking"


@dataclass(frozen=True)
class ProfilingRule:
    key: str
    version: str
    name: str  # lazy gettext: the operator's language
    applies_to: str

    @property
    def subject(self) -> str:
        """What the board approves: `<key>@<version>`."""
        return f"{self.key}@{self.version}"


@cache
def current_rules() -> tuple[ProfilingRule, ...]:
    """The rule sets in the code now, in their current versions."""
    compiled_on = catalog_document()["meta"]["compiled_on"]
    return (
        ProfilingRule(ELIGIBILITY, f"{eligibility.REVISION}.{compiled_on}", _l("Eligibility for Kashiwa City's services"),
                      _l("The feed's city services: eligible, soon, to check")),
        ProfilingRule(FEED_RANKING, ranking.rules_version(), _l("Ranking of events and coupons"),
                      _l("The order of the feed's events and coupons")),
    )


def current_subjects() -> set[str]:
    return {rule.subject for rule in current_rules()}


@dataclass(frozen=True)
class Gate:
    """Which of the current rule sets may be applied (their version's approval is recorded)."""

    approved: frozenset[str]  # rule keys
    unapproved: tuple[str, ...] = ()  # subjects (`key@version`) without an approval, for the batch's result

    def allows(self, key: str) -> bool:
        return key in self.approved


def gate(session: Session) -> Gate:
    """The gate as the board's recorded approvals set it now (one query)."""
    rules = current_rules()
    approved = approved_subjects(session, KIND, [rule.subject for rule in rules])
    return Gate(frozenset(rule.key for rule in rules if rule.subject in approved),
                tuple(rule.subject for rule in rules if rule.subject not in approved))

