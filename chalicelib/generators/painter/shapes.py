"""The painter's brushes: flowers, leaves, stems and small motifs, each drawn with vectorised
numpy over its own bounding box and pasted through an anti-aliased alpha mask."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

F = np.float32
RGB = tuple[float, float, float]


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    smooth: np.ndarray = x * x * (3.0 - 2.0 * x)
    return smooth


def _box(canvas: Image.Image, cx: float, cy: float, ext: float) -> tuple[int, int, int, int] | None:
    x0, y0 = max(int(cx - ext), 0), max(int(cy - ext), 0)
    x1, y1 = min(int(cx + ext) + 2, canvas.width), min(int(cy + ext) + 2, canvas.height)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def col3(colour: RGB | tuple[float, ...]) -> np.ndarray:
    """A colour shaped (3, 1, 1): images are kept channel-first, (3, h, w), because numpy
    broadcasting over a trailing axis of 3 runs its inner loops 3 elements long (~10× slower)."""
    return np.asarray(colour, F).reshape(3, 1, 1)


def to_image(rgb: np.ndarray) -> Image.Image:
    """A (3, h, w) array in 0..1 as an RGB image."""
    channels = np.clip(rgb * F(255.0) + F(0.5), 0, 255).astype(np.uint8)
    return Image.merge("RGB", [Image.fromarray(c, "L") for c in channels])


def paste(canvas: Image.Image, box: tuple[int, int, int, int], rgb: np.ndarray,
          alpha: np.ndarray) -> None:
    """Lay ``rgb`` ((3, h, w) in 0..1) over the canvas at ``box`` through ``alpha`` (h×w)."""
    colour = to_image(rgb)
    mask = Image.fromarray(np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    canvas.paste(colour, box[:2], mask)


@dataclass
class Flower:
    x: float
    y: float
    radius: float                 # petal length in canvas pixels
    petals: int
    width: float                  # 1 ≈ neighbouring petals touch
    tip: float                    # exponent: 0.5 round … 1.5 spiky
    layers: int
    spin: float                   # rotation of the petals, radians
    face: float                   # screen direction the face turns towards, radians
    squash: float                 # 1 faces the viewer … 0.3 seen edge-on
    inner: RGB
    outer: RGB
    centre: RGB
    centre_frac: float
    wilt: float                   # 0 even petals … 0.5 ragged, uneven lengths
    swirl: float = 0.0
    notch: float = 0.0
    sepal: RGB | None = None      # green calyx behind the petals (heads seen from the side)
    light: float = -2.3           # direction the light comes from, radians (screen)
    rose: bool = False            # rings of broad, overlapping, cupped petals


def _ellipse_extent(f: Flower, radius: float) -> tuple[float, float]:
    """Half width and half height on screen of a disc of ``radius`` in the flower's plane."""
    c, s = math.cos(f.face), math.sin(f.face)
    rs = radius * f.squash
    return math.hypot(rs * c, radius * s) + 2, math.hypot(rs * s, radius * c) + 2


def paint_flower(canvas: Image.Image, f: Flower) -> None:
    ex, ey = _ellipse_extent(f, f.radius * 1.05)
    x0, y0 = max(int(f.x - ex), 0), max(int(f.y - ey), 0)
    x1, y1 = min(int(f.x + ex) + 2, canvas.width), min(int(f.y + ey) + 2, canvas.height)
    if x0 >= x1 or y0 >= y1:
        return
    X = np.arange(x0, x1, dtype=F)[None, :] - F(f.x)
    Y = np.arange(y0, y1, dtype=F)[:, None] - F(f.y)
    c, s = F(math.cos(f.face)), F(math.sin(f.face))
    a = (X * c + Y * s) * F(1.0 / f.squash)        # into the flower's own plane
    b = Y * c - X * s
    r = np.sqrt(a * a + b * b)
    th = np.arctan2(b, a)
    aa = F(0.5 + 0.5 * f.squash)                   # ~1 screen pixel of edge softness
    lit = F(0.9) + F(0.1) * np.cos(th + F(f.face - f.light))
    h, w = r.shape
    # The petal rings share two colours, so they are composited as scalar fields (where
    # between inner and outer colour, how lit, how opaque) and turned into RGB once.
    mix = np.zeros((h, w), F)
    tone = np.zeros((h, w), F)
    alpha = np.zeros((h, w), F)

    def window(radius: float) -> tuple[slice, slice]:
        wx, wy = _ellipse_extent(f, radius * 1.02)
        return (slice(max(int(f.y - wy) - y0, 0), max(min(int(f.y + wy) + 2 - y0, h), 0)),
                slice(max(int(f.x - wx) - x0, 0), max(min(int(f.x + wx) + 2 - x0, w), 0)))

    n_layers = max(1, f.layers)
    if f.rose:
        for radius, angle, size, shade in _rose_petals(f, n_layers):
            sl = window(radius)
            m_l, t_l, a_l, shadow = _rose_petal(r[sl], th[sl], lit[sl], radius, angle, size,
                                                shade, f.wilt, aa)
            tone[sl] = tone[sl] * (1 - F(0.45) * shadow)   # it casts a soft shadow on those below
            keep = 1 - a_l
            mix[sl] = mix[sl] * keep + m_l * a_l
            tone[sl] = tone[sl] * keep + t_l * a_l
            alpha[sl] = alpha[sl] + a_l * (1 - alpha[sl])
    for i in range(0 if f.rose else n_layers):
        k = i / max(n_layers - 1, 1)
        radius = f.radius * (1.0 - 0.2 * i)
        spin = f.spin + i * math.pi / f.petals
        shade = 0.7 + 0.3 * k            # back petals lie in the front ones' shade
        sl = window(radius)
        m_l, t_l, a_l = _petals(r[sl], th[sl], lit[sl], radius, f.petals, f.width, f.tip, spin,
                                f.swirl, f.notch, f.wilt, shade, aa)
        keep = 1 - a_l
        mix[sl] = mix[sl] * keep + m_l * a_l
        tone[sl] = tone[sl] * keep + t_l * a_l
        alpha[sl] = alpha[sl] + a_l * (1 - alpha[sl])
    inner = col3(f.inner)
    rgb = (inner + (col3(f.outer) - inner) * mix) * tone
    if f.sepal is not None:                          # a green calyx behind the petals
        sl = window(f.radius * 0.55)
        _, t_s, a_s = _petals(r[sl], th[sl], lit[sl], f.radius * 0.55, 5, 0.55, 1.3, f.spin + 0.3,
                              0.0, 0.0, 0.0, 0.8, aa)
        a_p, rs = alpha[sl], (slice(None), *sl)
        behind = a_s * (1 - a_p)
        both = np.maximum(a_p + behind, F(1e-4))
        rgb[rs] = (rgb[rs] * a_p + col3(f.sepal) * (t_s * behind)) / both
        alpha[sl] = both
    if f.centre_frac > 0:
        rc = f.radius * f.centre_frac
        sl = window(rc * 1.35)
        col, a_c = _centre(r[sl], th[sl], rc, f.centre, f.face - f.light, aa)
        rs = (slice(None), *sl)
        rgb[rs] = rgb[rs] + (col - rgb[rs]) * a_c
        alpha[sl] = alpha[sl] + a_c * (1 - alpha[sl])
    paste(canvas, (x0, y0, x1, y1), rgb, alpha)


def _petals(r: np.ndarray, th: np.ndarray, lit: np.ndarray, radius: float, n: int, width: float,
            tip: float, spin: float, swirl: float, notch: float, wilt: float,
            shade: float, aa: np.float32
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One ring of ``n`` petals: (inner→outer colour position, light, opacity) per pixel."""
    sector = F(2 * math.pi / n)
    ang = th - F(spin)
    if swirl:
        ang = ang - F(swirl) * (r * F(1.0 / radius))
    k = np.round(ang / sector)
    d = ang - k * sector                              # angle from the nearest petal's axis
    along = r * np.cos(d)
    across = np.abs(r * np.sin(d))
    wmax = F(radius * math.tan(math.pi / n) * width)
    if not wilt:
        length: np.ndarray | np.float32 = F(radius)
        t = along * F(1.0 / radius)
    else:   # ragged: each petal its own length, a fixed pseudo-random function of its index
        km = k - F(n) * np.floor(k * F(1.0 / n))
        jitter = F(0.6) * np.sin(km * F(2.39996) + F(spin)) + F(0.4) * np.sin(km * F(5.1) + F(2 * spin))
        length = np.maximum(F(1) + F(wilt) * jitter, F(0.5)) * F(radius)
        t = along / length
    if notch:
        t = t / (1 - F(notch) * np.exp(-(across / (F(0.35) * wmax)) ** 2))
    tc = np.clip(t, 0.0, 1.0)
    # widest at 2/3 of its length; ``tip`` rounds (0.5) or sharpens (1.5) the end
    half = wmax * np.maximum(np.sin(F(math.pi) * (tc * np.sqrt(tc))), F(0)) ** F(tip)
    edge = np.clip((half - across) * aa + F(0.5), 0.0, 1.0)
    # the petal's own end: t runs out at its tip (no hairline along the axis beyond it)
    ends = np.clip((F(1) - t) * length * aa + F(0.5), 0.0, 1.0) * (t > 0)
    # petals of one ring meet along the sector border: a hairline of shade keeps them apart
    border = np.clip((F(0.5) * sector - np.abs(d)) * r * F(0.8), 0.0, 1.0)
    q = across / np.maximum(half, F(1e-3))
    base = np.minimum(tc * F(3.3), F(1.0))           # shadowed where the petal leaves the heart
    tone = (F(1.0) - F(0.3) * q * q) * (F(0.5) + F(0.5) * base * (F(2) - base))
    tone = tone * lit * (F(shade * 0.82) + F(shade * 0.3) * border)
    return tc, tone, edge * ends * (F(0.35) + F(0.65) * border)


def _rose_petals(f: Flower, layers: int) -> list[tuple[float, float, float, float]]:
    """A rose from the outside in: rings of broad, overlapping petals, each ring smaller and
    turned half a petal against the one below, then a tight heart of three furled petals.
    Each petal: (reach from the centre, angle, width as a fraction of its sector, shade)."""
    plan = []
    n = max(3, f.petals)
    sector = 2 * math.pi / n
    for i in range(layers):
        reach = f.radius * (1.0 - 0.19 * i)
        for j in range(n):
            angle = f.spin + j * sector + (i * sector / 2) + f.swirl * 0.3 * i
            plan.append((reach, angle, 1.0 + 0.08 * i, 0.78 + 0.22 * i / max(layers, 1)))
    heart = f.radius * max(0.22, 1.0 - 0.19 * layers)
    for j in range(3):                                  # the bud at the heart, furled
        plan.append((heart * (1.0 - 0.18 * j), f.spin + 2.1 * j, 1.1, 0.72 - 0.08 * j))
    return plan


def _rose_petal(r: np.ndarray, th: np.ndarray, lit: np.ndarray, reach: float, angle: float,
                size: float, shade: float, wilt: float, aa: np.float32
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One broad, cupped rose petal reaching ``reach`` from the centre towards ``angle``:
    (inner→outer colour position, light, opacity, its soft shadow) per pixel. The petal is
    darker where it leaves the heart, and its curled-back rim catches the light."""
    d = (th - F(angle - math.pi)) % F(2 * math.pi) - F(math.pi)   # -π … π from the petal's axis
    along = r * np.cos(d)
    across = r * np.sin(d)
    half_len = F(reach * 0.5)
    half_wide = F(max(reach * 0.5 * size * (1 + 0.15 * math.sin(angle * 3.7) * wilt), 1.0))
    u = (along - half_len) / half_len                 # -1 at the heart … +1 at the rim
    v = across / half_wide
    # a rounded petal, a little broader towards its rim than at its base
    e = np.sqrt(u * u + (v * (F(1.08) - F(0.12) * u)) ** 2)
    alpha = np.clip((F(1) - e) * half_wide * aa + F(0.5), 0.0, 1.0)
    shadow = np.clip((F(1.18) - e) * F(2.2), 0.0, 1.0) * (F(1) - alpha)
    rim = np.exp(-(((F(1) - e) * half_wide) / F(max(1.2, reach * 0.07))) ** 2) * np.clip(u + F(0.2), 0.0, 1.0)
    cup = F(0.55) + F(0.45) * np.clip(u * F(0.5) + F(0.6), 0.0, 1.0)   # the cup's hollow is shaded
    tone = (cup + F(0.45) * rim) * lit * F(shade)
    mix = np.clip(u * F(0.5) + F(0.5), 0.0, 1.0)
    return mix, tone, alpha, shadow


def _centre(r: np.ndarray, th: np.ndarray, rc: float, colour: RGB, light: float,
            aa: np.float32) -> tuple[np.ndarray, np.ndarray]:
    rr = r * F(1.0 / rc)
    dome = np.sqrt(np.clip(1 - rr * rr, 0.0, 1.0))
    shading = F(0.55) + F(0.55) * dome * (F(0.75) + F(0.25) * np.cos(th + F(light)))
    seeds = F(0.88) + F(0.12) * np.sin(rr * F(26.0)) * np.sin(th * F(21.0) + rr * F(9.0))
    col = col3(colour) * (shading * seeds)
    a_disc = np.clip((F(rc) - r) * aa + F(0.5), 0.0, 1.0)
    # a ring of pollen-dusted stamens just outside the disc
    ring = np.exp(-((rr - F(1.12)) * F(9.0)) ** 2) * (F(0.5) + F(0.5) * np.cos(th * F(23.0))) ** 4
    col = col * a_disc + col3((1.0, 0.9, 0.55)) * (ring * (1 - a_disc))
    return col, np.clip(a_disc + ring * F(0.85), 0.0, 1.0)


def paint_leaf(canvas: Image.Image, x: float, y: float, angle: float, length: float,
               width: float, curl: float, colour: RGB, serrate: float = 0.0,
               spots: float = 0.0, rib: RGB = (0.85, 0.95, 0.6)) -> None:
    """A leaf (or a closed petal) growing from (x, y) towards ``angle``."""
    # the box around the leaf's own oriented rectangle, not around its whole sweep
    ca, sa = math.cos(angle), math.sin(angle)
    side = width * 0.5 + abs(curl) * length + 2
    xs = [x + ca * u - sa * v for u in (0.0, length) for v in (-side, side)]
    ys = [y + sa * u + ca * v for u in (0.0, length) for v in (-side, side)]
    x0, y0 = max(int(min(xs)), 0), max(int(min(ys)), 0)
    x1, y1 = min(int(max(xs)) + 2, canvas.width), min(int(max(ys)) + 2, canvas.height)
    if x0 >= x1 or y0 >= y1:
        return
    box = (x0, y0, x1, y1)
    X = np.arange(x0, x1, dtype=F)[None, :] - F(x)
    Y = np.arange(y0, y1, dtype=F)[:, None] - F(y)
    c, s = F(math.cos(angle)), F(math.sin(angle))
    u = (X * c + Y * s) * F(1.0 / length)
    v = Y * c - X * s
    uc = np.clip(u, 0.0, 1.0)
    v = v - F(curl * length) * uc * uc                 # the leaf bends as it grows
    half = F(width * 0.5) * np.maximum(np.sin(F(math.pi) * uc ** F(0.75)), F(0)) ** F(0.9)
    if serrate:
        half = half * (1 - F(0.16 * serrate) * (F(0.5) + F(0.5) * np.sin(u * F(length / width * 9.0))))
    av = np.abs(v)
    a_l = np.clip((half - av) + F(0.5), 0.0, 1.0) * (u > 0) * (u < 1)
    # the leaf folds along its rib: the half facing up catches the light
    side = F(0.94) + F(0.14) * np.sign(v * F(math.copysign(1.0, -s if abs(s) > 0.2 else 1.0)))
    veins = F(0.93) + F(0.07) * np.cos(F(2 * math.pi) * (u * F(7.0) - av / F(width) * F(2.2)))
    tone = side * veins * (F(0.72) + F(0.4) * uc)
    col = col3(colour) * tone
    midrib = np.exp(-(v / F(0.9 + 0.03 * width)) ** 2) * (1 - uc)
    col = col + (col3(rib) - col) * (midrib * F(0.45))
    if spots:
        blot = np.sin(u * F(31.0)) * np.sin(v * F(0.45) + F(1.7)) > F(1 - spots)
        col = np.where(blot, col * col3((0.75, 0.6, 0.35)), col)
    paste(canvas, box, col, a_l)


def bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
           p3: tuple[float, float], n: int = 28) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = np.array([p0, p1, p2, p3], float)
    curve: np.ndarray = ((1 - t) ** 3 * pts[0] + 3 * (1 - t) ** 2 * t * pts[1]
                         + 3 * (1 - t) * t * t * pts[2] + t ** 3 * pts[3])
    return curve


def stroke(draw: ImageDraw.ImageDraw, path: np.ndarray, w0: float, w1: float,
           fill: int | tuple[int, ...] = 255, dx: float = 0.0) -> None:
    """A tapering line along ``path`` (width w0 at its start, w1 at its end)."""
    n = len(path)
    for i in range(n - 1):
        wd = w0 + (w1 - w0) * i / (n - 1)
        (ax, ay), (bx, by) = path[i], path[i + 1]
        draw.line((ax + dx, ay, bx + dx, by), fill=fill, width=max(1, round(wd)))
        rad = wd / 2
        if rad >= 1.5:
            draw.ellipse((bx + dx - rad, by - rad, bx + dx + rad, by + rad), fill=fill)


def ellipse_points(cx: float, cy: float, rx: float, ry: float, angle: float,
                   n: int = 28) -> list[tuple[float, float]]:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    ca, sa = math.cos(angle), math.sin(angle)
    xs, ys = rx * np.cos(t), ry * np.sin(t)
    return list(zip((cx + xs * ca - ys * sa).tolist(), (cy + xs * sa + ys * ca).tolist()))


def sprite(size: tuple[int, int], draw_at: float,
           paint: Callable[[ImageDraw.ImageDraw, float], None]) -> Image.Image:
    """A small RGBA motif drawn 3× larger and shrunk: Pillow's polygons get anti-aliased."""
    big = Image.new("RGBA", (size[0] * 3, size[1] * 3), (0, 0, 0, 0))
    paint(ImageDraw.Draw(big), 3.0 * draw_at)
    return big.resize(size, Image.Resampling.BOX)


def heart_points(cx: float, cy: float, size: float, n: int = 32) -> list[tuple[float, float]]:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return list(zip((cx + x * size / 34).tolist(), (cy + y * size / 34).tolist()))
