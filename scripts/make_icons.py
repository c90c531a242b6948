"""Draw the app icons (a white leaf on leaf green) into static/icons/. Run once; the PNGs are committed.

    .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (30, 107, 58, 255)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def leaf_points(cx: float, cy: float, length: float, width: float, angle: float, steps: int = 90) -> list[tuple[float, float]]:
    """A leaf outline: two circular-ish arcs meeting at base and tip, rotated by `angle` (radians)."""
    points = []
    for side in (1, -1):
        rng = range(steps + 1) if side == 1 else range(steps, -1, -1)
        for i in rng:
            t = i / steps
            x = (t - 0.5) * length
            y = side * math.sin(math.pi * t) ** 0.9 * width / 2
            points.append((x, y))
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then downsample for smooth edges
    s = size * scale
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, s, s), fill=GREEN)
        leaf_len = s * 0.52
    else:
        draw.rounded_rectangle((0, 0, s - 1, s - 1), radius=s * 0.22, fill=GREEN)
        leaf_len = s * 0.66
    angle = -math.pi / 4
    cx, cy = s / 2, s / 2
    draw.polygon(leaf_points(cx, cy, leaf_len, leaf_len * 0.55, angle), fill=WHITE)
    # the midrib and a stem, in green
    half = leaf_len / 2
    start = (cx - half * math.cos(angle) * 1.12, cy - half * math.sin(angle) * 1.12)
    end = (cx + half * math.cos(angle) * 0.75, cy + half * math.sin(angle) * 0.75)
    draw.line([start, end], fill=GREEN, width=max(2, int(s * 0.025)))
    stem_end = (cx - half * math.cos(angle) * 1.3, cy - half * math.sin(angle) * 1.3)
    draw.line([(cx - half * math.cos(angle), cy - half * math.sin(angle)), stem_end], fill=WHITE,
              width=max(2, int(s * 0.03)))
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw_icon(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw_icon(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw_icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw_icon(64, maskable=False).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])


if __name__ == "__main__":
    main()
