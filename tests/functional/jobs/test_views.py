from __future__ import annotations

import pytest

from app.jobs import services
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory


def test_whoever_started_a_job_watches_it_and_nobody_else(client, other_client, login, db):
    alice, bob = ResidentFactory(), ResidentFactory()
    job = services.enqueue(db, "maintenance.purge", started_by=alice.principal)
    db.flush()
    login(client, alice)
    login(other_client, bob)
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in page.get_data(as_text=True)  # polls while not finished
    assert other_client.get(f"/jobs/{job.id}").status_code == 404
    # An htmx poll of a job that is not yours (or is gone) stops polling (286) and shows nothing of the job.
    poll = other_client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
    assert poll.status_code == 286 and "maintenance" not in poll.get_data(as_text=True)
    assert other_client.get("/jobs/999999").status_code == 404


def test_the_htmx_poll_gets_only_the_component_and_it_stops_when_done(client, login, db):
    alice = ResidentFactory()
    job = services.enqueue(db, "maintenance.purge", started_by=alice.principal)
    db.flush()
    login(client, alice)
    fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="job-status"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    services.mark_done(job, {"sessions": 3})
    db.flush()
    finished = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in finished and "sessions" in finished


@pytest.mark.parametrize("role", ["operator", "municipal"])
def test_the_operator_sees_every_job_other_staff_only_their_own(client, login, db, role):
    resident = ResidentFactory()
    job = services.enqueue(db, "maintenance.purge", started_by=resident.principal)
    db.flush()
    login(client, StaffFactory(**{role: True}))
    assert client.get(f"/jobs/{job.id}").status_code == (200 if role == "operator" else 404)


def test_the_operator_runs_housekeeping_and_lands_on_its_progress(client, login, csrf, db):
    operator = StaffFactory(operator=True)
    login(client, operator)
    response = client.post("/operator/jobs/maintenance", data={"csrf_token": csrf(client, "/operator/jobs")})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/jobs/")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "maintenance.purge" in page.get_data(as_text=True)
