# ruff: noqa: E501  (the XML below keeps the real files' long lines)
"""Small Apple Health exports in the real format, built in memory: the main XML (with the iOS 16+ DOCTYPE), a
workout whose route is a GPX file, an ECG CSV and a clinical record — one of each thing the import reads."""

from __future__ import annotations

import io
import zipfile

EXPORT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="ja_JP">
 <ExportDate value="2026-11-20 08:00:00 +0900"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1991-06-15" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"
  HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="花子のiPhone" sourceVersion="17.1" unit="count"
  creationDate="2026-11-19 21:00:00 +0900" startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900" value="1200"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="花子のApple Watch" sourceVersion="10.1" unit="count"
  device="&lt;&lt;HKDevice: 0x281f&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch&gt;"
  creationDate="2026-11-19 21:00:00 +0900" startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900" value="1200"/>
 <Record type="HKQuantityTypeIdentifierDistanceWalkingRunning" sourceName="花子のiPhone" unit="km"
  creationDate="2026-11-19 21:00:00 +0900" startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900" value="0.9"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="花子のApple Watch" unit="count/min"
  creationDate="2026-11-19 21:00:00 +0900" startDate="2026-11-19 08:10:00 +0900" endDate="2026-11-19 08:10:00 +0900" value="72">
  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>
 </Record>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="花子のApple Watch" value="HKCategoryValueSleepAnalysisAsleepCore"
  creationDate="2026-11-19 07:00:00 +0900" startDate="2026-11-19 01:00:00 +0900" endDate="2026-11-19 02:30:00 +0900"/>
 <Record type="HKCategoryTypeIdentifierIrregularHeartRhythmEvent" sourceName="花子のApple Watch" value="HKCategoryValueNotApplicable"
  creationDate="2026-11-18 07:00:00 +0900" startDate="2026-11-18 03:00:00 +0900" endDate="2026-11-18 04:00:00 +0900"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" creationDate="2026-11-19 07:00:00 +0900"
  startDate="2026-11-19 07:00:00 +0900" endDate="2026-11-19 07:00:00 +0900">
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg"
   startDate="2026-11-19 07:00:00 +0900" endDate="2026-11-19 07:00:00 +0900" value="118"/>
 </Correlation>
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg"
  startDate="2026-11-19 07:00:00 +0900" endDate="2026-11-19 07:00:00 +0900" value="118"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="30" durationUnit="min" sourceName="花子のApple Watch"
  creationDate="2026-11-19 18:31:00 +0900" startDate="2026-11-19 18:00:00 +0900" endDate="2026-11-19 18:30:00 +0900">
  <MetadataEntry key="HKIndoorWorkout" value="0"/>
  <WorkoutEvent type="HKWorkoutEventTypePause" date="2026-11-19 18:10:00 +0900" duration="1" durationUnit="min"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2026-11-19 18:00:00 +0900"
   endDate="2026-11-19 18:30:00 +0900" sum="2.1" unit="km"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2026-11-19 18:00:00 +0900"
   endDate="2026-11-19 18:30:00 +0900" sum="110" unit="kcal"/>
  <WorkoutRoute sourceName="花子のApple Watch" creationDate="2026-11-19 18:31:00 +0900" startDate="2026-11-19 18:00:00 +0900"
   endDate="2026-11-19 18:30:00 +0900">
   <FileReference path="/workout-routes/route_2026-11-19_6.00pm.gpx"/>
  </WorkoutRoute>
 </Workout>
 <ActivitySummary dateComponents="2026-11-19" activeEnergyBurned="320.5" activeEnergyBurnedGoal="400" activeEnergyBurnedUnit="kcal"
  appleMoveTime="0" appleMoveTimeGoal="0" appleExerciseTime="35" appleExerciseTimeGoal="30" appleStandHours="9" appleStandHoursGoal="12"/>
 <ClinicalRecord type="HKClinicalTypeIdentifierLabResultRecord" identifier="c1" sourceName="柏の葉病院" sourceURL="https://fhir.example.jp/Observation/1"
  fhirVersion="4.0.1" receivedDate="2026-10-01 10:00:00 +0900" resourceFilePath="/clinical-records/Observation-1.json"/>
</HealthData>
"""

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><name>Route 2026-11-19 6:00pm</name><trkseg>
  <trkpt lon="139.9531" lat="35.8930"><ele>12.1</ele><time>2026-11-19T09:00:00Z</time>
   <extensions><speed>1.3</speed><course>90.0</course><hAcc>3.2</hAcc><vAcc>2.1</vAcc></extensions></trkpt>
  <trkpt lon="139.9540" lat="35.8935"><ele>12.4</ele><time>2026-11-19T09:00:05Z</time>
   <extensions><speed>1.4</speed><course>91.0</course><hAcc>3.0</hAcc><vAcc>2.0</vAcc></extensions></trkpt>
 </trkseg></trk>
</gpx>
"""

ECG_CSV = """Name,柏の葉 花子
Date of Birth,1991-06-15
Recorded Date,2026-11-18 03:10:00 +0900
Classification,Sinus Rhythm
Symptoms,
Software Version,2
Device,"Watch6,1"
Sample Rate,512 hertz
,
Lead,Lead I
Unit,µV
,
-12.345
-10.2
8.75
"""

# What the import of `export_zip()` finds (interchange type → number), and what it keeps without the 要配慮 choice.
FOUND = {"health_record": 7, "workout": 1, "activity_summary": 1, "me": 1, "clinical_record": 1, "ecg": 1}
SENSITIVE = {"health_record": 1, "clinical_record": 1, "ecg": 1}


def export_zip(*, xml: str = EXPORT_XML, main_name: str = "apple_health_export/export.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(main_name, xml)
        out.writestr("apple_health_export/export_cda.xml", "<?xml version='1.0'?><ClinicalDocument/>")
        out.writestr("apple_health_export/workout-routes/route_2026-11-19_6.00pm.gpx", GPX)
        out.writestr("apple_health_export/electrocardiograms/ecg_2026-11-18.csv", ECG_CSV)
        out.writestr("apple_health_export/clinical-records/Observation-1.json", '{"resourceType": "Observation"}')
        out.writestr("__MACOSX/apple_health_export/._export.xml", b"\x00\x05\x16\x07junk")
    return buffer.getvalue()
