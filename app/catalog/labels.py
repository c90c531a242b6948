"""Words for the catalogue's codes (categories, confidence, grades) and a readable summary of an age rule.

The structured eligibility stays JSON for the engine to interpret; these only help staff read and check it, so
they describe the fields as the file's conventions define them and decide nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

SERVICE_CATEGORIES = {
    "cash_benefit": _l("Cash benefit"),
    "medical_subsidy": _l("Medical subsidy"),
    "subsidy": _l("Subsidy"),
    "childcare_temporary": _l("Temporary childcare"),
    "childcare_sick": _l("Sick-child care"),
    "childcare_regular": _l("Nursery (regular)"),
    "fee_waiver": _l("Fee waiver"),
    "afterschool": _l("After-school care"),
    "parenting_support_space": _l("Parenting support space"),
    "health_checkup": _l("Health check-up"),
    "vaccination": _l("Vaccination"),
    "vaccination_subsidy": _l("Vaccination subsidy"),
    "home_visit": _l("Home visit"),
    "consultation": _l("Consultation"),
    "maternal_care": _l("Maternal care"),
    "education_subsidy": _l("Education subsidy"),
}

CONFIDENCE = {
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}

FACT_SCOPES = {
    "kashiwa_specific": _l("Confirmed in Kashiwa's own documents"),
    "kashiwa_applies_national_rule": _l("National scheme, with Kashiwa's guidance"),
    "national_rule": _l("National scheme (Kashiwa's details not confirmed)"),
    "mixed": _l("Mixed"),
}

AGE_STATUSES = {
    "verified": _l("Verified"),
    "partially_verified": _l("Partly verified"),
    "possibly_outdated": _l("Possibly outdated"),
    "unverified": _l("Not verified"),
    "facility_dependent": _l("Depends on the facility"),
    "third_party_report": _l("From a third-party report"),
    "kashiwa_implementation_unverified": _l("Kashiwa's implementation not verified"),
    "kashiwa_details_unverified": _l("Kashiwa's details not verified"),
}

# meta.conventions.school_grade, youngest first: the order the engine compares grades in.
SCHOOL_GRADES = (
    "preschool", "preschool_senior",
    "elementary_1", "elementary_2", "elementary_3", "elementary_4", "elementary_5", "elementary_6",
    "junior_high_1", "junior_high_2", "junior_high_3",
    "high_1", "high_2", "high_3",
)
NURSERY_AGE_CLASSES = range(0, 6)


def label(labels: dict[str, Any], code: str | None) -> str:
    """The label of a code, or the code itself when it has none (a newer catalogue file may add codes)."""
    if not code:
        return ""
    return str(labels[code]) if code in labels else code


def grade_name(grade: str) -> str:
    if grade == "preschool":
        return _("Preschool")
    if grade == "preschool_senior":
        return _("Final year of kindergarten (年長)")
    stage, _sep, year = grade.rpartition("_")
    if not year.isdigit():
        return grade
    if stage == "elementary":
        return _("Elementary school, year %(year)s", year=year)
    if stage == "junior_high":
        return _("Junior high school, year %(year)s", year=year)
    if stage == "high":
        return _("High school, year %(year)s", year=year)
    return grade


def describe_age(age: dict[str, Any]) -> list[str]:
    """One line per age condition of an eligibility's `age` object, in the user's language."""
    lines: list[str] = []
    low, high = age.get("min_months"), age.get("max_months_exclusive")
    if isinstance(low, int) and low > 0 and isinstance(high, int):
        lines.append(_("From %(low)d months to under %(high)d months old", low=low, high=high))
    elif isinstance(high, int):
        lines.append(_("Under %(high)d months old", high=high))
    elif isinstance(low, int) and low > 0:
        lines.append(_("From %(low)d months old", low=low))
    fiscal_age = age.get("until_end_of_fiscal_year_of_age")
    if isinstance(fiscal_age, int):
        lines.append(_("Until the first 31 March after turning %(age)d", age=fiscal_age))
    grade_low, grade_high = age.get("school_grade_min"), age.get("school_grade_max")
    if grade_low and grade_high:
        lines.append(_("School grade: %(low)s to %(high)s", low=grade_name(grade_low), high=grade_name(grade_high)))
    elif grade_high:
        lines.append(_("School grade: up to %(grade)s", grade=grade_name(grade_high)))
    elif grade_low:
        lines.append(_("School grade: from %(grade)s", grade=grade_name(grade_low)))
    classes = age.get("nursery_age_class")
    if isinstance(classes, list) and classes:
        lines.append(_("Nursery age classes: %(classes)s", classes=", ".join(str(c) for c in classes)))
    if not lines:
        lines.append(_("No age condition in the data"))
    return lines


def eligibility_problems(eligibility: Any) -> list[str]:
    """What is wrong with an edited eligibility (empty if nothing): the shape the engine relies on."""
    if not isinstance(eligibility, dict):
        return [_("The eligibility must be a JSON object, in braces { }.")]
    age = eligibility.get("age")
    if age is None:
        return []
    if not isinstance(age, dict):
        return [_("\"age\" must be a JSON object, or null.")]
    problems = []
    for field in ("min_months", "max_months_exclusive", "until_end_of_fiscal_year_of_age"):
        value = age.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(_("\"%(field)s\" must be a whole number of 0 or more, or null.", field=field))
    low, high = age.get("min_months"), age.get("max_months_exclusive")
    if isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool) and low >= high:
        problems.append(_("\"min_months\" must be less than \"max_months_exclusive\"."))
    for field in ("school_grade_min", "school_grade_max"):
        value = age.get(field)
        if value is not None and value not in SCHOOL_GRADES:
            problems.append(_("\"%(field)s\" must be one of %(values)s, or null.", field=field,
                              values=", ".join(SCHOOL_GRADES)))
    grade_low, grade_high = age.get("school_grade_min"), age.get("school_grade_max")
    if grade_low in SCHOOL_GRADES and grade_high in SCHOOL_GRADES and \
            SCHOOL_GRADES.index(grade_low) > SCHOOL_GRADES.index(grade_high):
        problems.append(_("\"school_grade_min\" must not come after \"school_grade_max\"."))
    classes = age.get("nursery_age_class")
    if classes is not None and not (isinstance(classes, list) and classes and all(
            isinstance(c, int) and not isinstance(c, bool) and c in NURSERY_AGE_CLASSES for c in classes)):
        problems.append(_("\"nursery_age_class\" must be a list of age classes from 0 to 5, or null."))
    return problems
