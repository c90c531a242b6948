"""Pictures of partners' listings: only real images are kept, re-encoded without their metadata; residents see the
picture of a published listing only; a partner sees and replaces its own."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from app.catalog.models import CatalogEvent
from app.partners import images
from app.partners.models import ListingImage
from tests.conftest import csrf_token
from tests.factories.staff import PartnerFactory, StaffFactory
from tests.functional.partners.test_listings import (  # noqa: F401  (fixtures)
    _frozen,
    create,
    event_form,
    loaded_catalog,
    member,
)


def photo(size: tuple[int, int] = (2400, 1600), fmt: str = "JPEG", gps: bool = True) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {2: (35.0, 53.0, 30.0), 4: (139.0, 57.0, 10.0)}  # GPSInfo: where it was taken
        exif[0x0112] = 6  # orientation: rotated
    image.save(out, fmt, exif=exif.tobytes()) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def upload(client, path: str, raw: bytes, name: str = "photo.jpg", **fields: Any):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/partner/"), **fields, "picture": (io.BytesIO(raw), name)}
    return client.post(path, data=data, content_type="multipart/form-data")


def test_a_photo_is_kept_upright_small_and_without_its_metadata() -> None:
    data, width, height = images.clean(photo())
    kept = Image.open(io.BytesIO(data))
    assert kept.format == "WEBP" and (width, height) == kept.size == (800, 1200)  # turned upright, long side 1200
    assert not kept.getexif() and "exif" not in kept.info


@pytest.mark.parametrize("raw,error", [
    (b"GIF89a" + b"\x00" * 100, images.BadImage),
    (b"not an image at all", images.BadImage),
    (photo()[:2000], images.BadImage),  # cut short
    (b"x" * (images.MAX_BYTES + 1), images.ImageTooLarge),
])
def test_anything_else_is_refused(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        images.clean(raw)


def test_a_decompression_bomb_is_refused_without_decoding_it() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 million pixels in a few kilobytes
    assert len(out.getvalue()) < images.MAX_BYTES
    with pytest.raises(images.ImageTooLarge):
        images.clean(out.getvalue())


def test_the_partner_uploads_a_picture_residents_see_once_published(client, other_client, login, db, member) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    listing_id = create(client)
    response = upload(client, f"/partner/events/{listing_id}", photo(), **{**event_form(), "version": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    (held,) = db.exec(select(ListingImage)).all()
    assert held.listing_id == listing_id and held.partner_id == member.partner_id
    assert client.get(f"/partner/pictures/{held.id}").status_code == 200
    public = f"/media/listings/{held.id}.webp"
    assert other_client.get(public).status_code == 404  # a draft's picture is nobody's business yet
    event = db.get(CatalogEvent, listing_id)
    event.status = "published"
    db.add(event)
    db.flush()
    shown = other_client.get(public)
    assert shown.status_code == 200 and shown.mimetype == "image/webp" and "max-age" in shown.headers["Cache-Control"]
    stranger = StaffFactory(partner=True, partner_id=PartnerFactory().id)
    login(other_client, stranger)
    assert other_client.get(f"/partner/pictures/{held.id}").status_code == 404


def test_a_bad_file_is_refused_and_nothing_is_saved(client, db, member) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    response = upload(client, "/partner/events/new", b"%PDF-1.4 not a picture", name="flyer.pdf", **event_form())
    assert response.status_code == 422 and "not a picture we can use" in response.get_data(as_text=True)
    assert db.exec(select(CatalogEvent).where(CatalogEvent.partner_id == member.partner_id)).all() == []
    assert db.exec(select(ListingImage)).all() == []


def test_a_new_picture_replaces_the_old_and_one_can_be_removed(client, db, member) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    listing_id = create(client)
    upload(client, f"/partner/events/{listing_id}", photo(), **{**event_form(), "version": "1"})
    first = db.exec(select(ListingImage)).one().id
    upload(client, f"/partner/events/{listing_id}", photo((300, 200), "PNG", gps=False), name="b.png",
           **{**event_form(), "version": "1"})
    db.expire_all()
    second = db.exec(select(ListingImage)).one()
    assert second.id != first and (second.width, second.height) == (300, 200)
    response = client.post(f"/partner/events/{listing_id}", data={"csrf_token": csrf_token(client, "/partner/"),
                                                                   **event_form(), "version": "1", "remove_picture": "y"})
    assert response.status_code == 303
    assert db.exec(select(ListingImage)).all() == []
