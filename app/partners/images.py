"""Pictures of partners' events and coupons: checked, cleaned and re-encoded before anything is kept.

An upload is refused with a clear message unless it is a JPEG, PNG or WebP of at most 5 MB and 40 million pixels
(a decompression bomb is refused, not decoded). What is kept is never the upload: the picture is decoded, turned
upright by its EXIF orientation, scaled to at most 1200 px on its long side and written as WebP, which drops every
bit of metadata (a phone photo's EXIF carries where and when it was taken). One picture per listing; a new one
replaces it.
"""

from __future__ import annotations

import io
import uuid

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, select

from app.errors import DomainError
from app.partners.models import ListingImage

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
LONG_SIDE = 1200
FORMATS = {"JPEG", "PNG", "WEBP"}


class BadImage(DomainError):
    status = 422
    message = _l("This file is not a picture we can use. Upload a JPEG, PNG or WebP photo of up to 5 MB.")


class ImageTooLarge(BadImage):
    message = _l("This picture is too large. Upload one of up to 5 MB and 40 million pixels.")


def clean(raw: bytes) -> tuple[bytes, int, int]:
    """The picture as it is kept: WebP bytes, width, height. Raises BadImage / ImageTooLarge."""
    if len(raw) > MAX_BYTES:
        raise ImageTooLarge()
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in FORMATS:
                raise BadImage()
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageTooLarge()
            probe.verify()  # a truncated or corrupt file fails here, before a full decode
        with Image.open(io.BytesIO(raw)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE))
            out = io.BytesIO()
            image.save(out, "WEBP", quality=80, method=4)
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, Image.DecompressionBombError):
            raise ImageTooLarge() from None
        raise BadImage() from None


def image_of(session: Session, kind: str, listing_id: str) -> ListingImage | None:
    return session.exec(select(ListingImage).where(ListingImage.kind == kind, ListingImage.listing_id == listing_id)).first()


def put(session: Session, *, partner_id: uuid.UUID, kind: str, listing_id: str,
        cleaned: tuple[bytes, int, int]) -> ListingImage:
    """Keep a picture `clean` made, replacing the listing's earlier one (under a new id, so that caches of the old
    picture are not served for the new one)."""
    remove(session, kind, listing_id)
    data, width, height = cleaned
    held = ListingImage(partner_id=partner_id, kind=kind, listing_id=listing_id, width=width, height=height, data=data)
    session.add(held)
    session.flush()
    return held


def remove(session: Session, kind: str, listing_id: str) -> None:
    held = image_of(session, kind, listing_id)
    if held is not None:
        session.delete(held)
        session.flush()
