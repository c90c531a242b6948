"""A video for Chromium's fake camera (`--use-file-for-fake-video-capture`): a QR code on white, as a phone held up
to a shop's camera shows it, written as YUV4MPEG2 (the format Chromium reads; no encoder needed)."""

from __future__ import annotations

from pathlib import Path

import qrcode

WIDTH, HEIGHT, FRAMES = 640, 480, 10


def qr_video(text: str, path: Path) -> Path:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale = min(WIDTH, HEIGHT) * 8 // 10 // len(matrix)
    left, top = (WIDTH - scale * len(matrix)) // 2, (HEIGHT - scale * len(matrix)) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # video white (235)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * WIDTH + left + x * scale
                    luma[start:start + scale] = b"\x10" * scale  # video black (16)
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)  # no colour
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * FRAMES)
    return path
