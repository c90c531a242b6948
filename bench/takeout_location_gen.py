"""A synthetic Google Takeout zip holding N raw Location History points, for the import benchmark and for tests.

    .venv/bin/python bench/takeout_location_gen.py --points 200000 --out /tmp/takeout-200k.zip [--layout e7|iso] [--seed 1]

The same seed and N give the same bytes, and both layouts hold the same points (the same instants, coordinates,
accuracies, activities): only the layout differs. The JSON is written through `ZipFile.open(…, "w",
force_zip64=True)` in chunks, so memory stays flat whatever N. Two layouts (shared/docs/export-formats.md §3):

- `layout="e7"`: the old layout (Takeout until ~2021), the one google-takeout-to-sqlite reads:
  `Takeout/Location History/Location History.json`, pretty-printed as Google's Jackson writer did
  (`"timestampMs" : "1491058812345"`, `[ {` … `}, {`), each point `{timestampMs, latitudeE7, longitudeE7, accuracy,
  velocity?, heading?, altitude?, verticalAccuracy?, activity?: [{timestampMs, activity: [{type, confidence}…]}]}`.
- `layout="iso"`: the newer `Records.json` (Takeout from ~2022), in `Takeout/Location History (Timeline)/` beside a
  `Settings.json`: ISO `timestamp` (`2019-06-01T03:12:45.123Z`; without the milliseconds when they are 0), plus
  `source` (GPS / WIFI / CELL), `deviceTag`, `platformType`, `osLevel`, `batteryCharging`, `formFactor`; the
  activities carry `timestamp` too.

Both zips also hold `Takeout/archive_browser.html` (the index every Takeout part has), and are named like Google's
parts (`takeout-20210402T013000Z-001.zip` is a good name to give them).

What the points are: one resident of 柏の葉キャンパス (Kashiwa, Chiba) from 2017-04-01 (JST) on, ~700 points a day:
home at night; on weekdays the Tsukuba Express to an office in Akihabara (three days a week) or a walk to an office
by the station; sometimes the shopping centre after work; at weekends walks, bike rides to the park and bus trips to
Kashiwa station. Still: a point every 40 s–4 min near the place (Wi-Fi accuracy, now and then a coarse cell fix);
moving: every 15–45 s along the route (GPS accuracy, velocity, heading, altitude). About a quarter of the points carry
an activity guess (STILL, WALKING, IN_RAIL_VEHICLE …), as Google's do. The phone changes in 2019 (a new deviceTag,
a newer osLevel). 1,000,000 points cover 1,380 days (to January 2021).

`write_takeout(path, points, layout=…, seed=…)` returns the number of points written (always `points`);
`generate()` returns the counts as `TakeoutStats`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from health_export_gen import BufferedText  # a sibling script: bench/ is on the path when run

DEFAULT_SEED = 20261127
FIRST_DAY = date(2017, 4, 1)  # local (JST) midnight; fixed, so a file does not depend on the day it is made
JST = timezone(timedelta(hours=9))
DAY = 86_400
LAYOUTS = ("e7", "iso")
E7_PATH = "Takeout/Location History/Location History.json"  # google-takeout-to-sqlite opens exactly this name
ISO_FOLDER = "Takeout/Location History (Timeline)"
ISO_PATH = f"{ISO_FOLDER}/Records.json"
SETTINGS_PATH = f"{ISO_FOLDER}/Settings.json"
INDEX_PATH = "Takeout/archive_browser.html"

# Places (latitude, longitude, altitude m).
HOME = (35.89621, 139.94962, 18.0)  # a flat west of 柏の葉キャンパス駅
STATION = (35.89330, 139.95205, 17.0)  # 柏の葉キャンパス駅
OFFICE_LOCAL = (35.89337, 139.95402, 17.0)  # by the station (KOIL)
MALL = (35.89165, 139.95270, 16.0)  # ららぽーと柏の葉
PARK = (35.88030, 139.95540, 21.0)  # 柏の葉公園
KASHIWA = (35.86210, 139.97090, 13.0)  # 柏駅
# The Tsukuba Express from 柏の葉キャンパス to 秋葉原, by its stations.
TX = (STATION, (35.87090, 139.92550, 12.0), (35.84550, 139.90370, 8.0), (35.83530, 139.89400, 6.0),
      (35.79950, 139.87990, 4.0), (35.77850, 139.84980, 3.0), (35.75210, 139.80360, 3.0), (35.74940, 139.80430, 3.0),
      (35.72570, 139.79080, 4.0), (35.71280, 139.79040, 5.0), (35.70610, 139.77850, 4.0), (35.69840, 139.77310, 4.0))
AKIHABARA_OFFICE = (35.69955, 139.77165, 5.0)

# Activity guesses by how one moves: (type, confidence) lists, the first the likeliest.
ACTIVITIES = {
    "still": (("STILL", 100),),
    "walk": (("ON_FOOT", 86), ("WALKING", 86), ("STILL", 8), ("UNKNOWN", 5)),
    "bike": (("ON_BICYCLE", 77), ("IN_VEHICLE", 10), ("ON_FOOT", 7), ("UNKNOWN", 6)),
    "bus": (("IN_VEHICLE", 81), ("IN_ROAD_VEHICLE", 81), ("IN_BUS", 52), ("STILL", 10), ("UNKNOWN", 9)),
    "train": (("IN_VEHICLE", 74), ("IN_RAIL_VEHICLE", 74), ("STILL", 14), ("UNKNOWN", 12)),
}
SPEED = {"walk": (1.1, 1.6), "bike": (3.8, 5.5), "bus": (6.0, 11.0), "train": (14.0, 27.0)}  # m/s
ACTIVITY_SHARE = 0.25
PHONES = ((-1146396317, 26), (1873402251, 28))  # (deviceTag, Android osLevel) before and after the change
PHONE_CHANGE_DAY = 700
OS_UPDATES = ((1100, 29), (1300, 30))  # (day, osLevel) on the second phone


@dataclass(frozen=True)
class Point:
    ms: int  # epoch milliseconds
    lat_e7: int
    lon_e7: int
    accuracy: int
    velocity: int | None = None
    heading: int | None = None
    altitude: int | None = None
    vertical_accuracy: int | None = None
    activity: tuple[tuple[int, tuple[tuple[str, int], ...]], ...] = ()  # ((epoch ms, ((type, confidence), …)), …)
    source: str = "WIFI"
    day: int = 0


# --------------------------------------------------------------------------- the movements


@dataclass(frozen=True)
class Stay:
    place: tuple[float, float, float]
    until: int  # local seconds since FIRST_DAY midnight


@dataclass(frozen=True)
class Move:
    route: tuple[tuple[float, float, float], ...]
    mode: str
    until: int


def _metres(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    dy = (b[0] - a[0]) * 111_320
    dx = (b[1] - a[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def _route_seconds(route: tuple[tuple[float, float, float], ...], mode: str) -> int:
    metres = sum(_metres(a, b) for a, b in zip(route, route[1:], strict=False))
    low, high = SPEED[mode]
    return max(120, int(metres / ((low + high) / 2) * 1.15))


def _day_plan(rng: random.Random, day: int) -> Iterator[Stay | Move]:
    """One day's stays and moves, from local midnight (at home) to the next midnight (at home)."""
    base = day * DAY
    weekday = (FIRST_DAY + timedelta(days=day)).weekday()
    plan: list[tuple[str, tuple, int]] = []  # (kind, place or route and mode, duration s)

    def go(route: tuple[tuple[float, float, float], ...], mode: str) -> None:
        plan.append(("move", (route, mode), int(_route_seconds(route, mode) * rng.uniform(0.9, 1.2))))

    def stay(place: tuple[float, float, float], seconds: int) -> None:
        plan.append(("stay", place, seconds))

    if weekday < 5 and rng.random() > 0.04:  # a working day (now and then a day off)
        leave = int(rng.gauss(7 * 3600 + 40 * 60, 900))
        stay(HOME, leave)
        if weekday in (0, 2, 3):  # the office in Akihabara
            go((HOME, STATION), "walk")
            stay(STATION, rng.randint(120, 420))
            go(TX, "train")
            go((TX[-1], AKIHABARA_OFFICE), "walk")
            stay(AKIHABARA_OFFICE, int(rng.gauss(9.2 * 3600, 1800)))
            go((AKIHABARA_OFFICE, TX[-1]), "walk")
            stay(TX[-1], rng.randint(60, 480))
            go(tuple(reversed(TX)), "train")
        else:
            go((HOME, STATION, OFFICE_LOCAL), "walk")
            stay(OFFICE_LOCAL, int(rng.gauss(9.0 * 3600, 1800)))
            go((OFFICE_LOCAL, STATION), "walk")
        if rng.random() < 0.3:
            go((STATION, MALL), "walk")
            stay(MALL, rng.randint(1800, 5400))
            go((MALL, HOME), "walk")
        else:
            go((STATION, HOME), "walk")
    else:  # a weekend or a day off
        stay(HOME, int(rng.gauss(10 * 3600, 3600)))
        outings = rng.choices((0, 1, 2), (0.2, 0.55, 0.25))[0]
        for _ in range(outings):
            where = rng.random()
            if where < 0.4:
                go((HOME, MALL), "walk")
                stay(MALL, rng.randint(2400, 9000))
                go((MALL, HOME), "walk")
            elif where < 0.7:
                go((HOME, PARK), "bike")
                stay(PARK, rng.randint(1800, 7200))
                go((PARK, HOME), "bike")
            else:
                go((HOME, STATION), "walk")
                go((STATION, KASHIWA), "bus")
                stay(KASHIWA, rng.randint(3600, 12600))
                go((KASHIWA, STATION), "bus")
                go((STATION, HOME), "walk")
            stay(HOME, rng.randint(1200, 5400))
    t = base
    for kind, what, seconds in plan:
        t += max(60, seconds)
        if t >= base + DAY - 1800:  # a long day: home for the night, whatever was left
            break
        yield Stay(what, t) if kind == "stay" else Move(*what, until=t)
    yield Stay(HOME, base + DAY)


def _bearing(a: tuple[float, float, float], b: tuple[float, float, float]) -> int:
    dy = b[0] - a[0]
    dx = (b[1] - a[1]) * math.cos(math.radians(a[0]))
    return int(math.degrees(math.atan2(dx, dy))) % 360


def _along(route: tuple[tuple[float, float, float], ...], fraction: float) -> tuple[tuple[float, float, float], int]:
    """The position at `fraction` of the route's length, and the heading there."""
    lengths = [_metres(a, b) for a, b in zip(route, route[1:], strict=False)]
    goal = fraction * sum(lengths)
    for (a, b), length in zip(zip(route, route[1:], strict=False), lengths, strict=True):
        if goal <= length or b is route[-1]:
            f = min(1.0, goal / length) if length else 1.0
            return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f), _bearing(a, b)
        goal -= length
    raise AssertionError("unreachable")


def _activity(rng: random.Random, ms: int, mode: str) -> tuple[tuple[int, tuple[tuple[str, int], ...]], ...]:
    guesses = ACTIVITIES[mode]
    entries = []
    for _ in range(2 if rng.random() < 0.06 else 1):
        kept = tuple((kind, max(1, min(100, confidence + rng.randint(-6, 6)))) if confidence < 100 else (kind, 100)
                     for kind, confidence in guesses[: rng.randint(1, len(guesses))])
        entries.append((ms + rng.randint(-40_000, 25_000), kept))
    return tuple(sorted(entries))


def iter_points(seed: int = DEFAULT_SEED) -> Iterator[Point]:
    """An endless, time-ordered stream of points (stop it where you like)."""
    rng = random.Random(f"{seed}:location")
    epoch = int(datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=JST).timestamp())
    cursor = 0  # local seconds since FIRST_DAY midnight of the next point
    start = 0
    day = 0
    while True:
        for segment in _day_plan(rng, day):
            if isinstance(segment, Stay):
                lat, lon, alt = segment.place
                while cursor < segment.until:
                    ms = (epoch + cursor) * 1000 + rng.randint(0, 999)
                    if rng.random() < 0.05:  # a coarse cell fix
                        accuracy, spread, source = rng.randint(400, 1800), 300.0, "CELL"
                    else:
                        accuracy, spread, source = rng.randint(9, 45), 12.0, "WIFI"
                    gps = source == "WIFI" and rng.random() < 0.12
                    activity = _activity(rng, ms, "still") if rng.random() < ACTIVITY_SHARE else ()
                    yield Point(ms, round((lat + rng.gauss(0, spread) / 111_320) * 1e7),
                                round((lon + rng.gauss(0, spread) / 90_200) * 1e7), accuracy,
                                altitude=round(alt + rng.gauss(0, 6)) if gps else None,
                                vertical_accuracy=rng.randint(2, 12) if gps else None,
                                activity=activity, source="GPS" if gps else source, day=cursor // DAY)
                    cursor += rng.randint(40, 220)
            else:
                low, high = SPEED[segment.mode]
                while cursor < segment.until:
                    fraction = (cursor - start) / max(1, segment.until - start)
                    (lat, lon, alt), heading = _along(segment.route, min(1.0, max(0.0, fraction)))
                    ms = (epoch + cursor) * 1000 + rng.randint(0, 999)
                    accuracy = rng.randint(3, 16)
                    activity = _activity(rng, ms, segment.mode) if rng.random() < ACTIVITY_SHARE else ()
                    underground = segment.mode == "train" and lat < 35.713  # the TX runs underground into Akihabara
                    yield Point(ms, round((lat + rng.gauss(0, 5) / 111_320) * 1e7),
                                round((lon + rng.gauss(0, 5) / 90_200) * 1e7),
                                rng.randint(20, 65) if underground else accuracy,
                                velocity=None if underground else max(0, round(rng.uniform(low, high))),
                                heading=None if underground else (heading + rng.randint(-8, 8)) % 360,
                                altitude=None if underground else round(alt + rng.gauss(0, 3)),
                                vertical_accuracy=None if underground else rng.randint(2, 8),
                                activity=activity, source="WIFI" if underground else "GPS", day=cursor // DAY)
                    cursor += rng.randint(15, 45)
            start = segment.until
        day += 1


# --------------------------------------------------------------------------- the layouts


def _e7_point(p: Point) -> str:
    """One point of the old `Location History.json`, as Google's Jackson pretty printer wrote it (inside `[ {`)."""
    out = [f'    "timestampMs" : "{p.ms}",\n    "latitudeE7" : {p.lat_e7},\n    "longitudeE7" : {p.lon_e7},\n'
           f'    "accuracy" : {p.accuracy}']
    if p.velocity is not None:
        out.append(f',\n    "velocity" : {p.velocity}')
    if p.heading is not None:
        out.append(f',\n    "heading" : {p.heading}')
    if p.altitude is not None:
        out.append(f',\n    "altitude" : {p.altitude}')
    if p.vertical_accuracy is not None:
        out.append(f',\n    "verticalAccuracy" : {p.vertical_accuracy}')
    if p.activity:
        entries = []
        for ms, guesses in p.activity:
            kinds = "}, {\n".join(f'        "type" : "{kind}",\n        "confidence" : {confidence}\n      '
                                  for kind, confidence in guesses)
            entries.append(f'      "timestampMs" : "{ms}",\n      "activity" : [ {{\n{kinds}}} ]\n    ')
        out.append(',\n    "activity" : [ {\n' + "}, {\n".join(entries) + "} ]")
    return "".join(out) + "\n  "


def iso_time(ms: int) -> str:
    """`2019-06-01T03:12:45.123Z`, or `…45Z` when the milliseconds are 0 (Google drops them)."""
    seconds, millis = divmod(ms, 1000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{millis:03d}Z" if millis else f"{stamp}Z"


def _phone(day: int) -> tuple[int, int]:
    if day < PHONE_CHANGE_DAY:
        return PHONES[0]
    tag, level = PHONES[1]
    for since, newer in OS_UPDATES:
        if day >= since:
            level = newer
    return tag, level


def _iso_point(p: Point) -> str:
    """One point of `Records.json` (inside `[{`), keys in Google's order."""
    out = [f'    "latitudeE7": {p.lat_e7},\n    "longitudeE7": {p.lon_e7},\n    "accuracy": {p.accuracy}']
    if p.velocity is not None:
        out.append(f',\n    "velocity": {p.velocity}')
    if p.heading is not None:
        out.append(f',\n    "heading": {p.heading}')
    if p.altitude is not None:
        out.append(f',\n    "altitude": {p.altitude}')
    if p.vertical_accuracy is not None:
        out.append(f',\n    "verticalAccuracy": {p.vertical_accuracy}')
    if p.activity:
        entries = []
        for ms, guesses in p.activity:
            kinds = "}, {\n".join(f'        "type": "{kind}",\n        "confidence": {confidence}\n      '
                                  for kind, confidence in guesses)
            entries.append(f'      "activity": [{{\n{kinds}}}],\n      "timestamp": "{iso_time(ms)}"\n    ')
        out.append(',\n    "activity": [{\n' + "}, {\n".join(entries) + "}]")
    tag, level = _phone(p.day)
    local = (p.ms // 1000 + 9 * 3600) % DAY
    charging = "true" if p.source != "GPS" and (local >= 23 * 3600 or local < 7 * 3600) else "false"  # at night
    out.append(f',\n    "source": "{p.source}",\n    "deviceTag": {tag},\n    "platformType": "ANDROID",\n'
               f'    "osLevel": {level},\n    "batteryCharging": {charging},\n    "formFactor": "PHONE",\n'
               f'    "timestamp": "{iso_time(p.ms)}"\n  ')
    return "".join(out)


@dataclass
class TakeoutStats:
    points: int = 0
    layout: str = "e7"
    member: str = ""
    days: int = 0
    first: str = ""
    last: str = ""
    with_activity: int = 0
    with_velocity: int = 0
    json_bytes: int = 0
    zip_bytes: int = 0
    seed: int = DEFAULT_SEED
    seconds: float = 0.0


def _zip_info(name: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, when.hour, when.minute, when.second))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _index_html(member: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Google データ エクスポート</title></head><body>"
            f"<h1>アーカイブの概要</h1><ul><li>ロケーション履歴 (タイムライン)<ul><li>{member}</li></ul></li></ul>"
            "</body></html>\n")


def generate(path: str | Path, points: int, *, layout: str = "e7", seed: int = DEFAULT_SEED) -> TakeoutStats:
    """Write the Takeout zip to `path`; what it holds."""
    if points < 1:
        raise ValueError("points must be at least 1")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    started = time.perf_counter()
    member = E7_PATH if layout == "e7" else ISO_PATH
    stats = TakeoutStats(layout=layout, member=member, seed=seed)
    fmt, opening, separator, closing = ((_e7_point, '{\n  "locations" : [ {\n', "}, {\n", '} ]\n}') if layout == "e7"
                                        else (_iso_point, '{\n  "locations": [{\n', "}, {\n", "}]\n}\n"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The export's date stamps the zip entries, which are written before the points: a few days after the last
    # point at ~700 points a day (the exact last point is known only at the end).
    exported = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, 1, 30) + timedelta(days=points // 700 + 3)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_zip_info(INDEX_PATH, exported), _index_html(member))
        with archive.open(_zip_info(member, exported), "w", force_zip64=True) as raw:
            out = BufferedText(raw)
            out.write(opening)
            first = None
            for point in iter_points(seed):
                if stats.points:
                    out.write(separator)
                out.write(fmt(point))
                stats.points += 1
                stats.with_activity += bool(point.activity)
                stats.with_velocity += point.velocity is not None
                first = first or point
                if stats.points == points:
                    stats.first, stats.last = iso_time(first.ms), iso_time(point.ms)
                    stats.days = point.day - first.day + 1
                    break
            out.write(closing)
            out.flush()
            stats.json_bytes = out.written
        if layout == "iso":
            settings = {"createdTime": "2017-03-28T11:02:41.337Z", "modifiedTime": stats.last,
                        "hasReportedLocations": True, "hasSetRetention": False, "deviceSettings": [
                            {"deviceTag": tag, "reportingEnabled": True, "legalCountryCode": "jp",
                             "deviceSpec": {"manufacturer": maker, "brand": maker.lower(), "product": product,
                                            "device": product, "model": model, "isLowRam": False}}
                            for (tag, _level), (maker, product, model) in zip(
                                PHONES, (("Sony", "SO-01J", "SO-01J"), ("Google", "sargo", "Pixel 3a")), strict=True)]}
            archive.writestr(_zip_info(SETTINGS_PATH, exported), json.dumps(settings, indent=2, ensure_ascii=False))
    if stats.points != points:
        raise AssertionError(f"wrote {stats.points} points, not {points}")
    stats.zip_bytes = path.stat().st_size
    stats.seconds = round(time.perf_counter() - started, 2)
    return stats


def write_takeout(path: str | Path, points: int, *, layout: str = "e7", seed: int = DEFAULT_SEED) -> int:
    """Write a synthetic Takeout zip of `points` Location History points to `path`; the number written."""
    return generate(path, points, layout=layout, seed=seed).points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, required=True, help="how many location points")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write")
    parser.add_argument("--layout", choices=LAYOUTS, default="e7",
                        help="e7: `Location History.json` with timestampMs; iso: `Records.json` (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON line")
    args = parser.parse_args()
    stats = generate(args.out, args.points, layout=args.layout, seed=args.seed)
    if args.json:
        print(json.dumps(asdict(stats), ensure_ascii=False))
    else:
        print(f"{args.out}: {stats.points:,} points ({stats.layout}, {stats.member}) over {stats.days:,} days, "
              f"{stats.first} – {stats.last}; {stats.with_activity:,} with an activity; JSON "
              f"{stats.json_bytes / 2**20:.1f} MiB, zip {stats.zip_bytes / 2**20:.1f} MiB, {stats.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
