"""What each refusal code means, for the resident (Japanese and English through Flask-Babel)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

REFUSALS = {
    # the archive (app/imports/archive.py)
    "not_zip": _l("This file is not a zip archive or an Apple Health export. Choose the export.zip made by the Health app."),
    "corrupt": _l("The archive is damaged or incomplete. Make the export again on your iPhone and upload the new file."),
    "too_many_entries": _l("The archive holds too many files to be an Apple Health export."),
    "path": _l("The archive contains file names that point outside it. It was not read, for your safety."),
    "symlink": _l("The archive contains links to other files. It was not read, for your safety."),
    "encrypted": _l("The archive is password-protected. Upload the export without a password."),
    "ratio": _l("The archive, or a file in it, expands far more than real exports do (a “zip bomb”). It was not read."),
    "too_large": _l("The archive expands to more than 8 GB. It was not read."),
    # the XML (app/imports/apple_health/)
    "not_found": _l("No Apple Health data was found in the archive (export.xml is missing)."),
    "prolog": _l("The start of the export file is damaged. Make the export again and upload the new file."),
    "encoding": _l("The export file is in an encoding Azukari cannot read (UTF-16)."),
    "entity": _l("The export file uses XML entities, which Azukari never expands. It was not read, for your safety."),
    "xml": _l("The export file is damaged or cut short. Make the export again and upload the new file."),
    "not_health_data": _l("This XML file is not an Apple Health export."),
    # the import
    "empty": _l("The export holds no health data."),
    "internal": _l("Azukari could not finish reading the export. Nothing was kept; please try again later."),
    "not_supported": _l("This file is not an export Azukari can read. Choose a file from Apple Health or Google."),
    "json": _l("The file is not valid JSON (it may be cut short). Export it again and upload the new file."),
    "ics": _l("The calendar file is damaged. Export it again and upload the new file."),
    "html": _l("The history page is damaged. Export it again and upload the new file."),
    "not_location": _l("This JSON file is not a Location History or Timeline export."),
    "not_watch_history": _l("This file is not a YouTube watch history."),
    "not_my_activity": _l("This file is not a My Activity export."),
    "not_profile": _l("This file is not a Google profile or subscription list."),
    "not_calendar": _l("This file is not a calendar (.ics)."),
    "not_blogger": _l("This XML file is not a Blogger export."),
}


def refusal_message(code: str | None) -> str:
    return str(REFUSALS.get(code or "", REFUSALS["internal"]))


STATUS_LABELS = {
    "uploading": _l("Uploading"),
    "queued": _l("Waiting to be read"),
    "reading": _l("Reading"),
    "done": _l("Kept"),
    "failed": _l("Not read"),
    "canceled": _l("Stopped"),
}

# Interchange types (docs/interchange.md), as the resident reads them.
KIND_LABELS = {
    "health_record": _l("Health records"),
    "workout": _l("Workouts"),
    "activity_summary": _l("Activity rings (days)"),
    "me": _l("Profile"),
    "ecg": _l("ECG recordings"),
    "clinical_record": _l("Clinical records"),
    "location_point": _l("Location points"),
    "place_visit": _l("Places visited"),
    "activity_segment": _l("Trips"),
    "watch_event": _l("Videos watched"),
    "calendar_event": _l("Calendar events"),
    "post": _l("Blog posts and pages"),
    "comment": _l("Blog comments"),
    "my_activity": _l("Activity records"),
    "profile": _l("Profile"),
    "interest": _l("Interests and subscriptions"),
}

# The file formats of a Google export (app/imports/google/takeout.py), as the resident reads them.
FORMAT_LABELS = {
    "location_history": _l("Location History / Timeline"),
    "watch_history": _l("YouTube and YouTube Music history"),
    "my_activity": _l("My Activity"),
    "profile": _l("Profile and interests"),
    "calendar": _l("Calendar"),
    "blogger": _l("Blogger"),
}

# The record types residents meet most; others are shown by their identifier without the HealthKit prefix.
TYPE_LABELS = {
    "HKQuantityTypeIdentifierStepCount": _l("Steps"),
    "HKQuantityTypeIdentifierHeartRate": _l("Heart rate"),
    "HKQuantityTypeIdentifierRestingHeartRate": _l("Resting heart rate"),
    "HKQuantityTypeIdentifierWalkingHeartRateAverage": _l("Walking heart rate"),
    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": _l("Heart rate variability"),
    "HKQuantityTypeIdentifierDistanceWalkingRunning": _l("Walking and running distance"),
    "HKQuantityTypeIdentifierDistanceCycling": _l("Cycling distance"),
    "HKQuantityTypeIdentifierActiveEnergyBurned": _l("Active energy"),
    "HKQuantityTypeIdentifierBasalEnergyBurned": _l("Resting energy"),
    "HKQuantityTypeIdentifierBodyMass": _l("Weight"),
    "HKQuantityTypeIdentifierHeight": _l("Height"),
    "HKQuantityTypeIdentifierBodyMassIndex": _l("Body mass index"),
    "HKQuantityTypeIdentifierBodyFatPercentage": _l("Body fat"),
    "HKQuantityTypeIdentifierOxygenSaturation": _l("Blood oxygen"),
    "HKQuantityTypeIdentifierFlightsClimbed": _l("Flights climbed"),
    "HKQuantityTypeIdentifierAppleExerciseTime": _l("Exercise minutes"),
    "HKQuantityTypeIdentifierAppleStandTime": _l("Stand minutes"),
    "HKQuantityTypeIdentifierBloodPressureSystolic": _l("Blood pressure (systolic)"),
    "HKQuantityTypeIdentifierBloodPressureDiastolic": _l("Blood pressure (diastolic)"),
    "HKQuantityTypeIdentifierBloodGlucose": _l("Blood glucose"),
    "HKQuantityTypeIdentifierRespiratoryRate": _l("Respiratory rate"),
    "HKQuantityTypeIdentifierVO2Max": _l("Cardio fitness (VO2 max)"),
    "HKQuantityTypeIdentifierDietaryEnergyConsumed": _l("Dietary energy"),
    "HKCategoryTypeIdentifierSleepAnalysis": _l("Sleep"),
    "HKCategoryTypeIdentifierMindfulSession": _l("Mindful minutes"),
    "HKCategoryTypeIdentifierAppleStandHour": _l("Stand hours"),
    "HKCategoryTypeIdentifierIrregularHeartRhythmEvent": _l("Irregular rhythm notifications"),
    "HKCategoryTypeIdentifierHighHeartRateEvent": _l("High heart rate notifications"),
    "HKCategoryTypeIdentifierLowHeartRateEvent": _l("Low heart rate notifications"),
    "HKDataTypeSleepDurationGoal": _l("Sleep goal"),
}

# Warnings of the parser (their `code`), as the resident reads them; the count goes after.
WARNING_LABELS = {
    "control_characters_removed": _l("Characters not allowed in XML were removed"),
    "external_dtd_removed": _l("A reference to an outside document was removed (never opened)"),
    "entity_declarations_removed": _l("Entity declarations were removed (never expanded)"),
    "percent_above_one": _l("Percentages written above 1 (over one hundred percent) were kept as written"),
    "route_file_missing": _l("Workout routes whose GPX file is missing"),
    "route_file_unreadable": _l("Workout routes whose GPX file could not be read"),
    "ecg_too_large": _l("ECG files too large to read"),
    "ecg_without_samples": _l("ECG files without samples"),
    "ecg_date_unreadable": _l("ECG recordings with an unreadable date"),
}
UNKNOWN_WARNING = _l("Parts that could not be read and were skipped")
OTHER_FILES = _l("other files of the export (photos, settings …)")
