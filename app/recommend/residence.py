"""Where the household lives, against each service's `eligibility.residence` and `fact_scope`.

- 流山市 household, national scheme (fact_scope national_rule / kashiwa_applies_national_rule / mixed): the scheme
  applies but 流山市 runs it → other_city ("流山市でお手続き").
- 流山市 household, 柏市's own service: not_eligible when 柏市 residence is required; 要確認 when the file says
  that attending a nursery or school in 柏市 is enough (other_condition), when the documents state no residence
  condition (open_not_restricted: "資料上は居住地制限の記載なし", so unverified_rule), or when it is unknown.
- Unknown city (no address): 要確認 with address_needed wherever residence matters.
- A residence value this engine does not know (e.g. "unknown"): 要確認 with unverified_rule, whatever the city.
"""

from __future__ import annotations

from typing import Any

from app.recommend import texts
from app.recommend.outcomes import CheckReason, Reason, ServiceLike, Status

NATIONAL_SCOPES = ("national_rule", "kashiwa_applies_national_rule", "mixed")
KASHIWA_RESIDENCE = ("kashiwa_registered", "kashiwa_resident", "kashiwa", "kashiwa_resident_at_application",
                     "kashiwa_registered_on_vaccination_day", "japan_resident_registered_in_kashiwa_for_kashiwa_payment")
KASHIWA_RESIDENCE_OR_ATTENDANCE: dict[str, Reason] = {
    "kashiwa_resident_or_attends_kashiwa_nursery": Reason(
        "柏市外にお住まいでも、柏市内の保育園などに通っていれば利用できます。",
        "Outside Kashiwa, you can use it if your child attends a nursery in Kashiwa."),
    "kashiwa_resident_or_kashiwa_school": Reason(
        "柏市外にお住まいでも、柏市内の小学校に通っていれば利用できます。",
        "Outside Kashiwa, you can use it if your child attends an elementary school in Kashiwa."),
}
NO_RESIDENCE_CONDITION_STATED = ("open_not_restricted",)


def _residence(service: ServiceLike) -> Any:
    return (service.eligibility or {}).get("residence") if isinstance(service.eligibility, dict) else None


def turned_away(service: ServiceLike, city: str | None) -> list[Reason] | None:
    """Why a household in `city` cannot use the service whatever its children's ages (a 柏市-only service for a
    流山市 household: `apply_residence` makes it not_eligible); None when the city does not decide it alone."""
    if city != "nagareyama" or service.fact_scope in NATIONAL_SCOPES:
        return None
    residence = _residence(service)
    if residence in KASHIWA_RESIDENCE and residence not in KASHIWA_RESIDENCE_OR_ATTENDANCE:
        return [texts.KASHIWA_RESIDENTS_ONLY]
    return None


def apply_residence(service: ServiceLike, status: Status, reasons: frozenset[CheckReason],
                    city: str | None) -> tuple[Status, frozenset[CheckReason], list[Reason]]:
    """The status, check codes and extra lines once the household's city is taken into account."""
    if status is Status.NOT_ELIGIBLE:
        return status, reasons, []
    if (away := turned_away(service, city)) is not None:
        return Status.NOT_ELIGIBLE, frozenset(), away
    residence = _residence(service)
    if city == "nagareyama" and service.fact_scope in NATIONAL_SCOPES:
        return Status.OTHER_CITY, frozenset(), [texts.OTHER_CITY]
    added: set[CheckReason] = set()
    lines: list[Reason] = []
    if residence in NO_RESIDENCE_CONDITION_STATED:
        if city == "nagareyama":
            added.add(CheckReason.UNVERIFIED_RULE)
            lines.append(texts.RESIDENCE_NOT_STATED)
    elif residence in KASHIWA_RESIDENCE or residence in KASHIWA_RESIDENCE_OR_ATTENDANCE:
        if city is None:
            added.add(CheckReason.ADDRESS_NEEDED)
        elif city == "nagareyama":  # attending a nursery or school in 柏市 is enough (else turned_away)
            added.add(CheckReason.OTHER_CONDITION)
            lines.append(KASHIWA_RESIDENCE_OR_ATTENDANCE[residence])
    else:
        added.add(CheckReason.UNVERIFIED_RULE)
    if not added:
        return status, reasons, lines
    return (Status.CHECK if status is Status.ELIGIBLE else status), reasons | added, lines
