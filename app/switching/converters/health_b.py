"""`health-b/1`: a health app's importer, for exercise and event advice (docs/switching.md, "Formats").

Interchange kind → health-b type: fields (from); lost, i.e. interchange fields not carried:

- `health_record` → `sample`: `metric` (from `type`, table below), `start`, `end`, `value`, `unit`, `source`
  (source_name); lost `beats`, `created`, `device`, `family`, `metadata`, `raw_unit`, `raw_value`,
  `source_version`;
- `workout` → `exercise`: `activity` (activity_type without its `HKWorkoutActivityType` prefix, in snake case:
  `running`, `traditional_strength_training`; `other` when none), `start`, `end`, `duration_s`, `distance_m`
  (total_distance_m), `energy_kcal` (total_energy_kcal); lost `activities`, `created`, `device`, `events`,
  `metadata`, `routes`, `source_name`, `source_version`, `statistics`;
- `activity_summary` → `daily_activity`: `date`, `active_energy_kcal`, `exercise_min` (exercise_time_min),
  `stand_hours`; lost `active_energy_goal_kcal`, `exercise_time_goal_min`, `extra`, `move_time_goal_min`,
  `move_time_min`, `stand_hours_goal`.

Not taken: `ecg`, `clinical_record`, `me`, and the Google kinds. A `health_record` is taken only when its type has
a metric (`METRICS`; `metric_of(type)`, and `untaken_types(types)` lists the others for the pre-transfer report),
its value is readable (a number for a quantity; a known value for a category) and it is not 要配慮 (`sensitive`:
the heart-rhythm notifications, which have no metric anyway). Values are in the interchange's canonical units
(m, kcal, kg, s, `fraction` for %; `count`, `count/min`, `ms` … as Apple writes them) and are ints when integral.
A category's value is a word: sleep `in_bed`, `asleep`, `asleep_core`, `asleep_deep`, `asleep_rem`, `awake`;
stand hour `stood`, `idle`; its unit null.

The `health_record` dict `convert` expects is the interchange item (app/imports/schemas/health_record.json), as
`app.imports.apple_health.elements.record_dict` builds it from a stored row; `record_from_columns` builds it from
the row's named columns (`HealthRecord`: `type`, `family`, `source_name`, `start`, `end`, `value_num`,
`value_text`, `unit` …: `value` is `value_num`, else `value_text`). `convert` reads `kind`, `type`, `source_name`,
`start`, `end`, `value`, `unit`, `sensitive`; the delivered id is hashed from `type`, `source_name`, `start`,
`end`, `value`, `unit` (app/switching/sources/ids.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.imports.apple_health.elements import record_dict
from app.imports.rows import RECORD_COLUMNS
from app.switching.converters._table import Format, KindMap, Table, number, text

FORMAT = Format("health-b", 1)

_QUANTITY = "HKQuantityTypeIdentifier"
_CATEGORY = "HKCategoryTypeIdentifier"
# Apple type → health-b metric. Chosen for exercise and event advice; other types are not taken.
METRICS: dict[str, str] = {
    f"{_QUANTITY}StepCount": "steps",
    f"{_QUANTITY}DistanceWalkingRunning": "distance_walking_running",
    f"{_QUANTITY}DistanceCycling": "distance_cycling",
    f"{_QUANTITY}ActiveEnergyBurned": "active_energy",
    f"{_QUANTITY}BasalEnergyBurned": "basal_energy",
    f"{_QUANTITY}FlightsClimbed": "flights_climbed",
    f"{_QUANTITY}AppleExerciseTime": "exercise_time",
    f"{_QUANTITY}AppleStandTime": "stand_time",
    f"{_QUANTITY}HeartRate": "heart_rate",
    f"{_QUANTITY}RestingHeartRate": "resting_heart_rate",
    f"{_QUANTITY}WalkingHeartRateAverage": "walking_heart_rate_average",
    f"{_QUANTITY}HeartRateVariabilitySDNN": "heart_rate_variability_sdnn",
    f"{_QUANTITY}VO2Max": "vo2_max",
    f"{_QUANTITY}OxygenSaturation": "oxygen_saturation",
    f"{_QUANTITY}RespiratoryRate": "respiratory_rate",
    f"{_QUANTITY}BodyMass": "body_mass",
    f"{_QUANTITY}Height": "height",
    f"{_QUANTITY}BodyMassIndex": "body_mass_index",
    f"{_QUANTITY}BodyFatPercentage": "body_fat_percentage",
    f"{_CATEGORY}SleepAnalysis": "sleep",
    f"{_CATEGORY}AppleStandHour": "stand_hour",
}
# A category's values as words; a value not listed is not taken (its meaning would be a guess).
CATEGORY_VALUES: dict[str, dict[str, str]] = {
    "sleep": {
        "HKCategoryValueSleepAnalysisInBed": "in_bed",
        "HKCategoryValueSleepAnalysisAsleep": "asleep",
        "HKCategoryValueSleepAnalysisAsleepUnspecified": "asleep",
        "HKCategoryValueSleepAnalysisAsleepCore": "asleep_core",
        "HKCategoryValueSleepAnalysisAsleepDeep": "asleep_deep",
        "HKCategoryValueSleepAnalysisAsleepREM": "asleep_rem",
        "HKCategoryValueSleepAnalysisAwake": "awake",
    },
    "stand_hour": {
        "HKCategoryValueAppleStandHourStood": "stood",
        "HKCategoryValueAppleStandHourIdle": "idle",
    },
}
_WORKOUT_PREFIX = "HKWorkoutActivityType"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def metric_of(record_type: str) -> str | None:
    """The health-b metric of an Apple Health record type, or None when health-b/1 does not take that type."""
    return METRICS.get(record_type)


def untaken_types(types: Iterable[str]) -> list[str]:
    """The record types among `types` that health-b/1 does not take, sorted and each once: the report lists them."""
    return sorted({t for t in types if t not in METRICS})


def record_from_columns(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The `health_record` interchange dict of a stored row given by column name (`app.imports.rows.RECORD_COLUMNS`:
    `type`, `family`, `source_name`, `start`, `end`, `value_num`, `value_text`, `unit`, …; missing ones are None)."""
    return record_dict(tuple(columns.get(name) for name in RECORD_COLUMNS))


def _sample(item: Mapping[str, Any]) -> dict[str, Any] | None:
    metric = METRICS.get(item.get("type"))  # type: ignore[arg-type]
    if metric is None or item.get("sensitive"):
        return None
    words = CATEGORY_VALUES.get(metric)
    if words is not None:
        value: Any = words.get(item.get("value"))  # type: ignore[arg-type]
        unit = None
    else:
        value, unit = number(item.get("value")), text(item.get("unit"))
    if value is None:
        return None
    return {
        "metric": metric,
        "start": text(item.get("start")),
        "end": text(item.get("end")),
        "value": value,
        "unit": unit,
        "source": text(item.get("source_name")),
    }


def activity_name(activity_type: Any) -> str:
    """`HKWorkoutActivityTypeTraditionalStrengthTraining` → `traditional_strength_training`; `other` for none."""
    name = text(activity_type)
    if name is None:
        return "other"
    name = name.removeprefix(_WORKOUT_PREFIX) or "other"
    return _CAMEL.sub("_", name).lower()


def _exercise(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "activity": activity_name(item.get("activity_type")),
        "start": text(item.get("start")),
        "end": text(item.get("end")),
        "duration_s": number(item.get("duration_s")),
        "distance_m": number(item.get("total_distance_m")),
        "energy_kcal": number(item.get("total_energy_kcal")),
    }


def _daily_activity(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "date": text(item.get("date")),
        "active_energy_kcal": number(item.get("active_energy_kcal")),
        "exercise_min": number(item.get("exercise_time_min")),
        "stand_hours": number(item.get("stand_hours")),
    }


TABLE = Table(FORMAT, {
    "health_record": KindMap("sample", frozenset(("type", "start", "end", "value", "unit", "source_name")), _sample),
    "workout": KindMap("exercise", frozenset(("activity_type", "start", "end", "duration_s", "total_distance_m",
                                              "total_energy_kcal")), _exercise),
    "activity_summary": KindMap("daily_activity", frozenset(("date", "active_energy_kcal", "exercise_time_min",
                                                             "stand_hours")), _daily_activity),
})


def takes(kind: str) -> bool:
    """Whether health-b/1 takes items of this interchange kind (a `health_record` also needs a mapped type)."""
    return TABLE.takes(kind)


def lost_fields(kind: str) -> list[str]:
    """The interchange fields of `kind` health-b/1 does not carry (all of them for a kind it does not take)."""
    return TABLE.lost_fields(kind)


def convert(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The health-b/1 item of an interchange item (with its `kind`), or None when the format does not take it."""
    return TABLE.convert(item)
