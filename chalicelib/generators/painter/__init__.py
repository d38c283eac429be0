"""``painter:`` — the embedded procedural painter that stands in for a GPU endpoint locally.

Flowers drawn from the prompt: the emotion words pick palette and form (warm and open for
happy, cool and drooping for sad, sharp and red for angry, …), favourite words add a species,
a colour or a small motif. Three depth planes keep it fast and soft: sky, hills and bokeh at a
quarter of the size, blurred; a middle row at half size, blurred a little; flowers in focus at
full size; then glowing particles in front. Deterministic for the same prompt, seed and size.

The package: ``mood`` reads the prompt and picks the look, ``shapes`` holds the brushes, and
this module composes the picture and is the ``Generator`` adapter.
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ...errors import EndpointTimeout
from .. import GenerationRequest
from ..checks import JPEG_QUALITY, check_request_size, encode_jpeg
from ..tracing import traced
from .mood import Mood, Style, hex_rgb, read_prompt, style_for
from .shapes import (
    RGB,
    F,
    Flower,
    bezier,
    col3,
    ellipse_points,
    heart_points,
    paint_flower,
    paint_leaf,
    sprite,
    stroke,
    to_image,
)

MIN_SIDE, MAX_SIDE = 64, 1280
DEFAULT_TIMEOUT = 10.0     # the painter takes well under a second; anything longer is a fault
_BILINEAR = Image.Resampling.BILINEAR

__all__ = ["DEFAULT_TIMEOUT", "MAX_SIDE", "MIN_SIDE", "PainterGenerator", "derive_seed", "paint"]


def derive_seed(prompt: str) -> int:
    """The seed used when a request has none: the same prompt paints the same picture."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big")


class PainterGenerator:
    def __init__(self, uri: str = "painter:", *, timeout: float | None = None,
                 quality: int = JPEG_QUALITY) -> None:
        self.uri = uri
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self.quality = quality

    def generate(self, request: GenerationRequest) -> bytes:
        check_request_size(request.width, request.height, low=MIN_SIDE, high=MAX_SIDE)
        started = time.monotonic()
        with traced(f"endpoint {self.uri}", endpoint=self.uri, adapter="painter"):
            image = paint(request.prompt, request.width, request.height, request.seed)
            jpeg = encode_jpeg(image, quality=self.quality)
        # In-process painting cannot be interrupted; an overrun is still reported the way a
        # slow endpoint's is, so callers see one behaviour.
        if time.monotonic() - started > self.timeout:
            raise EndpointTimeout(f"endpoint {self.uri} took longer than {self.timeout:g} s")
        return jpeg

    def __repr__(self) -> str:
        return f"PainterGenerator({self.uri!r})"


def paint(prompt: str, width: int, height: int, seed: int | None = None) -> Image.Image:
    """The picture for ``prompt`` as an RGB image of width × height."""
    check_request_size(width, height, low=MIN_SIDE, high=MAX_SIDE)
    seed = derive_seed(prompt) if seed is None else seed
    words = int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "big")
    seed &= (1 << 64) - 1
    rng = np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, words & 0xFFFFFFFF, words >> 32])
    mood = read_prompt(prompt)
    return _Painting(mood, style_for(mood), rng, width, height).render()


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> RGB:
    (ar, ag, ab), (br, bg, bb) = a, b
    return ar + (br - ar) * t, ag + (bg - ag) * t, ab + (bb - ab) * t


def _scaled(colour: RGB, factor: float) -> RGB:
    return colour[0] * factor, colour[1] * factor, colour[2] * factor


def _u8(colour: Sequence[float], alpha: int | None = None) -> tuple[int, ...]:
    rgb = tuple(max(0, min(255, round(c * 255))) for c in colour)
    return rgb if alpha is None else (*rgb, alpha)


class _Painting:
    def __init__(self, mood: Mood, style: Style, rng: np.random.Generator, width: int,
                 height: int) -> None:
        self.mood, self.style, self.rng = mood, style, rng
        self.w, self.h = width, height
        self.short = min(width, height)
        self.area = math.sqrt(width * height / (1280 * 800))
        top, bottom = (hex_rgb(c) for c in style.sky)
        glow = style.glow
        if "sunset" in mood.motifs:
            top, bottom = _mix(top, hex_rgb("#4b3a78"), 0.7), _mix(bottom, hex_rgb("#ff9a5c"), 0.7)
            glow = ("#ffb36b", 0.5, 0.62, 0.9)
        elif "moon" in mood.motifs and not style.dark:
            top, bottom = _mix(top, hex_rgb("#0b1030"), 0.8), _mix(bottom, hex_rgb("#3a3f6b"), 0.7)
            glow = ("#dfe6ff", 0.78, 0.16, 0.5)
        elif "morning" in mood.motifs:             # a low, pale-gold sun and a rosy sky
            top, bottom = _mix(top, hex_rgb("#9fc4e8"), 0.55), _mix(bottom, hex_rgb("#ffd9b8"), 0.65)
            glow = ("#fff0c8", 0.2, 0.5, 0.8)
        elif "day" in mood.motifs and style.dark:  # daylight, even for a dark mood
            top, bottom = _mix(top, hex_rgb("#7fb8e6"), 0.45), _mix(bottom, hex_rgb("#dfeef8"), 0.45)
        if "clouds" in mood.motifs:                # overcast: greyer, the sun veiled
            top, bottom = _mix(top, hex_rgb("#9aa6b2"), 0.45), _mix(bottom, hex_rgb("#d5dbe0"), 0.35)
            glow = (glow[0], glow[1], glow[2], glow[3] * 0.4)
        elif "summer" in mood.motifs:              # a high, strong sun
            glow = (glow[0], glow[1], min(glow[2], 0.15), min(1.0, glow[3] * 1.3))
        if "winter" in mood.motifs:
            top, bottom = _mix(top, hex_rgb("#c9d6e3"), 0.3), _mix(bottom, hex_rgb("#f2f5f8"), 0.3)
        self.top, self.bottom = top, bottom
        self.glow = (hex_rgb(glow[0]), glow[1], glow[2], glow[3])
        self.night = (style.dark or "moon" in mood.motifs) and not (
            {"day", "morning"} & mood.motifs and "moon" not in mood.motifs)
        self.fantasy = "fantasy" in mood.motifs

    # -- plumbing ------------------------------------------------------------------------

    def pick(self, colours: Sequence[str]) -> tuple[float, float, float]:
        return hex_rgb(colours[int(self.rng.integers(len(colours)))])

    def u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def render(self) -> Image.Image:
        far = self.background((max(16, -(-self.w // 4)), max(16, -(-self.h // 4))))
        mid = far.resize((self.w // 2, self.h // 2), _BILINEAR)
        self.middle_row(mid)
        self.particles(mid)
        mid = mid.filter(ImageFilter.GaussianBlur(0.9))
        canvas = mid.resize((self.w, self.h), _BILINEAR)
        self.flowers_in_focus(canvas)
        self.motifs(canvas)
        self.lens_bokeh(canvas)
        return canvas

    # -- far plane: sky, glow, hills, distant flowers, bokeh ------------------------------

    def background(self, size: tuple[int, int]) -> Image.Image:
        w, h = size
        yy = np.linspace(0, 1, h, dtype=F)[:, None]
        xx = np.linspace(0, 1, w, dtype=F)[None, :]
        g = yy * yy * (3 - 2 * yy)
        sky = col3(self.top) * (1 - g) + col3(self.bottom) * g + np.zeros((1, 1, w), F)
        colour, gx, gy, strength = self.glow
        strength *= 1.15 if self.fantasy else 1.0
        aspect = F(self.w / self.h)
        d2 = ((xx - F(gx)) * aspect) ** 2 + (yy - F(gy)) ** 2
        amount = F(strength) * (F(0.75) * np.exp(-d2 / F(0.02)) + F(0.3) * np.exp(-d2 / F(0.25)))
        sky = sky + (col3(colour) - sky) * np.clip(amount, 0, 1)
        ground = col3(hex_rgb(self.style.ground))
        horizon = sky[:, int(h * 0.66), :].mean(axis=1)
        horizon_colour = tuple(float(c) for c in horizon)
        for depth, (level, haze) in enumerate(((0.64, 0.55), (0.8, 0.15))):
            ph1, ph2 = self.u(0, 6.3), self.u(0, 6.3)
            line = (F(level) + F(0.035) * np.sin(xx * F(self.u(3, 6)) + F(ph1))
                    + F(0.015) * np.sin(xx * F(self.u(9, 15)) + F(ph2)))
            cover = np.clip((yy - line) * F(h / 2.5), 0, 1)
            tone = ground * F(0.9 + 0.15 * depth) * (1 - F(haze)) + col3(horizon_colour) * F(haze)
            tone = tone * (F(1.0) - F(0.25) * np.clip((yy - line) * 3, 0, 1))
            sky = sky * (1 - cover) + tone * cover
        vignette = F(1) - F(0.35 if self.night else 0.22) * (
            ((xx - F(0.5)) * F(1.6)) ** 2 + ((yy - F(0.45)) * F(1.5)) ** 2)
        sky = sky * np.clip(vignette, 0.4, 1)
        image = to_image(sky)
        draw = ImageDraw.Draw(image, "RGBA")
        for _ in range(int(70 * self.area)):                 # distant flowers on the hills
            x, y = self.u(0, w), h * self.u(0.66, 0.98)
            rad = (0.4 + 1.8 * (y / h - 0.6)) * self.u(0.7, 1.4) * w / 320
            draw.ellipse((x - rad, y - rad * 0.7, x + rad, y + rad * 0.7),
                         fill=_u8(_mix(self.pick(self.style.petals), horizon_colour, 0.25), 200))
        for _ in range(int(self.u(8, 15) * self.area * (1.4 if self.fantasy else 1))):  # bokeh
            x, y = self.u(0, w), h * self.u(0.02, 0.7)
            rad = self.u(2, 7) * w / 320
            draw.ellipse((x - rad, y - rad, x + rad, y + rad),
                         fill=_u8(self.pick(self.style.lights), int(self.u(35, 90))))
        if "clouds" in self.mood.motifs:                   # soft heaps of cloud across the sky
            grey = _mix((1.0, 1.0, 1.0), self.top, 0.25 if not self.night else 0.7)
            for _ in range(int(self.u(4, 7))):
                cx, cy, puff = self.u(-0.1, 1.1) * w, h * self.u(0.06, 0.4), w * self.u(0.08, 0.16)
                for _ in range(int(self.u(4, 7))):
                    dx, dy, rad = self.u(-1.2, 1.2) * puff, self.u(-0.25, 0.2) * puff, puff * self.u(0.4, 0.7)
                    draw.ellipse((cx + dx - rad, cy + dy - rad * 0.6, cx + dx + rad, cy + dy + rad * 0.6),
                                 fill=_u8(grey, int(self.u(90, 150))))
        if self.style.particles in ("mist", "fog"):          # low banks of mist between the hills
            mist = (0.62, 0.6, 0.78) if self.style.particles == "fog" else (1.0, 1.0, 1.0)
            for _ in range(int(self.u(4, 7))):
                y, x = h * self.u(0.6, 0.95), self.u(-0.3, 0.8) * w
                draw.ellipse((x, y - h * 0.04, x + w * self.u(0.5, 0.9), y + h * 0.04),
                             fill=_u8(mist, int(self.u(30, 60))))
            image = image.filter(ImageFilter.GaussianBlur(3 * w / 320))
        return image.filter(ImageFilter.GaussianBlur(1.4 * w / 320))

    # -- middle row: smaller, hazier flowers, a little out of focus ------------------------

    def middle_row(self, canvas: Image.Image) -> None:
        w, h = canvas.size
        self.sky_motifs(canvas)
        draw = ImageDraw.Draw(canvas)
        stem = _u8(_mix(hex_rgb(self.style.leaf), self.bottom, 0.35))
        n = max(3, int(self.u(7, 12) * self.area))
        for i in range(n):
            x = (i + self.u(0.1, 0.9)) / n * w
            y = h * self.u(0.5, 0.74)
            radius = self.short / 2 * self.u(*self.style.size) * 0.55
            sway = self.u(-0.06, 0.06) * w
            path = bezier((x + sway, h + 4), (x + sway, y + (h - y) * 0.4), (x, y + (h - y) * 0.3), (x, y))
            stroke(draw, path, max(1.5, radius * 0.09), max(1.0, radius * 0.06), fill=stem)
            droop = self.rng.random() < self.style.droop
            flower = self.flower(x, y, radius, haze=0.2, droop=droop)
            flower.layers = 1                # out of focus: one ring reads the same
            paint_flower(canvas, flower)

    # -- the flowers in focus ------------------------------------------------------------

    def flower(self, x: float, y: float, radius: float, *, haze: float = 0.0, droop: bool = False,
               face: float | None = None) -> Flower:
        st, rng = self.style, self.rng
        base = self.pick(st.petals)
        if self.mood.intensity > 1:                 # "very happy": richer colour
            grey = sum(base) / 3
            r, g, b = (min(1.0, grey + (c - grey) * 1.25) for c in base)
            base = (r, g, b)
        inner = _mix(_scaled(base, 0.8), self.pick(st.centres), 0.08)
        outer = _mix(base, (1.0, 1.0, 1.0), 0.22 if not st.dark else 0.06)
        inner, outer = _mix(inner, self.bottom, haze), _mix(outer, self.bottom, haze)
        petals = int(rng.integers(st.petal_count[0], st.petal_count[1] + 1))
        tilt = math.radians(self.u(*st.tilt))
        if face is None:
            spread = math.pi if st.swirl else 0.5
            face = -math.pi / 2 + self.u(-spread, spread)
        flower = Flower(
            x=x, y=y, radius=radius, petals=petals, width=self.u(*st.petal_width),
            tip=self.u(*st.tip), layers=int(rng.integers(st.layers[0], st.layers[1] + 1)),
            spin=self.u(0, 2 * math.pi), face=face, squash=max(0.3, math.cos(tilt)),
            inner=inner, outer=outer, centre=_mix(self.pick(st.centres), self.bottom, haze),
            centre_frac=self.u(*st.centre), wilt=st.wilt,
            swirl=st.swirl * self.u(0.7, 1.2) * (1 if rng.random() < 0.5 else -1),
            notch=st.notch, rose=self.mood.species == "rose",
        )
        if droop or flower.squash < 0.6:
            flower.sepal = _mix(hex_rgb(st.leaf), self.bottom, haze)
        return flower

    def flowers_in_focus(self, canvas: Image.Image) -> None:
        st, w, h = self.style, self.w, self.h
        n = max(2, round(self.u(*st.count) * (0.75 + 0.25 * self.area) * (w / h) ** 0.35))
        plans = []
        for i in range(n):
            radius = self.short * self.u(*st.size) * (1.1 if self.mood.intensity > 1 else 1.0)
            x = (i + self.u(0.2, 0.8)) / n * w
            droop = self.rng.random() < st.droop
            bud = not droop and self.rng.random() < st.buds
            y = h * (self.u(0.3, 0.55) if droop else self.u(0.3, 0.78))
            plans.append((radius * (0.5 if bud else 1), x, y, droop, bud))
        plans.sort(key=lambda p: p[0])                    # small ones behind
        heads, leaves, stems, buds = [], [], [], []
        for radius, x, y, droop, bud in plans:
            thick = max(2.0, radius * (0.07 if not bud else 0.12))
            if droop:                                     # a shepherd's crook: up, over, down
                side = 1 if x < w / 2 else -1
                apex = (x, y - radius * 0.9)
                end = (x + side * radius * 1.3, y + radius * 0.2)
                path = bezier((x - side * radius * 0.4, h + 10), (x - side * radius * 0.2, y + radius),
                              (apex[0] + side * radius * 0.2, apex[1] - radius * 0.8), end)
            else:
                sway = self.u(-0.12, 0.12) * h
                path = bezier((x + sway, h + 10), (x + sway * 0.8, y + (h - y) * 0.55),
                              (x - sway * 0.2, y + (h - y) * 0.25), (x, y))
                if st.swirl:                              # confused: stems wander
                    path[:, 0] += np.sin(np.linspace(0, self.u(4, 8), len(path))) * radius * 0.25
            stems.append((path, thick))
            dx, dy = path[-1] - path[-3]
            direction = math.atan2(dy, dx)
            cx, cy = path[-1] + np.array([dx, dy]) / max(1e-6, math.hypot(dx, dy)) * radius * 0.12
            if bud:
                buds.append((float(path[-1][0]), float(path[-1][1]), direction, radius * 1.1,
                             self.pick(st.petals)))
            else:
                face = direction if droop else None
                heads.append(self.flower(float(cx), float(cy), radius, droop=droop, face=face))
            for _ in range(int(self.rng.integers(1, 3))):
                t = self.u(0.35, 0.75)
                j = min(len(path) - 2, int(t * (len(path) - 1)))
                px, py = path[len(path) - 1 - j]
                side = 1 if self.rng.random() < 0.5 else -1
                angle = -math.pi / 2 + side * self.u(0.6, 1.1) + (0.6 * side if st.droop > 0.4 else 0)
                leaves.append((px, py, angle, radius * self.u(1.0, 1.5), radius * self.u(0.3, 0.42),
                               side * self.u(0.05, 0.25) * (2.5 if st.droop > 0.4 else 1)))
        leaf = hex_rgb(st.leaf)
        for path, thick in stems:
            self.stem(canvas, path, thick, leaf)
        for px, py, angle, length, width, curl in leaves:
            paint_leaf(canvas, px, py, angle, length, width, curl, leaf, serrate=st.serrate,
                       spots=0.12 if self.mood.emotion == "DISGUSTED" else 0.0)
        for x, y, direction, size, colour in buds:
            self.bud(canvas, x, y, direction, size, colour, leaf)
        for flower in heads:
            paint_flower(canvas, flower)

    def bud(self, canvas: Image.Image, x: float, y: float, direction: float, size: float,
            colour: RGB, leaf: RGB) -> None:
        """A closed bud: three furled petals and two green sepals hugging their base."""
        light = _mix(colour, (1, 1, 1), 0.45)
        for off, tone in ((-0.28, 0.78), (0.28, 0.85), (0.0, 1.0)):
            paint_leaf(canvas, x, y, direction + off, size, size * 0.5, off * 0.15,
                       _scaled(colour, tone), rib=light)
        for off in (-0.7, 0.7):
            paint_leaf(canvas, x, y, direction + off, size * 0.5, size * 0.22, -off * 0.2, leaf)

    def stem(self, canvas: Image.Image, path: np.ndarray, thick: float, leaf: RGB) -> None:
        """A tapering stem with a lit edge, drawn into a mask of its own box and softened,
        because Pillow's lines have no anti-aliasing."""
        pad = thick * 2 + 3
        x0, y0 = max(0, int(path[:, 0].min() - pad)), max(0, int(path[:, 1].min() - pad))
        x1 = min(canvas.width, int(path[:, 0].max() + pad))
        y1 = min(canvas.height, int(path[:, 1].max() + pad))
        if x0 >= x1 or y0 >= y1:
            return
        local = path - (x0, y0)
        body, shine = Image.new("L", (x1 - x0, y1 - y0), 0), Image.new("L", (x1 - x0, y1 - y0), 0)
        stroke(ImageDraw.Draw(body), local, thick * 1.3, thick * 0.8)
        stroke(ImageDraw.Draw(shine), local, thick * 0.35, thick * 0.25, fill=120, dx=-thick * 0.25)
        canvas.paste(_u8(_scaled(leaf, 0.8)), (x0, y0), body.filter(ImageFilter.BoxBlur(0.6)))
        canvas.paste(_u8(_mix(leaf, (0.85, 0.95, 0.6), 0.35)), (x0, y0), shine.filter(ImageFilter.BoxBlur(0.6)))

    # -- motifs --------------------------------------------------------------------------

    def sky_motifs(self, canvas: Image.Image) -> None:
        w, h = canvas.size
        draw = ImageDraw.Draw(canvas, "RGBA")
        motifs = self.mood.motifs
        if "stars" in motifs or self.night:
            for _ in range(int(60 * self.area)):
                x, y, rad = self.u(0, w), h * self.u(0, 0.55), self.u(0.4, 1.1)
                draw.ellipse((x - rad, y - rad, x + rad, y + rad), fill=(255, 255, 240, int(self.u(90, 230))))
        if "moon" in motifs:                              # a crescent: a disc less a disc
            rad = max(3, int(self.short / 2 * 0.07))

            def crescent(d: ImageDraw.ImageDraw, s: float) -> None:
                d.ellipse((0, 0, s, s), fill=(246, 242, 220, 255))
                d.ellipse((s * 0.28, -s * 0.08, s * 1.2, s * 0.86), fill=(0, 0, 0, 0))

            moon = sprite((rad * 2, rad * 2), rad * 2, crescent)
            canvas.paste(moon, (int(w * 0.8) - rad, int(h * 0.17) - rad), moon)
        if "sun" in motifs:
            colour, gx, gy, _ = self.glow
            rad = self.short / 2 * 0.06
            draw.ellipse((gx * w - rad, gy * h - rad, gx * w + rad, gy * h + rad),
                         fill=_u8(_mix(colour, (1, 1, 1), 0.6), 235))
        if "birds" in motifs:
            for _ in range(int(self.u(3, 6))):
                x, y, s = w * self.u(0.15, 0.7), h * self.u(0.08, 0.3), self.short / 2 * self.u(0.012, 0.022)
                draw.line((x - s, y - s * 0.5, x, y, x + s, y - s * 0.6), fill=(40, 40, 50, 200), width=1)
        if "hearts" in motifs:
            for _ in range(int(self.u(4, 7))):
                x, y = w * self.u(0.05, 0.95), h * self.u(0.08, 0.5)
                draw.polygon(heart_points(x, y, self.short / 2 * self.u(0.025, 0.05)),
                             fill=_u8(_mix(hex_rgb("#ff6f91"), self.bottom, 0.2), int(self.u(120, 200))))

    def motifs(self, canvas: Image.Image) -> None:
        if "pond" in self.mood.motifs:
            self.pond(canvas)
        if "cat" in self.mood.motifs:
            self.cat(canvas)
        if "dog" in self.mood.motifs:
            self.dog(canvas, left="cat" not in self.mood.motifs and self.rng.random() < 0.5)
        if "butterfly" in self.mood.motifs:
            for _ in range(int(self.u(2, 4))):
                self.butterfly(canvas, self.w * self.u(0.1, 0.9), self.h * self.u(0.12, 0.5))

    def cat(self, canvas: Image.Image) -> None:
        """A small cat sitting among the stems, seen against the light."""
        size = max(24, int(self.h * 0.2))
        body = _u8(_mix(hex_rgb(self.style.ground), (0.05, 0.04, 0.06), 0.75))
        rim = _u8(_mix(self.glow[0], (1, 1, 1), 0.3), 200)
        left = self.rng.random() < 0.5

        def draw_cat(d: ImageDraw.ImageDraw, s: float) -> None:
            for colour, off in ((rim, -s * 0.012), ((*body, 255), 0.0)):
                d.ellipse((s * 0.18 + off, s * 0.42, s * 0.72 + off, s * 1.0), fill=colour)   # body
                d.ellipse((s * 0.28 + off, s * 0.16, s * 0.62 + off, s * 0.48), fill=colour)  # head
                d.polygon([(s * 0.3 + off, s * 0.28), (s * 0.33 + off, s * 0.06), (s * 0.44 + off, s * 0.2)], fill=colour)
                d.polygon([(s * 0.6 + off, s * 0.28), (s * 0.57 + off, s * 0.06), (s * 0.46 + off, s * 0.2)], fill=colour)
                d.line([(s * 0.66 + off, s * 0.92), (s * 0.86, s * 0.88), (s * 0.92, s * 0.7),
                        (s * 0.86, s * 0.56)], fill=colour, width=max(2, int(s * 0.05)), joint="curve")
            d.ellipse((s * 0.36, s * 0.29, s * 0.41, s * 0.33), fill=(*_u8(self.glow[0]), 230))  # eyes
            d.ellipse((s * 0.49, s * 0.29, s * 0.54, s * 0.33), fill=(*_u8(self.glow[0]), 230))

        image = sprite((size, size), size, draw_cat)
        if not left:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        x = int(self.w * (self.u(0.06, 0.2) if left else self.u(0.68, 0.82)))
        canvas.paste(image, (x, self.h - size + int(size * 0.02)), image)

    def pond(self, canvas: Image.Image) -> None:
        """Still water across the foot of the picture: the garden above mirrored, darkened and
        rippled, with lily pads floating on it."""
        top = int(self.h * self.u(0.76, 0.82))
        depth = self.h - top
        if depth < 4 or top < depth:
            return
        above = canvas.crop((0, top - depth, self.w, top)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        water = _u8(_mix(self.bottom, (0.05, 0.12, 0.2), 0.55))
        mirror = Image.blend(above, Image.new("RGB", above.size, water), 0.45)
        mirror = mirror.filter(ImageFilter.GaussianBlur(max(1.0, self.short / 300)))
        draw = ImageDraw.Draw(mirror, "RGBA")
        shine = _u8(_mix(self.glow[0], (1, 1, 1), 0.5), 70)
        for _ in range(int(self.u(18, 30) * self.area)):          # ripples: short bright lines
            x, y = self.u(0, self.w), depth * self.u(0.05, 1) ** 1.5
            half = self.short * self.u(0.02, 0.08) * (0.4 + y / depth)
            draw.line((x - half, y, x + half, y), fill=shine, width=max(1, round(self.short / 400)))
        pad = _mix(hex_rgb(self.style.leaf), self.bottom, 0.15)
        for _ in range(int(self.u(3, 6))):                          # lily pads, each with its notch
            y = depth * self.u(0.25, 0.9)
            rx = self.short * self.u(0.04, 0.07) * (0.6 + y / depth)
            x, ry, cut = self.u(0, self.w), rx * 0.32, self.u(0, 360)
            draw.pieslice((x - rx, y - ry, x + rx, y + ry), cut + 25, cut - 25 + 360,
                          fill=_u8(_scaled(pad, 0.75), 235))
            draw.pieslice((x - rx * 0.9, y - ry * 1.1, x + rx * 0.9, y + ry * 0.7), cut + 25,
                          cut - 25 + 360, fill=_u8(pad, 235))
        edge = Image.new("L", mirror.size, 255)                     # a soft shore line
        ImageDraw.Draw(edge).rectangle((0, 0, self.w, max(1, depth // 12)), fill=150)
        canvas.paste(mirror, (0, top), edge.filter(ImageFilter.BoxBlur(max(1, depth // 20))))

    def dog(self, canvas: Image.Image, left: bool) -> None:
        """A small dog sitting among the stems, seen against the light, its ear flopping."""
        size = max(24, int(self.h * 0.22))
        body = _u8(_mix(hex_rgb(self.style.ground), (0.08, 0.06, 0.05), 0.7))
        rim = _u8(_mix(self.glow[0], (1, 1, 1), 0.3), 200)

        def draw_dog(d: ImageDraw.ImageDraw, s: float) -> None:
            for colour, off in ((rim, s * 0.012), ((*body, 255), 0.0)):
                d.ellipse((s * 0.3 + off, s * 0.45, s * 0.8 + off, s * 1.0), fill=colour)     # haunch
                d.polygon([(s * 0.28 + off, s * 0.98), (s * 0.36 + off, s * 0.42),
                           (s * 0.52 + off, s * 0.42), (s * 0.46 + off, s * 0.98)], fill=colour)  # chest
                d.ellipse((s * 0.2 + off, s * 0.16, s * 0.5 + off, s * 0.46), fill=colour)    # head
                d.ellipse((s * 0.06 + off, s * 0.28, s * 0.3 + off, s * 0.42), fill=colour)   # muzzle
                d.line([(s * 0.76 + off, s * 0.86), (s * 0.9, s * 0.7), (s * 0.93, s * 0.52)],
                       fill=colour, width=max(2, int(s * 0.05)), joint="curve")              # tail
            d.ellipse((s * 0.34, s * 0.14, s * 0.5, s * 0.4), fill=(*(int(c * 0.6) for c in body), 255))  # ear
            d.ellipse((s * 0.05, s * 0.28, s * 0.1, s * 0.33), fill=(10, 8, 8, 255))         # nose
            d.ellipse((s * 0.27, s * 0.25, s * 0.31, s * 0.29), fill=(*_u8(self.glow[0]), 230))  # eye

        image = sprite((size, size), size, draw_dog)
        if not left:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        x = int(self.w * (self.u(0.04, 0.18) if left else self.u(0.66, 0.8)))
        canvas.paste(image, (x, self.h - size + int(size * 0.02)), image)

    def butterfly(self, canvas: Image.Image, x: float, y: float) -> None:
        size = max(12, int(self.short * self.u(0.04, 0.06)))
        wing = _u8(self.pick(self.style.lights if self.night else self.style.petals), 235)
        edge = _u8((0.12, 0.1, 0.12), 255)
        spin = self.u(-0.5, 0.5)

        def draw_fly(d: ImageDraw.ImageDraw, s: float) -> None:
            c = s / 2
            for sx in (-1, 1):
                for rx, ry, cy, ang in ((0.26, 0.16, -0.1, -0.6), (0.17, 0.12, 0.14, 0.5)):
                    pts = ellipse_points(c + sx * s * 0.22, c + s * cy, s * rx, s * ry, sx * ang + spin)
                    d.polygon(pts, fill=wing, outline=edge, width=max(1, int(s * 0.02)))
            d.line((c, c - s * 0.2, c, c + s * 0.25), fill=edge, width=max(1, int(s * 0.05)))

        image = sprite((size, size), size, draw_fly)
        canvas.paste(image, (int(x - size / 2), int(y - size / 2)), image)

    # -- in front: glowing particles, rain, mist -----------------------------------------

    def particles(self, canvas: Image.Image) -> None:
        """Pollen, embers, sparkles, rain, mist: drawn on the middle plane so they soften with it."""
        w, h = canvas.size
        draw = ImageDraw.Draw(canvas, "RGBA")
        kind, scale = self.style.particles, w / 640
        n = int(self.u(25, 45) * self.area * (1.5 if self.fantasy else 1))
        if "rain" in self.mood.motifs or kind == "rain":
            for _ in range(int(n * 2.5)):
                x, y, ln = self.u(0, w), self.u(0, h), self.u(8, 20) * scale
                draw.line((x, y, x - ln * 0.25, y + ln), fill=_u8(self.pick(self.style.lights), int(self.u(40, 90))),
                          width=max(1, round(scale)))
        if "spring" in self.mood.motifs or "autumn" in self.mood.motifs:
            falling = (("#ffc8dd", "#ffe3ee", "#ffffff") if "spring" in self.mood.motifs
                       else ("#d9631e", "#f2a541", "#a83c1c", "#e8c547"))
            for _ in range(int(n * 0.8)):                # petals (spring) or leaves (autumn) adrift
                x, y = self.u(0, w), self.u(0, h * 0.9)
                pts = ellipse_points(x, y, self.u(2.0, 4.0) * scale, self.u(1.0, 1.8) * scale,
                                     self.u(0, math.pi), n=10)
                draw.polygon(pts, fill=_u8(self.pick(falling), int(self.u(150, 230))))
        if "snow" in self.mood.motifs or "winter" in self.mood.motifs:
            for _ in range(n * 2):
                x, y, rad = self.u(0, w), self.u(0, h), self.u(0.8, 2.6) * scale
                draw.ellipse((x - rad, y - rad, x + rad, y + rad), fill=(235, 240, 255, int(self.u(120, 220))))
        colours = self.style.lights
        for _ in range(n):
            x, y = self.u(0, w), self.u(0.05, 1.0) * h
            rad = self.u(0.6, 2.4) * scale
            colour = _u8(self.pick(colours), int(self.u(110, 230)))
            if kind == "sparkles" and self.rng.random() < 0.4:
                arm = rad * 3.5
                draw.line((x - arm, y, x + arm, y), fill=colour, width=max(1, round(scale)))
                draw.line((x, y - arm, x, y + arm), fill=colour, width=max(1, round(scale)))
            elif kind == "embers" and self.rng.random() < 0.3:
                draw.line((x, y, x + self.u(-2, 2) * scale, y - 8 * scale * self.u(0.5, 1.5)), fill=colour,
                          width=max(1, round(scale)))
            elif kind != "rain" or self.rng.random() < 0.2:
                draw.ellipse((x - rad, y - rad, x + rad, y + rad), fill=colour)

    def lens_bokeh(self, canvas: Image.Image) -> None:
        """A few large, very soft discs of light in front of everything, as from a wide lens."""
        for _ in range(int(self.u(2, 5))):
            rad = max(4, int(self.short * self.u(0.04, 0.09)))
            x, y = int(self.u(0, self.w)), int(self.u(0, self.h))
            disc = Image.new("L", (rad * 3, rad * 3), 0)
            ImageDraw.Draw(disc).ellipse((rad, rad, rad * 2, rad * 2), fill=int(self.u(20, 45)))
            disc = disc.filter(ImageFilter.BoxBlur(rad * 0.25))
            canvas.paste(_u8(self.pick(self.style.lights)), (x - rad * 3 // 2, y - rad * 3 // 2), disc)
