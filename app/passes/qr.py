"""QR codes as inline SVG (no image request, so the pass page carries its offline codes in itself)."""

from __future__ import annotations

import qrcode
from markupsafe import Markup

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def svg(data: str, label: str) -> Markup:
    """One path of unit squares on a white square; scaled by CSS. `label` is what a screen reader says."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()  # with the quiet zone
    size = len(matrix)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return Markup(  # Markup.format escapes each value
        '<svg class="qr" viewBox="0 0 {size} {size}" role="img" aria-label="{label}" '
        'xmlns="http://www.w3.org/2000/svg" shape-rendering="crispEdges">'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    ).format(size=size, label=label, path=path)
