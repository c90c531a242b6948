"""What the resident reads about a transfer: its states and the patterns, in their words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.switching.models import JobState

STATE_LABELS = {
    JobState.NEW: _l("Collecting your data"),
    JobState.AWAITING_SOURCE: _l("Waiting for the old service to send your data"),
    JobState.EXPORTING: _l("Reading your data at the old service"),
    JobState.CONVERTING: _l("Converting your data for the new service"),
    JobState.COLLECTED: _l("Ready to check and send"),
    JobState.DELIVERING: _l("Sending"),
    JobState.PAUSED: _l("Paused: the new service is full"),
    JobState.READY: _l("Waiting for the new service to fetch your data"),
    JobState.VERIFYING: _l("Checking the receipt"),
    JobState.VERIFIED: _l("Everything arrived"),
    JobState.SOURCE_CONTRACT_ENDED: _l("The old service ended your contract"),
    JobState.SOURCE_DELETION_REQUESTED: _l("The old service is deleting your data"),
    JobState.COMPLETE: _l("Switch complete"),
    JobState.FAILED: _l("Stopped"),
    JobState.CANCELED: _l("Canceled"),
}

PATTERN_LABELS = {
    1: _l("1: Azukari authorizes both services (the old one sends, the new one fetches)"),
    2: _l("2: Both services authorize Azukari (Azukari fetches and delivers)"),
    3: _l("3: The old service authorizes Azukari; the new one fetches from Azukari"),
    4: _l("4: The new service authorizes Azukari; the old one sends to Azukari"),
}

# The wizard's steps (templates/switching/_stepper.html), in order: the step number is the position plus one.
WIZARD_STEPS = (
    _l("Old service"),
    _l("New service"),
    _l("Connect or upload"),
    _l("Pre-transfer report"),
    _l("Terms"),
    _l("Identity check"),
    _l("Transfer in progress"),
    _l("Complete"),
)

# Why a transfer stopped, as the resident reads it (the job's `error`); anything else is the generic line.
ERROR_LABELS = {
    "receipt_mismatch": _l("The new service's receipt does not match what Azukari sent, so nothing more was done. "
                           "Nothing is deleted anywhere."),
    "receipt_invalid": _l("The new service's receipt could not be verified, so nothing more was done. Nothing is "
                          "deleted anywhere."),
    "consent_withdrawn": _l("You withdrew your consent, so the transfer stopped. Nothing was sent after that."),
    "destination_full": _l("The new service has no room for your data. Make room there, then start again."),
    "not_connected": _l("Azukari's connection to the service has ended. Connect it again, then start again."),
    "rejected": _l("The new service refused some of the items."),
}
GENERIC_ERROR = _l("The transfer stopped. Nothing is deleted anywhere; you can start again.")

# The interchange fields a format leaves behind, as the pre-transfer report names them (the raw name otherwise).
FIELD_LABELS = {
    "active_energy_goal_kcal": _l("Move goal"),
    "activities": _l("Activities within it"),
    "ad": _l("Whether it was an ad"),
    "address": _l("Address"),
    "alarm_count": _l("Reminders"),
    "attendee_count": _l("Number of attendees"),
    "author": _l("Author"),
    "beats": _l("Heartbeat series"),
    "blog_id": _l("Blog ID"),
    "blog_title": _l("Blog name"),
    "calendar": _l("Calendar name"),
    "calendar_timezone": _l("Calendar time zone"),
    "categories": _l("Categories"),
    "channel_url": _l("Channel link"),
    "classification": _l("Visibility"),
    "confidence": _l("Confidence"),
    "created": _l("Created"),
    "description": _l("Description"),
    "device": _l("Device"),
    "device_tag": _l("Device tag"),
    "edit_status": _l("Edit state"),
    "email": _l("Email address"),
    "end_latitude": _l("End point"),
    "end_longitude": _l("End point (longitude)"),
    "events": _l("Pauses and laps"),
    "exdates": _l("Skipped dates"),
    "exercise_time_goal_min": _l("Exercise goal"),
    "extra": _l("Other values"),
    "family": _l("Record family"),
    "format": _l("Format"),
    "hierarchy_level": _l("Place level"),
    "last_modified": _l("Last changed"),
    "layout": _l("Layout"),
    "location": _l("Location"),
    "metadata": _l("Extra details"),
    "move_time_goal_min": _l("Move time goal"),
    "move_time_min": _l("Move time"),
    "parent_place_id": _l("Surrounding place"),
    "path": _l("Link path"),
    "place_confidence": _l("Place confidence"),
    "place_id": _l("Place ID"),
    "place_probability": _l("Place probability"),
    "probability": _l("Probability"),
    "product": _l("Service"),
    "raw_time": _l("Time as written"),
    "raw_unit": _l("Unit as written"),
    "raw_value": _l("Value as written"),
    "rdates": _l("Added dates"),
    "recurrence_id": _l("Changed occurrence"),
    "recurrence_range": _l("Range of the change"),
    "removed": _l("Whether it was removed"),
    "routes": _l("Routes"),
    "semantic_type": _l("Place type (home, work)"),
    "sequence": _l("Revision"),
    "source": _l("Where it came from"),
    "source_name": _l("Recording app"),
    "source_version": _l("App version"),
    "stand_hours_goal": _l("Stand goal"),
    "start_latitude": _l("Start point"),
    "start_longitude": _l("Start point (longitude)"),
    "statistics": _l("Statistics"),
    "status": _l("Status"),
    "time_basis": _l("Time basis"),
    "timezone": _l("Time zone"),
    "transit_line": _l("Transit line"),
    "transparency": _l("Busy or free"),
    "travel_mode": _l("Travel mode as recorded"),
    "type": _l("Type"),
    "updated": _l("Updated"),
    "url": _l("Original link"),
    "waypoint_count": _l("Number of waypoints"),
    "waypoints": _l("Waypoints"),
}
