"""`flask recommend preview`: what a household would be shown, without any account (operators and tests).

Household validation does not apply: any birth date gets an answer (a future one is an expected child, see
`eligibility`). The services, events and coupons come from the database (`flask catalog load` first): the
services with their status and reasons from `eligibility`, the events and coupons as `ranking.rank_events` /
`rank_coupons` order them, each with its id, score and reasons ({ja, en}).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

import click
from flask.cli import AppGroup

from app.catalog.services import services_list
from app.db import get_database
from app.household.address import KASHIWA, NAGAREYAMA, find_town
from app.household.ages import BirthDate, days_in_month
from app.recommend.eligibility import ServiceResult, evaluate
from app.recommend.household import ChildInput, City, HouseholdInput
from app.recommend.ranking import rank_coupons, rank_events

# Japan has no daylight saving time: a fixed offset is Asia/Tokyo.
JST = timezone(timedelta(hours=9), "Asia/Tokyo")
CITY_OPTIONS: dict[str, City] = {KASHIWA: "kashiwa", NAGAREYAMA: "nagareyama", "kashiwa": "kashiwa",
                                 "nagareyama": "nagareyama"}
CITY_NAMES: dict[City, str] = {"kashiwa": KASHIWA, "nagareyama": NAGAREYAMA}
_BIRTH = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")

recommend = AppGroup("recommend", help="Recommendations: 柏市 services, events and coupons for a household.")


def parse_birth(text: str) -> BirthDate:
    match = _BIRTH.fullmatch(text.strip())
    if match is None:
        raise click.BadParameter(f"{text!r}: write YYYY-MM or YYYY-MM-DD")
    year, month = int(match[1]), int(match[2])
    day = int(match[3]) if match[3] else None
    if not 1 <= month <= 12 or year < 1 or (day is not None and not 1 <= day <= days_in_month(year, month)):
        raise click.BadParameter(f"{text!r} is not a date")
    return BirthDate(year, month, day)


def resolve_town(text: str, city_option: str | None) -> tuple[City, str]:
    """The city and the town-list spelling of `text`; without --city, the one city whose list has it."""
    cities = [CITY_OPTIONS[city_option]] if city_option else ["kashiwa", "nagareyama"]
    found = [(city, town) for city in cities if (town := find_town(CITY_NAMES[city], text)) is not None]
    if not found:
        where = CITY_NAMES[cities[0]] if city_option else f"{KASHIWA} or {NAGAREYAMA}"
        raise click.BadParameter(f"{text!r} is not a town of {where}", param_hint="--town")
    if len(found) > 1:
        raise click.BadParameter(f"{text!r} is a town of both cities: add --city", param_hint="--town")
    city, town = found[0]
    return city, town.town


def service_json(result: ServiceResult, names: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    name_ja, name_en = names.get(result.service_id, ("", ""))
    return {
        "id": result.service_id, "name_ja": name_ja, "name_en": name_en, "status": str(result.status),
        "soon_from": result.soon_from.isoformat() if result.soon_from else None,
        "check_reasons": [str(code) for code in result.check_reasons],
        "reasons": [{"ja": reason.ja, "en": reason.en} for reason in result.reasons],
        "child_indexes": list(result.child_indexes), "source_url": result.source_url,
        "last_checked": result.last_checked.isoformat(),
    }


# --- the command -----------------------------------------------------------------------------------------------


@recommend.command("preview", help="What a household would be shown: each service's status and reasons, and the "
                                   "ranked events and coupons. No account is needed.")
@click.option("--child-birth", "child_births", multiple=True, metavar="YYYY-MM[-DD]",
              help="A child's birth date (repeat for several; a future date is an expected child).")
@click.option("--counted-sibling", "counted_siblings", multiple=True, metavar="YYYY-MM[-DD]",
              help="An older sibling (18–22) counted for the child allowance's third-child rate.")
@click.option("--town", required=True, help="The home 町丁目, e.g. 若柴 or 柏の葉2丁目.")
@click.option("--city", type=click.Choice(list(CITY_OPTIONS)), default=None,
              help="柏市 or 流山市 (default: the city whose town list has --town).")
@click.option("--date", "on_text", metavar="YYYY-MM-DD", default=None, help="The day to evaluate (default: today in Japan).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def preview(child_births: tuple[str, ...], counted_siblings: tuple[str, ...], town: str, city: str | None,
            on_text: str | None, as_json: bool) -> None:
    try:
        on = date.fromisoformat(on_text) if on_text else datetime.now(JST).date()
    except ValueError:
        raise click.BadParameter(f"{on_text!r}: write YYYY-MM-DD", param_hint="--date") from None
    children = tuple(ChildInput(parse_birth(text)) for text in child_births) + \
        tuple(ChildInput(parse_birth(text), counted_sibling=True) for text in counted_siblings)
    resolved_city, resolved_town = resolve_town(town, city)
    household = HouseholdInput(children=children, city=resolved_city, town=resolved_town)
    session = get_database().new_session()
    try:
        services = services_list(session)
        if not services:
            raise click.ClickException("the catalogue is empty: run `flask catalog load` first")
        results = evaluate(services, household, on)
        names = {service.id: (service.name_ja, service.name_en) for service in services}
        events, coupons = rank_events(session, household, on), rank_coupons(session, household, on)
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps({
            "date": on.isoformat(),
            "household": {"city": resolved_city, "town": resolved_town, "children": [
                {"birth": _birth_text(child.birth), "counted_sibling": child.counted_sibling} for child in children]},
            "services": [service_json(result, names) for result in results],
            "events": events, "coupons": coupons,
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"{on.isoformat()} {CITY_NAMES[resolved_city]}{resolved_town}")
    for result in results:
        soon = f" ({result.soon_from.isoformat()})" if result.soon_from else ""
        codes = f" [{', '.join(result.check_reasons)}]" if result.check_reasons else ""
        click.echo(f"{result.status:<13} {result.service_id}{soon}{codes}")
        for reason in result.reasons[:1]:
            click.echo(f"              {reason.ja}")
    click.echo(f"events: {', '.join(str(item['id']) for item in events) or '-'}")
    click.echo(f"coupons: {', '.join(str(item['id']) for item in coupons) or '-'}")


def _birth_text(birth: BirthDate) -> str:
    return f"{birth.year:04d}-{birth.month:02d}" + (f"-{birth.day:02d}" if birth.day else "")
