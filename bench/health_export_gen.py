"""A synthetic Apple Health `export.zip` of N `<Record>` elements, for the import benchmark and for tests.

    .venv/bin/python bench/health_export_gen.py --records 200000 --out /tmp/export-200k.zip [--seed 1] [--broken-dtd]

The same seed and N give the same bytes. The zip is written entry by entry through `ZipFile.open(…, "w")` (zip64),
so memory stays flat whatever N (about 20 MB). What it holds, shaped like a real iOS 17/18 export (HealthKit Export
Version 14, locale ja_JP, all dates `YYYY-MM-DD HH:MM:SS +0900`):

- `apple_health_export/export.xml`: the XML declaration, the `<!DOCTYPE HealthData [ … ]>` internal subset Apple
  ships (well formed by default; `broken_dtd=True` drops the `>` closing `<!ATTLIST Attachment`, the iOS 16+ bug
  that stops expat and lxml at the DTD), `<ExportDate>`, `<Me>`, then the Records grouped by type as Apple writes
  them (each type in time order), then the Workouts, then one `<ActivitySummary>` per day covered.
  About 1,000 records a day (N = 1,000,000 covers 1,000 days), from an iPhone, an Apple Watch (both with escaped
  `<<HKDevice: 0x…>, …>` device strings, software versions that move on over the period), the Health app
  (`ヘルスケア`) and a third-party app (Withings' Health Mate, with its vendor metadata keys):
  HeartRate (with HKMetadataKeyHeartRateMotionContext), ActiveEnergyBurned and BasalEnergyBurned (kcal), StepCount
  and DistanceWalkingRunning (km) from both phone and watch, FlightsClimbed, AppleExerciseTime / AppleStandTime
  (min), OxygenSaturation (%, as fractions), HeartRateVariabilitySDNN (ms, with a HeartRateVariabilityMetadataList of
  InstantaneousBeatsPerMinute), BodyMass (kg from the scale, lb when typed in, HKWasUserEntered), SleepAnalysis
  (categories InBed / AsleepCore / AsleepDeep / AsleepREM / Awake / AsleepUnspecified, HKTimeZone), and a few
  HKDataTypeSleepDurationGoal. About one Workout per 2,000 records (running, walking, cycling) with MetadataEntry,
  WorkoutEvent (pause / resume, segments), WorkoutStatistics and a WorkoutRoute whose FileReference names a GPX file.
- `apple_health_export/export_cda.xml`: an HL7 CDA document with the body mass and oxygen saturation samples.
- `apple_health_export/workout-routes/route_YYYY-MM-DD_H.MMam.gpx`: one GPX 1.1 track per workout (200–600 trkpt
  around 柏の葉キャンパス, times in UTC).

`write_export(path, records, seed=…)` returns the number of `<Record>` elements written (always `records`);
`generate()` returns all the counts.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO

DEFAULT_SEED = 20261127
RECORDS_PER_DAY = 1_000
RECORDS_PER_WORKOUT = 2_000
FIRST_DAY = date(2023, 4, 1)  # fixed, so a file does not depend on the day it is made
OFFSET = "+0900"
TIME_ZONE = "Asia/Tokyo"
FOLDER = "apple_health_export"
FLUSH_BYTES = 256 * 1024
DAY = 86_400
HOME = (35.8937, 139.9520)  # 柏の葉キャンパス駅

DOCTYPE = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth                   CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex                 CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType                     CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse   CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutActivity ((MetadataEntry)*)>
<!ATTLIST WorkoutActivity
  uuid                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #IMPLIED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutEvent ((MetadataEntry)*)>
<!ATTLIST WorkoutEvent
  type                 CDATA #REQUIRED
  date                 CDATA #REQUIRED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #REQUIRED
  average              CDATA #IMPLIED
  minimum              CDATA #IMPLIED
  maximum              CDATA #IMPLIED
  sum                  CDATA #IMPLIED
  unit                 CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!-- Note: Heart Rate Variability records captured by Apple Watch may include an associated list of \
instantaneous beats-per-minute readings. -->
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
<!ELEMENT ClinicalRecord EMPTY>
<!ATTLIST ClinicalRecord
  type              CDATA #REQUIRED
  identifier        CDATA #REQUIRED
  sourceName        CDATA #REQUIRED
  sourceURL         CDATA #REQUIRED
  fhirVersion       CDATA #REQUIRED
  receivedDate      CDATA #REQUIRED
  resourceFilePath  CDATA #REQUIRED
>
<!ELEMENT Audiogram ((MetadataEntry|SensitivityPoint)*)>
<!ATTLIST Audiogram
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT SensitivityPoint EMPTY>
<!ATTLIST SensitivityPoint
  frequencyValue   CDATA #REQUIRED
  frequencyUnit    CDATA #REQUIRED
  leftEarValue     CDATA #IMPLIED
  leftEarUnit      CDATA #IMPLIED
  rightEarValue    CDATA #IMPLIED
  rightEarUnit     CDATA #IMPLIED
>
<!ELEMENT VisionPrescription ((RightEye|LeftEye|Attachment|MetadataEntry)*)>
<!ATTLIST VisionPrescription
  type             CDATA #REQUIRED
  dateIssued       CDATA #REQUIRED
  expirationDate   CDATA #IMPLIED
  brand            CDATA #IMPLIED
>
<!ELEMENT RightEye EMPTY>
<!ATTLIST RightEye
  sphere           CDATA #IMPLIED
  sphereUnit       CDATA #IMPLIED
  cylinder         CDATA #IMPLIED
  cylinderUnit     CDATA #IMPLIED
  axis             CDATA #IMPLIED
  axisUnit         CDATA #IMPLIED
  add              CDATA #IMPLIED
  addUnit          CDATA #IMPLIED
  vertex           CDATA #IMPLIED
  vertexUnit       CDATA #IMPLIED
  prismAmount      CDATA #IMPLIED
  prismAmountUnit  CDATA #IMPLIED
  prismAngle       CDATA #IMPLIED
  prismAngleUnit   CDATA #IMPLIED
  farPD            CDATA #IMPLIED
  farPDUnit        CDATA #IMPLIED
  nearPD           CDATA #IMPLIED
  nearPDUnit       CDATA #IMPLIED
  baseCurve        CDATA #IMPLIED
  baseCurveUnit    CDATA #IMPLIED
  diameter         CDATA #IMPLIED
  diameterUnit     CDATA #IMPLIED
>
<!ELEMENT LeftEye EMPTY>
<!ATTLIST LeftEye
  sphere           CDATA #IMPLIED
  sphereUnit       CDATA #IMPLIED
  cylinder         CDATA #IMPLIED
  cylinderUnit     CDATA #IMPLIED
  axis             CDATA #IMPLIED
  axisUnit         CDATA #IMPLIED
  add              CDATA #IMPLIED
  addUnit          CDATA #IMPLIED
  vertex           CDATA #IMPLIED
  vertexUnit       CDATA #IMPLIED
  prismAmount      CDATA #IMPLIED
  prismAmountUnit  CDATA #IMPLIED
  prismAngle       CDATA #IMPLIED
  prismAngleUnit   CDATA #IMPLIED
  farPD            CDATA #IMPLIED
  farPDUnit        CDATA #IMPLIED
  nearPD           CDATA #IMPLIED
  nearPDUnit       CDATA #IMPLIED
  baseCurve        CDATA #IMPLIED
  baseCurveUnit    CDATA #IMPLIED
  diameter         CDATA #IMPLIED
  diameterUnit     CDATA #IMPLIED
>
<!ELEMENT Attachment EMPTY>
<!ATTLIST Attachment
  identifier       CDATA #IMPLIED
>
]>
"""
# The iOS 16+ bug (k0rventen/apple-health-grafana#14, dogsheep/healthkit-to-sqlite#24): this `>` is missing.
_ATTACHMENT_CLOSE = "  identifier       CDATA #IMPLIED\n>\n"


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    name: str
    versions: tuple[str, ...]  # the software over the period, oldest first (one per third of it)
    device: str | None = None  # the HKDevice string after the address, with `{version}`; escaped for an attribute

    def version(self, t: int, span: int) -> str:
        return self.versions[min(len(self.versions) - 1, t * len(self.versions) // max(span, 1))]

    def device_attribute(self, rng: random.Random, version: str) -> str:
        if self.device is None:
            return ""
        return (f' device="&lt;&lt;HKDevice: 0x{rng.getrandbits(36):09x}&gt;, '
                + self.device.format(version=version) + '&gt;"')


WATCH = Source("花子のApple Watch", ("9.6.3", "10.4", "11.2"),
               "name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:{version}")
PHONE = Source("花子のiPhone", ("16.6.1", "17.4.1", "18.1"),
               "name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone15,2, software:{version}")
HEALTH_APP = Source("ヘルスケア", ("16.6.1", "17.4.1", "18.1"))
HEALTH_MATE = Source("Health Mate", ("6.3.0", "6.8.1", "7.1.2"),
                     "name:Body+, manufacturer:Withings, model:WBS05, hardware:WBS05, software:{version}")
HEALTH_MATE_SLEEP = Source("Health Mate", HEALTH_MATE.versions,
                           "name:Sleep Analyzer, manufacturer:Withings, model:WSA01, hardware:WSA01, software:{version}")


# --------------------------------------------------------------------------- record types


@dataclass(frozen=True)
class Sample:
    source: Source
    start: int  # seconds since FIRST_DAY 00:00 local time
    end: int
    value: str
    unit: str | None
    children: str = ""  # XML of the child elements, each line indented by two spaces


def _spread(rng: random.Random, count: int, days: int, window_start: int, window_length: int) -> Iterator[int]:
    """`count` increasing times over `days` days, each inside [window_start, window_start + window_length) of its day."""
    for i in range(count):
        position = (i + rng.random() * 0.9) * days / count
        day = int(position)
        yield day * DAY + window_start + int((position - day) * window_length)


def _heart_rate(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    for t in _spread(rng, count, days, 0, DAY):
        hour = t % DAY // 3600
        resting = hour < 7 or hour >= 23
        bpm = max(42, int(rng.gauss(58 if resting else 78, 6 if resting else 14)))
        motion = 0 if resting or rng.random() < 0.6 else 1
        children = f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{motion}"/>\n' \
            if rng.random() < 0.85 else ""
        yield Sample(WATCH, t, t, str(bpm), "count/min", children)


def _interval_quantity(unit: str, sources: tuple[tuple[Source, float], ...], window: tuple[int, int],
                       duration: tuple[int, int], value: Callable[[random.Random, int], str]):
    def records(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
        weights = [w for _, w in sources]
        for t in _spread(rng, count, days, *window):
            source = rng.choices(sources, weights)[0][0] if len(sources) > 1 else sources[0][0]
            seconds = rng.randint(*duration)
            yield Sample(source, t, t + seconds, value(rng, seconds), unit)
    return records


def _steps(rng: random.Random, seconds: int) -> str:
    return str(max(1, int(seconds * rng.uniform(0.2, 1.8))))


def _distance_km(rng: random.Random, seconds: int) -> str:
    return f"{seconds * rng.uniform(0.00015, 0.0013):.6f}".rstrip("0").rstrip(".")


def _kcal(per_minute: tuple[float, float]) -> Callable[[random.Random, int], str]:
    return lambda rng, seconds: f"{seconds / 60 * rng.uniform(*per_minute):.3f}"


def _oxygen(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    for t in _spread(rng, count, days, 0, DAY):
        yield Sample(WATCH, t, t, f"{min(1.0, rng.gauss(0.965, 0.015)):.2f}", "%")


def _hrv(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    for t in _spread(rng, count, days, 0, DAY):
        seconds = rng.randint(55, 65)
        beats, clock = [], t % DAY + rng.random()
        base = rng.randint(55, 80)
        for _ in range(rng.randint(40, 80)):
            bpm = base + rng.randint(-6, 6)
            centis = int(clock * 100) % (DAY * 100)
            h, rest = divmod(centis, 360_000)
            m, rest = divmod(rest, 6_000)
            s, c = divmod(rest, 100)
            beats.append(f'    <InstantaneousBeatsPerMinute bpm="{bpm}" time="{h}:{m:02d}:{s:02d}.{c:02d}"/>\n')
            clock += 60 / bpm
        children = "  <HeartRateVariabilityMetadataList>\n" + "".join(beats) + "  </HeartRateVariabilityMetadataList>\n"
        yield Sample(WATCH, t, t + seconds, f"{rng.uniform(18, 95):.4f}", "ms", children)


def _body_mass(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    kg = 56.0
    for t in _spread(rng, count, days, 6 * 3600, 3 * 3600):
        kg = min(62.0, max(52.0, kg + rng.gauss(0, 0.25)))
        if rng.random() < 0.8:  # the Withings scale through Health Mate
            user = rng.randint(10_000_000, 99_999_999)
            children = (f'  <MetadataEntry key="Health Mate App Version" value="{HEALTH_MATE.version(t, days * DAY)}"/>\n'
                        f'  <MetadataEntry key="Withings User Identifier" value="{user}"/>\n'
                        f'  <MetadataEntry key="Modified Date" value="{_utc(t + 40)}"/>\n'
                        f'  <MetadataEntry key="Withings Link" value="withings-bd2://timeline/measure?userid={user}'
                        f'&amp;date={_epoch(t)}&amp;type=1"/>\n'
                        '  <MetadataEntry key="HKWasUserEntered" value="0"/>\n')
            yield Sample(HEALTH_MATE, t, t, f"{kg:.2f}", "kg", children)
        else:  # typed in on the phone, in pounds
            yield Sample(PHONE, t, t, f"{kg / 0.45359237:.1f}", "lb",
                         '  <MetadataEntry key="HKWasUserEntered" value="1"/>\n')


_SLEEP_WATCH = ("HKCategoryValueSleepAnalysisAsleepCore", "HKCategoryValueSleepAnalysisAsleepCore",
                "HKCategoryValueSleepAnalysisAsleepDeep", "HKCategoryValueSleepAnalysisAsleepREM",
                "HKCategoryValueSleepAnalysisAwake")
_TZ = f'  <MetadataEntry key="HKTimeZone" value="{TIME_ZONE}"/>\n'


def _sleep(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    for t in _spread(rng, count, days, 23 * 3600, 8 * 3600):
        roll = rng.random()
        if roll < 0.65:
            yield Sample(WATCH, t, t + rng.randint(120, 2700), rng.choice(_SLEEP_WATCH), None, _TZ)
        elif roll < 0.85:
            yield Sample(PHONE, t, t + rng.randint(1800, 5 * 3600), "HKCategoryValueSleepAnalysisInBed", None, _TZ)
        else:
            value = rng.choice(("HKCategoryValueSleepAnalysisInBed", "HKCategoryValueSleepAnalysisAsleepUnspecified"))
            yield Sample(HEALTH_MATE_SLEEP, t, t + rng.randint(1800, 4 * 3600), value, None)


def _sleep_goal(rng: random.Random, count: int, days: int) -> Iterator[Sample]:
    for t in _spread(rng, count, days, 21 * 3600, 2 * 3600):
        yield Sample(HEALTH_APP, t, t, rng.choice(("7", "7.5", "8")), "hr")


@dataclass(frozen=True)
class RecordType:
    type: str
    share: float  # of all records
    records: Callable[[random.Random, int, int], Iterator[Sample]]


DAYTIME = (7 * 3600, 15 * 3600)
WHOLE_DAY = (0, DAY)
# In the order an export lists them (Records grouped by type).
RECORD_TYPES = (
    RecordType("HKQuantityTypeIdentifierBodyMass", 0.0006, _body_mass),
    RecordType("HKQuantityTypeIdentifierHeartRate", 0.30, _heart_rate),
    RecordType("HKQuantityTypeIdentifierOxygenSaturation", 0.02, _oxygen),
    RecordType("HKQuantityTypeIdentifierStepCount", 0.12, _interval_quantity(
        "count", ((PHONE, 0.6), (WATCH, 0.4)), DAYTIME, (60, 600), _steps)),
    RecordType("HKQuantityTypeIdentifierDistanceWalkingRunning", 0.09, _interval_quantity(
        "km", ((PHONE, 0.6), (WATCH, 0.4)), DAYTIME, (60, 600), _distance_km)),
    RecordType("HKQuantityTypeIdentifierBasalEnergyBurned", 0.14, _interval_quantity(
        "kcal", ((WATCH, 1.0),), WHOLE_DAY, (120, 900), _kcal((0.85, 1.1)))),
    RecordType("HKQuantityTypeIdentifierActiveEnergyBurned", 0.22, _interval_quantity(
        "kcal", ((WATCH, 1.0),), DAYTIME, (30, 120), _kcal((0.3, 9.0)))),
    RecordType("HKQuantityTypeIdentifierFlightsClimbed", 0.015, _interval_quantity(
        "count", ((PHONE, 1.0),), DAYTIME, (60, 600), lambda rng, _s: str(rng.randint(1, 5)))),
    RecordType("HKQuantityTypeIdentifierAppleExerciseTime", 0.02, _interval_quantity(
        "min", ((WATCH, 1.0),), DAYTIME, (60, 60), lambda rng, _s: "1")),
    RecordType("HKQuantityTypeIdentifierAppleStandTime", 0.03, _interval_quantity(
        "min", ((WATCH, 1.0),), DAYTIME, (300, 300), lambda rng, _s: str(rng.randint(1, 5)))),
    RecordType("HKQuantityTypeIdentifierHeartRateVariabilitySDNN", 0.008, _hrv),
    RecordType("HKCategoryTypeIdentifierSleepAnalysis", 0.025, _sleep),
    RecordType("HKDataTypeSleepDurationGoal", 0.00002, _sleep_goal),
)


def type_counts(records: int) -> dict[str, int]:
    """How many of each type make `records` in all (largest remainder; at least one goal when records allow)."""
    total = sum(t.share for t in RECORD_TYPES)
    exact = {t.type: records * t.share / total for t in RECORD_TYPES}
    counts = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
    for name in by_remainder[: records - sum(counts.values())]:
        counts[name] += 1
    goal = "HKDataTypeSleepDurationGoal"
    if records >= 1_000 and counts[goal] == 0:
        counts[goal], counts["HKQuantityTypeIdentifierHeartRate"] = 1, counts["HKQuantityTypeIdentifierHeartRate"] - 1
    return counts


# --------------------------------------------------------------------------- dates


class Clock:
    """Seconds since FIRST_DAY 00:00 (+0900) → `YYYY-MM-DD HH:MM:SS +0900`, with the day strings cached."""

    def __init__(self, days: int) -> None:
        self.days = [(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(days + 3)]

    def __call__(self, t: int) -> str:
        day, second = divmod(t, DAY)
        hour, second = divmod(second, 3600)
        minute, second = divmod(second, 60)
        return f"{self.days[day]} {hour:02d}:{minute:02d}:{second:02d} {OFFSET}"


_EPOCH_FIRST_DAY = int((FIRST_DAY - date(1970, 1, 1)).total_seconds()) - 9 * 3600


def _epoch(t: int) -> int:
    return _EPOCH_FIRST_DAY + t


def _utc(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(_epoch(t)))


def _iso_utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_epoch(int(t))))


# --------------------------------------------------------------------------- workouts


@dataclass(frozen=True)
class WorkoutSpec:
    index: int
    activity: str
    start: int
    seconds: int
    paused: int
    route: str  # file name in workout-routes/
    points: int
    seed: str


_ACTIVITIES = (("HKWorkoutActivityTypeRunning", 0.45, (1200, 3600), 2.8),
               ("HKWorkoutActivityTypeWalking", 0.35, (1200, 5400), 1.3),
               ("HKWorkoutActivityTypeCycling", 0.20, (1800, 7200), 5.5))
_SPEED = {name: speed for name, _, _, speed in _ACTIVITIES}


def _route_name(clock: Clock, t: int, taken: set[str]) -> str:
    day, second = divmod(t, DAY)
    hour, minute = second // 3600, second % 3600 // 60
    suffix = "am" if hour < 12 else "pm"
    name = f"route_{clock.days[day]}_{(hour % 12) or 12}.{minute:02d}{suffix}"
    candidate, n = name + ".gpx", 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}.gpx"
    taken.add(candidate)
    return candidate


def plan_workouts(seed: int, workouts: int, days: int, clock: Clock) -> list[WorkoutSpec]:
    rng = random.Random(f"{seed}:workouts")
    specs, taken = [], set()
    for i in range(workouts):
        day = min(days - 1, int((i + rng.random() * 0.8) * days / workouts))
        hour_start = rng.choice((6 * 3600, 7 * 3600, 17 * 3600, 18 * 3600))
        start = day * DAY + hour_start + rng.randint(0, 3599)
        name, _, (low, high), _ = rng.choices(_ACTIVITIES, [a[1] for a in _ACTIVITIES])[0]
        seconds = rng.randint(low, high)
        paused = rng.choice((0, 0, 0, rng.randint(30, 300)))
        specs.append(WorkoutSpec(i, name, start, seconds, paused, _route_name(clock, start, taken),
                                 rng.randint(200, 600), f"{seed}:route:{i}"))
    return specs


def _num(value: float) -> str:
    return repr(round(value, 6))


def _workout_xml(spec: WorkoutSpec, clock: Clock, span: int) -> str:
    rng = random.Random(f"{spec.seed}:xml")
    version = WATCH.version(spec.start, span)
    device = WATCH.device_attribute(rng, version)
    start, end = spec.start, spec.start + spec.seconds + spec.paused
    minutes = spec.seconds / 60
    km = spec.seconds * _SPEED[spec.activity] * rng.uniform(0.85, 1.15) / 1000
    active = minutes * {"HKWorkoutActivityTypeRunning": 10.5, "HKWorkoutActivityTypeWalking": 4.2}.get(spec.activity, 8.0)
    basal = minutes * rng.uniform(0.9, 1.05)
    hr_avg = rng.uniform(95, 160) if spec.activity != "HKWorkoutActivityTypeWalking" else rng.uniform(85, 115)
    s, e = clock(start), clock(end)
    lines = [f' <Workout workoutActivityType="{spec.activity}" duration="{_num(minutes)}" durationUnit="min" '
             f'sourceName="{WATCH.name}" sourceVersion="{version}"{device} creationDate="{clock(end + 14)}" '
             f'startDate="{s}" endDate="{e}">\n',
             '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n',
             f'  <MetadataEntry key="HKTimeZone" value="{TIME_ZONE}"/>\n',
             f'  <MetadataEntry key="HKWeatherTemperature" value="{rng.uniform(35, 90):.0f} degF"/>\n',
             f'  <MetadataEntry key="HKWeatherHumidity" value="{rng.randint(30, 95)} %"/>\n',
             f'  <MetadataEntry key="HKElevationAscended" value="{rng.randint(200, 9000)} cm"/>\n',
             f'  <MetadataEntry key="HKAverageMETs" value="{rng.uniform(3, 11):.5f} kcal/hr·kg"/>\n']
    if spec.paused:
        pause = start + spec.seconds // 2
        lines.append(f'  <WorkoutEvent type="HKWorkoutEventTypePause" date="{clock(pause)}"/>\n')
        lines.append(f'  <WorkoutEvent type="HKWorkoutEventTypeResume" date="{clock(pause + spec.paused)}"/>\n')
    segment, t = 600, start
    while t + segment <= end:
        lines.append(f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{clock(t)}" '
                     f'duration="{segment / 60:.4f}" durationUnit="min"/>\n')
        t += segment
    distance_type = ("HKQuantityTypeIdentifierDistanceCycling" if spec.activity == "HKWorkoutActivityTypeCycling"
                     else "HKQuantityTypeIdentifierDistanceWalkingRunning")
    stats = [("HKQuantityTypeIdentifierActiveEnergyBurned", f'sum="{_num(active)}" unit="kcal"'),
             ("HKQuantityTypeIdentifierBasalEnergyBurned", f'sum="{_num(basal)}" unit="kcal"'),
             (distance_type, f'sum="{_num(km)}" unit="km"'),
             ("HKQuantityTypeIdentifierHeartRate",
              f'average="{_num(hr_avg)}" minimum="{int(hr_avg * 0.7)}" maximum="{int(hr_avg * 1.2)}" unit="count/min"')]
    if spec.activity != "HKWorkoutActivityTypeCycling":
        stats.append(("HKQuantityTypeIdentifierStepCount", f'sum="{int(minutes * rng.uniform(90, 170))}" unit="count"'))
    for kind, values in stats:
        lines.append(f'  <WorkoutStatistics type="{kind}" startDate="{s}" endDate="{e}" {values}/>\n')
    sync_id = uuid.UUID(int=rng.getrandbits(128)).hex.upper()
    lines += [f'  <WorkoutRoute sourceName="{WATCH.name}" sourceVersion="{version}" creationDate="{clock(end + 20)}" '
              f'startDate="{s}" endDate="{e}">\n',
              '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n',
              f'   <MetadataEntry key="HKMetadataKeySyncIdentifier" value="{sync_id}"/>\n',
              f'   <FileReference path="/workout-routes/{spec.route}"/>\n',
              '  </WorkoutRoute>\n',
              ' </Workout>\n']
    return "".join(lines)


def _gpx(spec: WorkoutSpec) -> str:
    rng = random.Random(spec.seed)
    lat, lon = HOME[0] + rng.uniform(-0.01, 0.01), HOME[1] + rng.uniform(-0.01, 0.01)
    heading, ele = rng.uniform(0, 2 * math.pi), rng.uniform(10, 25)
    step = (spec.seconds + spec.paused) / spec.points
    speed = _SPEED[spec.activity]
    points = []
    for i in range(spec.points):
        heading += rng.gauss(0, 0.25)
        v = max(0.1, rng.gauss(speed, speed * 0.15))
        lat += math.cos(heading) * v * step / 111_000
        lon += math.sin(heading) * v * step / 90_000
        ele += rng.gauss(0, 0.3)
        points.append(f'      <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{ele:.6f}</ele>'
                      f'<time>{_iso_utc(spec.start + i * step)}</time><extensions><speed>{v:.6f}</speed>'
                      f'<course>{math.degrees(heading) % 360:.6f}</course><hAcc>{rng.uniform(1.5, 12):.6f}</hAcc>'
                      f'<vAcc>{rng.uniform(1.2, 8):.6f}</vAcc></extensions></trkpt>\n')
    title = spec.route.removeprefix("route_").removesuffix(".gpx").replace("_", " ").replace(".", ":", 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.topografix.com/GPX/1/1 '
            'http://www.topografix.com/GPX/1/1/gpx.xsd">\n'
            f'  <metadata>\n    <time>{_iso_utc(spec.start + spec.seconds + spec.paused + 20)}</time>\n  </metadata>\n'
            f'  <trk>\n    <name>Route {title}</name>\n    <trkseg>\n' + "".join(points)
            + '    </trkseg>\n  </trk>\n</gpx>\n')


# --------------------------------------------------------------------------- writing


class BufferedText:
    """UTF-8 text into a binary zip entry, in chunks of FLUSH_BYTES (also used by takeout_location_gen)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.parts, self.size, self.written = raw, [], 0, 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        data = "".join(self.parts).encode()
        self.raw.write(data)
        self.written += len(data)
        self.parts, self.size = [], 0


def _record_xml(record_type: str, sample: Sample, clock: Clock, rng: random.Random, span: int) -> str:
    source = sample.source
    version = source.version(sample.start, span)
    unit = f' unit="{sample.unit}"' if sample.unit is not None else ""
    head = (f' <Record type="{record_type}" sourceName="{source.name}" sourceVersion="{version}"'
            f'{source.device_attribute(rng, version)}{unit} creationDate="{clock(sample.end + rng.randint(1, 900))}" '
            f'startDate="{clock(sample.start)}" endDate="{clock(sample.end)}" value="{sample.value}"')
    if not sample.children:
        return head + "/>\n"
    return head + ">\n" + sample.children + " </Record>\n"


@dataclass
class ExportStats:
    records: int = 0
    workouts: int = 0
    routes: int = 0
    route_points: int = 0
    activity_summaries: int = 0
    days: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    xml_bytes: int = 0
    zip_bytes: int = 0
    seed: int = DEFAULT_SEED
    broken_dtd: bool = False
    seconds: float = 0.0


def _zip_info(name: str, when: date) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, 8, 10, 4))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def generate(path: str | Path, records: int, seed: int = DEFAULT_SEED, *, broken_dtd: bool = False,
             records_per_day: int = RECORDS_PER_DAY) -> ExportStats:
    """Write the export zip to `path`; every count of what it holds."""
    if records < 1:
        raise ValueError("records must be at least 1")
    started = time.perf_counter()
    days = max(1, math.ceil(records / records_per_day))
    span = days * DAY
    clock = Clock(days)
    counts = type_counts(records)
    workouts = plan_workouts(seed, max(1, round(records / RECORDS_PER_WORKOUT)), days, clock)
    exported = FIRST_DAY + timedelta(days=days + 1)  # after the last night's sleep has ended
    stats = ExportStats(days=days, seed=seed, broken_dtd=broken_dtd, by_type={k: v for k, v in counts.items() if v})
    doctype = DOCTYPE.replace(_ATTACHMENT_CLOSE, "  identifier       CDATA #IMPLIED\n") if broken_dtd else DOCTYPE
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder in (f"{FOLDER}/", f"{FOLDER}/workout-routes/"):
            info = _zip_info(folder, exported)
            info.compress_type, info.external_attr = zipfile.ZIP_STORED, (0o40755 << 16) | 0x10
            archive.writestr(info, b"")
        with archive.open(_zip_info(f"{FOLDER}/export.xml", exported), "w", force_zip64=True) as raw:
            out = BufferedText(raw)
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n' + doctype)
            out.write('<HealthData locale="ja_JP">\n'
                      f' <ExportDate value="{exported.isoformat()} 08:10:04 {OFFSET}"/>\n'
                      ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1988-04-12" '
                      'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
                      'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeAPositive" '
                      'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" '
                      'HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n')
            for kind in RECORD_TYPES:
                count = counts[kind.type]
                if not count:
                    continue
                rng = random.Random(f"{seed}:{kind.type}")
                attributes = random.Random(f"{seed}:{kind.type}:attributes")
                for sample in kind.records(rng, count, days):
                    out.write(_record_xml(kind.type, sample, clock, attributes, span))
                    stats.records += 1
            for spec in workouts:
                out.write(_workout_xml(spec, clock, span))
                stats.workouts += 1
            rng = random.Random(f"{seed}:activity")
            for day in range(days):
                out.write(f' <ActivitySummary dateComponents="{clock.days[day]}" '
                          f'activeEnergyBurned="{rng.uniform(180, 950):.3f}" activeEnergyBurnedGoal="450" '
                          f'activeEnergyBurnedUnit="kcal" appleMoveTime="0" appleMoveTimeGoal="0" '
                          f'appleExerciseTime="{rng.randint(0, 95)}" appleExerciseTimeGoal="30" '
                          f'appleStandHours="{rng.randint(5, 16)}" appleStandHoursGoal="12"/>\n')
                stats.activity_summaries += 1
            out.write("</HealthData>\n")
            out.flush()
            stats.xml_bytes = out.written
        with archive.open(_zip_info(f"{FOLDER}/export_cda.xml", exported), "w", force_zip64=True) as raw:
            _write_cda(BufferedText(raw), seed, counts, days, clock, exported)
        for spec in workouts:
            archive.writestr(_zip_info(f"{FOLDER}/workout-routes/{spec.route}", exported), _gpx(spec).encode())
            stats.routes += 1
            stats.route_points += spec.points
    if stats.records != records:
        raise AssertionError(f"wrote {stats.records} records, not {records}")
    stats.zip_bytes = path.stat().st_size
    stats.seconds = round(time.perf_counter() - started, 2)
    return stats


_CDA_TYPES = {"HKQuantityTypeIdentifierBodyMass": ("29463-7", "Body weight"),
              "HKQuantityTypeIdentifierOxygenSaturation": ("59408-5", "Oxygen saturation")}


def _cda_time(clock: Clock, t: int) -> str:
    """`20230401071233+0900`: a CDA timestamp."""
    day, second = divmod(t, DAY)
    return f"{clock.days[day].replace('-', '')}{second // 3600:02d}{second % 3600 // 60:02d}{second % 60:02d}{OFFSET}"


def _write_cda(out: BufferedText, seed: int, counts: dict[str, int], days: int, clock: Clock, exported: date) -> None:
    """export_cda.xml: the vital signs Apple copies into a CDA document (here: body mass and oxygen saturation)."""
    stamp = exported.strftime("%Y%m%d") + "081004" + OFFSET
    out.write('<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="CDA.xsl"?>\n'
              '<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="urn:hl7-org:v3 ../../../CDA%20R2/cda-schemas-and-samples/infrastructure/cda/CDA.xsd" '
              'xmlns:voc="urn:hl7-org:v3/voc" xmlns:sdtc="urn:hl7-org:sdtc" classCode="DOCCLIN" moodCode="EVN">\n'
              ' <realmCode code="US"/>\n <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>\n'
              ' <templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>\n'
              ' <id extension="Health Export CDA" root="1.1.1.1.1.1.1.1.1"/>\n'
              ' <code codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC" code="34109-9" displayName="Note"/>\n'
              f' <title>Health Data Export</title>\n <effectiveTime value="{stamp}"/>\n'
              ' <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>\n <languageCode code="ja-JP"/>\n'
              ' <recordTarget>\n  <patientRole>\n   <id extension="Health Export" root="1.1.1.1.1.1.1.1.2"/>\n'
              '   <patient>\n    <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>\n'
              '    <birthTime value="19880412"/>\n   </patient>\n  </patientRole>\n </recordTarget>\n'
              ' <component>\n  <structuredBody>\n   <component>\n    <section>\n'
              '     <templateId root="2.16.840.1.113883.10.20.22.2.4.1"/>\n'
              '     <code code="8716-3" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC" '
              'displayName="Vital Signs"/>\n     <title>Vital Signs</title>\n     <text/>\n')
    span = days * DAY
    for kind in RECORD_TYPES:
        if kind.type not in _CDA_TYPES or not counts[kind.type]:
            continue
        code, name = _CDA_TYPES[kind.type]
        rng = random.Random(f"{seed}:{kind.type}")
        ids = random.Random(f"{seed}:{kind.type}:cda")
        for sample in kind.records(rng, counts[kind.type], days):
            low, high = _cda_time(clock, sample.start), _cda_time(clock, sample.end)
            out.write('     <entry typeCode="DRIV">\n      <organizer classCode="CLUSTER" moodCode="EVN">\n'
                      '       <templateId root="2.16.840.1.113883.10.20.22.4.26"/>\n'
                      f'       <id root="{uuid.UUID(int=ids.getrandbits(128))}"/>\n'
                      '       <statusCode code="completed"/>\n'
                      f'       <effectiveTime>\n        <low value="{low}"/>\n        <high value="{high}"/>\n'
                      '       </effectiveTime>\n       <component>\n'
                      '        <observation classCode="OBS" moodCode="EVN">\n'
                      '         <templateId root="2.16.840.1.113883.10.20.22.4.27"/>\n'
                      f'         <id root="{uuid.UUID(int=ids.getrandbits(128))}"/>\n'
                      f'         <code code="{code}" codeSystem="2.16.840.1.113883.6.1" codeSystemName="LOINC" '
                      f'displayName="{name}"/>\n'
                      f'         <text>\n          <sourceName>{sample.source.name}</sourceName>\n'
                      f'          <sourceVersion>{sample.source.version(sample.start, span)}</sourceVersion>\n'
                      f'          <value>{sample.value}</value>\n          <type>{kind.type}</type>\n'
                      f'          <unit>{sample.unit}</unit>\n         </text>\n'
                      '         <statusCode code="completed"/>\n'
                      f'         <effectiveTime>\n          <low value="{low}"/>\n          <high value="{high}"/>\n'
                      '         </effectiveTime>\n'
                      f'         <value xsi:type="PQ" value="{sample.value}" unit="{sample.unit}"/>\n'
                      '        </observation>\n       </component>\n      </organizer>\n     </entry>\n')
    out.write('    </section>\n   </component>\n  </structuredBody>\n </component>\n</ClinicalDocument>\n')
    out.flush()


def write_export(path: str | Path, records: int, seed: int = DEFAULT_SEED, *, broken_dtd: bool = False) -> int:
    """Write a synthetic Apple Health export.zip of `records` <Record> elements to `path`; the number written."""
    return generate(path, records, seed, broken_dtd=broken_dtd).records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, required=True, help="how many <Record> elements")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--broken-dtd", action="store_true", help="the iOS 16+ DTD without the `>` after ATTLIST Attachment")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON line")
    args = parser.parse_args()
    stats = generate(args.out, args.records, args.seed, broken_dtd=args.broken_dtd)
    if args.json:
        print(json.dumps(asdict(stats), ensure_ascii=False))
    else:
        print(f"{args.out}: {stats.records:,} records over {stats.days:,} days, {stats.workouts:,} workouts "
              f"({stats.route_points:,} route points), {stats.activity_summaries:,} activity summaries; "
              f"export.xml {stats.xml_bytes / 2**20:.1f} MiB, zip {stats.zip_bytes / 2**20:.1f} MiB, {stats.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
