"""A resident's survey answers are their data: the table holding them (SurveyResponse) is read by the surveys'
own services (the resident's pages) and by the consent door, through app.surveys.answers, which its item
`survey_answers` calls. The analysts' side reads only what was provided to them (SurveySubmission): neither the
table nor the door's reader is imported there."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, ROOT, imports_of

pytestmark = pytest.mark.smoke

READERS = ("app/surveys/models.py", "app/surveys/answers.py", "app/surveys/services.py", "app/surveys/views.py",
           "app/models.py", "app/demo/")
ANALYSTS = ("app/surveys/analysis.py", "app/surveys/analyst_views.py")


def test_only_the_surveys_services_and_the_door_read_the_residents_answers() -> None:
    every = [(where, name) for path in sorted(APP.rglob("*.py")) for where, name in imports_of(path)]
    responses = [where for where, name in every if name.endswith(".SurveyResponse")]
    offending = [where for where in responses if not any(where.startswith(rule) for rule in READERS)]
    assert responses and not offending, "modules outside the surveys' services import SurveyResponse:\n" + "\n".join(offending)
    door = [where for where, name in every if name.startswith("app.surveys.answers")]
    assert any(where.startswith("app/consent/items.py:") for where in door)
    assert all(where.startswith(("app/consent/items.py:", "app/surveys/")) for where in door)


def test_the_analysts_side_reads_only_what_was_provided() -> None:
    for relative in ANALYSTS:
        path = ROOT / relative
        if not path.exists():
            continue
        names = [name for _where, name in imports_of(path)]
        assert not any(name.endswith(".SurveyResponse") or name.startswith("app.surveys.answers") or
                       name.startswith("app.household") for name in names), relative
