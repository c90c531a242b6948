"""Pictures of published events and coupons, for residents' pages (`/media/listings/<id>.webp`).

Public like the catalogue they illustrate (no session is read: the path is one of security.PUBLIC_PATH_PREFIXES)
and cacheable for a day: a new picture gets a new id. A draft's or withdrawn listing's picture is not found.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort

from app.catalog.models import CatalogCoupon, CatalogEvent, ListingStatus
from app.db import get_session
from app.partners.models import ListingImage

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.route("/listings/<uuid:image_id>.webp")
def listing_picture(image_id: uuid.UUID) -> Response:
    db = get_session()
    held = db.get(ListingImage, image_id)
    model = {"event": CatalogEvent, "coupon": CatalogCoupon}.get(held.kind) if held is not None else None
    row = db.get(model, held.listing_id) if held is not None and model is not None else None
    if held is None or row is None or row.status != ListingStatus.PUBLISHED:
        abort(404)
    return Response(held.data, mimetype="image/webp", headers={"Cache-Control": "public, max-age=86400"})
