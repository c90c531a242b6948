"""What the feed showed a resident is resident data: besides the recommendation package that writes it, only the
consent door (the items `services_shown` and `recommendation_response`), the schema registry and the demo pilot import
it. The EBPM statistics get it only through the door."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, package_imports

pytestmark = pytest.mark.smoke

READERS = ("app/recommend/", "app/consent/items.py", "app/models.py", "app/demo/")


def test_only_the_door_reads_what_the_feed_showed() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in package_imports(path, "app.recommend.impressions")]
    assert any(reach.startswith("app/consent/items.py:") for reach in every)
    offending = [reach for reach in every if not any(reach.startswith(rule) for rule in READERS)]
    assert not offending, "modules outside the door import app.recommend.impressions:\n" + "\n".join(offending)
