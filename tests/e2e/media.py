"""Camera and photo files for the browser, made at test time from public-domain pictures that
ship inside scikit-image (the astronaut Eileen Collins, NASA; a cup of coffee): no photo of a
person is committed to the repository."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 640, 480


def _framed(rgb: np.ndarray) -> Image.Image:
    """The picture scaled into a 640x480 frame on a soft grey backdrop, as a webcam sees it."""
    picture = Image.fromarray(rgb).convert("RGB")
    picture.thumbnail((WIDTH, HEIGHT))
    frame = Image.new("RGB", (WIDTH, HEIGHT), (96, 98, 100))
    frame.paste(picture, ((WIDTH - picture.width) // 2, (HEIGHT - picture.height) // 2))
    return frame


def write_y4m(rgb: np.ndarray, path: Path, frames: int = 2) -> Path:
    """A Y4M video (4:2:0, full-range BT.601) that Chromium's fake camera plays in a loop."""
    frame = np.asarray(_framed(rgb).convert("YCbCr"), dtype=np.uint8)
    y = frame[:, :, 0]
    # 4:2:0: average each 2x2 block of the chroma planes
    cb = frame[:, :, 1].reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    cr = frame[:, :, 2].reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    payload = b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes()
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + payload * frames)
    return path


def write_jpeg(rgb: np.ndarray, path: Path) -> Path:
    out = io.BytesIO()
    Image.fromarray(rgb).convert("RGB").save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return path


def astronaut() -> np.ndarray:
    import skimage.data
    return skimage.data.astronaut()


def coffee() -> np.ndarray:
    import skimage.data
    return skimage.data.coffee()
