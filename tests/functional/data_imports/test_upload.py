"""The resumable upload: chunks at the server's offset, a retried or skipped chunk answered with the offset, a
connection dropped mid-chunk, the last chunk queuing the read; the no-script form; and only the owner may touch it."""

from __future__ import annotations

import io
import uuid

from sqlmodel import select

from app.data_imports import services
from app.data_imports.models import DataImport, ImportStatus
from app.errors import Conflict
from app.jobs.models import Job
from tests.factories.accounts import ResidentFactory
from tests.factories.exports import export_zip
from tests.functional.data_imports.conftest import send, start, upload_whole


def test_chunks_resume_at_the_servers_offset_and_the_last_one_queues_the_read(client, db, login, csrf, settings) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    token = csrf(client, "/my-data/imports/")
    body = export_zip()
    response = start(client, token, size=len(body))
    assert response.status_code == 201
    state = response.get_json()
    assert state["offset"] == 0 and state["status"] == "uploading"

    assert send(client, token, state["upload_url"], 0, body[:1000]).get_json()["offset"] == 1000
    # The same chunk again (its answer was lost): refused with where to go on from; nothing is written twice.
    again = send(client, token, state["upload_url"], 0, body[:1000])
    assert again.status_code == 409 and again.get_json()["offset"] == 1000
    # A gap is refused the same way.
    assert send(client, token, state["upload_url"], 1500, body[1500:2000]).get_json()["offset"] == 1000
    # A client that lost its state asks for the offset.
    assert client.get(state["upload_url"], headers={"Accept": "application/json"}).get_json()["offset"] == 1000

    done = send(client, token, state["upload_url"], 1000, body[1000:])
    assert done.status_code == 200 and done.get_json()["status"] == "queued"
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    assert data_import.received == data_import.size == len(body)
    assert services.upload_path(settings.instance_path, data_import.id).read_bytes() == body
    job = db.get(Job, data_import.job_id)
    assert job.kind == services.JOB_KIND and job.payload == {"import_id": state["id"]}
    # Nothing more can be appended to a finished upload.
    assert send(client, token, state["upload_url"], len(body), b"x").status_code == 409


def test_a_connection_dropped_mid_chunk_leaves_the_file_at_the_last_whole_chunk(db, settings) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    data_import = services.start_upload(db, resident, filename="export.zip", size=100, keep_sensitive=False,
                                        instance_path=settings.instance_path)
    services.append_chunk(db, resident, data_import.id, offset=0, stream=io.BytesIO(b"a" * 40), length=40,
                          instance_path=settings.instance_path)
    try:
        # The request said 40 bytes; 10 arrived before the connection dropped.
        services.append_chunk(db, resident, data_import.id, offset=40, stream=io.BytesIO(b"b" * 10), length=40,
                              instance_path=settings.instance_path)
    except Conflict:
        pass
    else:
        raise AssertionError("a short chunk must be refused")
    assert data_import.received == 40
    assert services.upload_path(settings.instance_path, data_import.id).read_bytes() == b"a" * 40


def test_sizes_out_of_bounds_are_refused(client, db, login, csrf) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    too_big = start(client, token, size=services.MAX_UPLOAD_BYTES + 1)
    assert too_big.status_code == 400 and too_big.get_json()["error"]
    state = start(client, token, size=10).get_json()
    over = send(client, token, state["upload_url"], 0, b"x" * 11)  # more than the declared size
    assert over.status_code == 413
    assert db.exec(select(DataImport)).one().received == 0


def test_the_upload_needs_the_csrf_token(client, db, login, csrf) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    state = start(client, token, size=10).get_json()
    response = client.patch(state["upload_url"], data=b"x" * 10, headers={"Upload-Offset": "0"})
    assert response.status_code == 400
    no_token = client.post("/my-data/imports/", data={"filename": "a.zip", "size": "10"}, headers={"Accept": "application/json"})
    assert no_token.status_code == 400
    assert db.exec(select(DataImport)).one().received == 0


def test_another_resident_cannot_see_resume_cancel_or_delete_an_upload(client, other_client, db, login, csrf) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = ResidentFactory(), ResidentFactory()
    login(client, owner)
    login(other_client, stranger)
    state = upload_whole(client, csrf(client, "/my-data/imports/"), export_zip())
    token = csrf(other_client, "/my-data/imports/")
    page = f"/my-data/imports/{state['id']}"
    assert other_client.get(page).status_code == 404
    assert other_client.get(state["upload_url"], headers={"Accept": "application/json"}).status_code == 404
    assert send(other_client, token, state["upload_url"], state["offset"], b"x").status_code == 404
    assert other_client.post(f"{page}/cancel", data={"csrf_token": token}).status_code == 404
    assert other_client.post(f"{page}/delete", data={"csrf_token": token}).status_code == 404
    assert state["id"] not in other_client.get("/my-data/imports/").get_data(as_text=True)
    assert client.get(page).status_code == 200


def test_without_script_the_form_sends_the_file_whole(client, db, login, csrf, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    body = export_zip()
    response = client.post("/my-data/imports/", data={"csrf_token": token, "keep_sensitive": "y",
                                                      "export": (io.BytesIO(body), "export.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    data_import = db.exec(select(DataImport)).one()
    assert response.headers["Location"].endswith(f"/my-data/imports/{data_import.id}")
    assert (data_import.status, data_import.received, data_import.keep_sensitive) == (ImportStatus.QUEUED, len(body), True)
    assert services.upload_path(settings.instance_path, data_import.id).read_bytes() == body

    empty = client.post("/my-data/imports/", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "ファイルを選んでください" in empty.get_data(as_text=True)


def test_at_most_three_unfinished_uploads(client, db, login, csrf) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    for _ in range(services.MAX_OPEN_IMPORTS):
        assert start(client, token, size=10).status_code == 201
    refused = start(client, token, size=10)
    assert refused.status_code == 409 and refused.get_json()["error"]


def test_an_upload_left_unfinished_for_two_days_is_dropped(db, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.db import utcnow

    resident = ResidentFactory()
    old = services.start_upload(db, resident, filename="old.zip", size=10, keep_sensitive=False,
                                instance_path=settings.instance_path)
    fresh = services.start_upload(db, resident, filename="new.zip", size=10, keep_sensitive=False,
                                  instance_path=settings.instance_path)
    old.updated_at = utcnow() - services.ABANDONED_AFTER - timedelta(minutes=1)
    db.add(old)
    db.flush()
    assert services.sweep_abandoned(db, instance_path=settings.instance_path) == 1
    assert (old.status, fresh.status) == (ImportStatus.CANCELED, ImportStatus.UPLOADING)
    assert not services.upload_path(settings.instance_path, old.id).exists()
    assert services.upload_path(settings.instance_path, fresh.id).exists()


def test_the_status_block_renders_alone_for_htmx_polling(client, db, login, csrf) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    state = upload_whole(client, csrf(client, "/my-data/imports/"), export_zip())
    response = client.get(state["page_url"], headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="import-status"')
    assert "読み込み待ち" in body and 'hx-trigger="every 2s"' in body
