"""Templates' `_()` is kept per language and message: each request still reads its own language, and a call made
outside any app context (null translations) leaves nothing behind for a language."""

from __future__ import annotations

import pytest
from flask import render_template_string

from app.i18n import _template_gettext

pytestmark = pytest.mark.smoke

TEMPLATE = "{{ _('Surveys') }}|{{ _('Screen %(number)d of %(total)d', number=2, total=6) }}|{{ _('Save') }}"


def render_in(app, language: str) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return render_template_string(TEMPLATE)


def test_each_request_reads_its_own_language_from_the_kept_messages(app) -> None:  # type: ignore[no-untyped-def]
    assert _template_gettext("Surveys") == "Surveys"  # no app context: the msgid, kept for nobody
    for _round in range(2):  # the second round reads what the first kept
        assert render_in(app, "ja") == "アンケート|画面 2 / 6|保存"
        assert render_in(app, "en") == "Surveys|Screen 2 of 6|Save"


def test_values_formatted_into_a_message_are_still_escaped(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string("{{ _('Sent on %(day)s.', day=value) }}", value="<script>x</script>")
    assert html == "Sent on &lt;script&gt;x&lt;/script&gt;."
