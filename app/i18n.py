"""Japanese first, English in full: locale selection and the date/money formats of UI.md."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from flask import Flask, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_login import current_user

from app.config import PROJECT_ROOT

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
TIMEZONE = "Asia/Tokyo"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


def select_locale() -> str:
    """The user's own setting, then the choice made before logging in, then the browser's languages."""
    if not has_request_context():  # CLI, worker: the default (mail sets its own with force_locale)
        return DEFAULT_LOCALE
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in LOCALES:
        return user_locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE) or DEFAULT_LOCALE


def current_language() -> str:
    # The locales are bare languages ("ja", "en"): `.language` is the identifier without building it (str() does,
    # and this is asked for on every label of a page).
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def long_date(value: date | datetime | None) -> str:
    """2026年12月1日(火) / Tue, 1 Dec 2026."""
    if value is None:
        return ""
    language = current_language()
    pattern = "y年M月d日(E)" if language == "ja" else "EEE, d MMM y"
    if isinstance(value, datetime):
        return format_datetime(value, pattern)
    return _long_day(value, language, pattern)


@lru_cache(maxsize=4096)  # a day reads the same in a language (no time zone): the feed shows the same few on its cards
def _long_day(value: date, language: str, pattern: str) -> str:
    return format_date(value, pattern)  # in the current locale, which is `language` (part of the key)


def date_time(value: datetime | None) -> str:
    """2026年12月1日(火) 10:00 / Tue, 1 Dec 2026 10:00, in Japan time."""
    if value is None:
        return ""
    pattern = "y年M月d日(E) HH:mm" if current_language() == "ja" else "EEE, d MMM y HH:mm"
    return format_datetime(value, pattern)


def bilingual(ja: str | None, en: str | None, language: str | None = None) -> str:
    """Pick the label of the current language (or `language`: a caller picking many reads it once), for domain
    labels kept in both (ages, walking bands)."""
    return (ja if (language or current_language()) == "ja" else en) or ja or en or ""


def birth_date(year: int, month: int, day: int | None) -> str:
    """2021年5月12日 / 12 May 2021, or 2021年5月 / May 2021 when the day is not known."""
    if day is None:
        return format_date(date(year, month, 1), "y年M月" if current_language() == "ja" else "MMMM y")
    return format_date(date(year, month, day), "y年M月d日" if current_language() == "ja" else "d MMMM y")


# Templates' `_()` by (language, msgid): Flask-Babel finds the request's translations anew at every call (~20 µs in
# a template), and a feed page makes a hundred such calls. The catalogs are loaded once per process and never
# change while it runs; the bound keeps a template that translates a variable from growing it without end.
_TEMPLATE_MESSAGES: dict[tuple[str, str], str] = {}
_TEMPLATE_MESSAGES_MAX = 10_000


def _template_gettext(message: str) -> str:
    locale = get_locale()
    if locale is None:  # outside an app context the translations are the null ones: nothing to keep for a language
        return get_translations().ugettext(message)
    key = (locale.language, message)
    found = _TEMPLATE_MESSAGES.get(key)
    if found is None:
        found = get_translations().ugettext(message)
        if len(_TEMPLATE_MESSAGES) < _TEMPLATE_MESSAGES_MAX:
            _TEMPLATE_MESSAGES[key] = found
    return found


def init_app(app: Flask) -> None:
    from app.extensions import babel

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_locale=DEFAULT_LOCALE,
        default_timezone=TIMEZONE,
        default_translation_directories=str(PROJECT_ROOT / "app" / "translations"),
    )
    # Only gettext is replaced; ngettext and pgettext stay Flask-Babel's (newstyle: the wrapper still escapes the
    # values it formats in).
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["date_time"] = date_time
    app.jinja_env.globals["bilingual"] = bilingual
    app.jinja_env.globals["birth_date"] = birth_date
