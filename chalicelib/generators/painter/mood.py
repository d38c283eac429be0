"""What the painter reads in a prompt: the emotion (Rekognition's eight and their common
synonyms, English and Korean), how strongly it is said, a flower species, a colour, motifs
("with cat", "moon", "butterfly") — and the look each emotion gets."""
from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field, replace
from typing import TypedDict

# word → (emotion, weight). Weight 2: the word names the feeling; 1: a cue ("smile").
_EMOTION_WORDS: dict[str, tuple[str, int]] = {}
for _emotion, _strong, _weak in (
    ("HAPPY", ("happy happiness joy joyful joyous glad cheerful delighted delight elated ecstatic "
               "blissful bliss merry jolly content"),
     "smile smiling smiles laugh laughing sunny playful excited fun"),
    ("SAD", ("sad sadness unhappy unhappiness sorrow sorrowful melancholy melancholic gloomy gloom "
             "depressed depression grief grieving heartbroken miserable lonely downcast despair"),
     "tears crying cry weeping tearful blue-mood mourning"),
    ("ANGRY", "angry anger rage raging furious fury mad wrath wrathful irate enraged outraged",
     "annoyed irritated hate hatred hostile fierce"),
    ("CONFUSED", "confused confusion puzzled bewildered perplexed baffled disoriented",
     "uncertain chaos chaotic lost dizzy strange surreal"),
    ("DISGUSTED", ("disgusted disgust disgusting revolted repulsed revolting repulsive gross "
                   "nauseous nausea"), "rotten yuck sick slimy decay decaying wilted"),
    ("SURPRISED", ("surprised surprise surprising amazed amazing astonished astonishment shocked "
                   "stunned startled"), "wow wonder awe sudden burst"),
    ("CALM", "calm calmness peaceful peace serene serenity tranquil tranquility relaxed relaxing",
     "quiet gentle still zen soothing soft meditative"),
    ("FEAR", ("fear fearful afraid scared frightened terrified terror horror horrified anxious "
              "anxiety dread"), "scary spooky creepy dark haunted nervous nightmare"),
):
    for _word in _strong.split():
        _EMOTION_WORDS[_word] = (_emotion, 2)
    for _word in _weak.split():
        _EMOTION_WORDS.setdefault(_word, (_emotion, 1))

# Korean attaches particles to words, so these match as substrings.
_KOREAN: tuple[tuple[str, str], ...] = (
    ("불행", "SAD"), ("행복", "HAPPY"), ("기쁨", "HAPPY"), ("기쁜", "HAPPY"), ("슬픔", "SAD"),
    ("슬픈", "SAD"), ("화난", "ANGRY"), ("분노", "ANGRY"), ("혼란", "CONFUSED"),
    ("혐오", "DISGUSTED"), ("역겨", "DISGUSTED"), ("놀람", "SURPRISED"), ("놀란", "SURPRISED"),
    ("평온", "CALM"), ("차분", "CALM"), ("평화", "CALM"), ("두려", "FEAR"), ("공포", "FEAR"),
    ("무서", "FEAR"),
)
_INTENSIFIERS = frozenset(["very", "so", "extremely", "super", "really", "truly", "deeply", "utterly", "too"])
_NEGATIONS = frozenset(["not", "no", "never", "without"])

_SPECIES = {
    "rose": "rose", "roses": "rose", "daisy": "daisy", "daisies": "daisy",
    "sunflower": "sunflower", "sunflowers": "sunflower", "lotus": "lotus", "lily": "lotus",
    "lilies": "lotus", "waterlily": "lotus", "cherry": "blossom", "sakura": "blossom",
    "blossom": "blossom", "blossoms": "blossom", "poppy": "poppy", "poppies": "poppy",
    "tulip": "poppy", "tulips": "poppy", "anemone": "poppy", "dahlia": "sunflower",
    "장미": "rose", "해바라기": "sunflower", "데이지": "daisy", "벚꽃": "blossom", "연꽃": "lotus",
}
# colour word → (hue 0..1, saturation, value); None keeps the emotion's own.
_COLOURS: dict[str, tuple[float | None, float | None, float | None]] = {
    "red": (0.99, None, None), "crimson": (0.97, None, None), "scarlet": (0.01, None, None),
    "pink": (0.93, 0.45, None), "orange": (0.07, None, None), "yellow": (0.14, None, None),
    "golden": (0.12, None, None), "gold": (0.12, None, None), "green": (0.28, None, None),
    "blue": (0.6, None, None), "purple": (0.78, None, None), "violet": (0.76, None, None),
    "lavender": (0.74, 0.3, None), "white": (None, 0.06, 0.97), "black": (0.95, 0.5, 0.22),
    "teal": (0.5, None, None), "turquoise": (0.48, None, None),
}
_MOTIFS = {
    "cat": "cat", "cats": "cat", "kitten": "cat", "kitty": "cat", "고양이": "cat",
    "butterfly": "butterfly", "butterflies": "butterfly", "나비": "butterfly",
    "moon": "moon", "night": "moon", "moonlight": "moon", "달": "moon", "밤": "moon",
    "star": "stars", "stars": "stars", "starry": "stars", "별": "stars",
    "sun": "sun", "sunset": "sunset", "sunrise": "sunset", "dusk": "sunset",
    "rain": "rain", "rainy": "rain", "비": "rain", "snow": "snow", "snowy": "snow", "눈": "snow",
    "heart": "hearts", "hearts": "hearts", "love": "hearts", "사랑": "hearts",
    "bird": "birds", "birds": "birds", "새": "birds",
    "fantasy": "fantasy", "magic": "fantasy", "magical": "fantasy", "dreamy": "fantasy",
    "young": "young", "immature": "young", "child": "young", "baby": "young", "toddler": "young",
    "bud": "young", "buds": "young",
    # the original's favourite words: a pond, a dog, the seasons, the weather, the time of day
    "pond": "pond", "lake": "pond", "water": "pond", "연못": "pond", "호수": "pond",
    "dog": "dog", "dogs": "dog", "puppy": "dog", "puppies": "dog", "강아지": "dog",
    "spring": "spring", "봄": "spring", "summer": "summer", "여름": "summer",
    "autumn": "autumn", "fall": "autumn", "가을": "autumn", "winter": "winter", "겨울": "winter",
    "cloud": "clouds", "clouds": "clouds", "cloudy": "clouds", "overcast": "clouds", "구름": "clouds",
    "sunny": "sun", "morning": "morning", "dawn": "morning", "아침": "morning",
    "day": "day", "daytime": "day", "noon": "day", "낮": "day", "evening": "sunset", "저녁": "sunset",
}


@dataclass(frozen=True)
class Mood:
    emotion: str | None            # one of the eight, None when the prompt names none
    intensity: float = 1.0         # 0.7 (faint) .. 1.4 ("very happy")
    species: str | None = None
    colour: tuple[float | None, float | None, float | None] | None = None
    motifs: frozenset[str] = field(default_factory=frozenset)


def read_prompt(prompt: str) -> Mood:
    text = prompt.lower()
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)?", text)
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    intensity = 1.0
    for i, word in enumerate(words):
        hit = _EMOTION_WORDS.get(word)
        if not hit:
            continue
        emotion, weight = hit
        prev = words[i - 1] if i else ""
        intensified = prev in _INTENSIFIERS
        if prev in _NEGATIONS or (intensified and i > 1 and words[i - 2] in _NEGATIONS):
            continue                        # "not (very) happy" says nothing we can paint
        boost = 1.5 if intensified else 1.0
        scores[emotion] = scores.get(emotion, 0.0) + weight * boost
        first.setdefault(emotion, i)
        if boost > 1 and weight == 2:
            intensity = 1.35
    for needle, emotion in _KOREAN:
        if needle in text:
            scores[emotion] = scores.get(emotion, 0.0) + 2
            first.setdefault(emotion, len(words))
            if needle == "불행":            # "unhappy" contains "happy" (행복 ⊂ 불행) too
                scores["HAPPY"] = scores.get("HAPPY", 0.0) - 2
    scores = {k: v for k, v in scores.items() if v > 0}
    strongest = max(scores, key=lambda e: (scores[e], -first[e])) if scores else None
    species = next((_SPECIES[w] for w in words if w in _SPECIES), None)
    colour = next((_COLOURS[w] for w in words if w in _COLOURS), None)
    motifs = {_MOTIFS[w] for w in words if w in _MOTIFS}
    motifs |= {m for k, m in _MOTIFS.items() if len(k) > 1 and not k.isascii() and k in text}
    if species is None:
        species = next((s for k, s in _SPECIES.items() if not k.isascii() and k in text), None)
    return Mood(strongest, intensity, species, colour, frozenset(motifs))


def hex_rgb(value: str) -> tuple[float, float, float]:
    value = value.lstrip("#")
    return int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255


@dataclass(frozen=True)
class Style:
    """How one emotion looks. Colours are hex; ranges are (low, high) drawn per flower."""
    sky: tuple[str, str]                 # top, bottom of the background gradient
    glow: tuple[str, float, float, float]  # colour, x, y (fractions), strength
    ground: str
    petals: tuple[str, ...]
    centres: tuple[str, ...]
    leaf: str
    lights: tuple[str, ...]              # bokeh and particles
    petal_count: tuple[int, int]
    petal_width: tuple[float, float]     # 1 ≈ neighbouring petals touch
    tip: tuple[float, float]             # 0.5 round … 1.5 spiky
    layers: tuple[int, int]
    tilt: tuple[float, float]            # degrees the face turns away from the viewer
    droop: float = 0.0                   # 0 upright … 1 heads hang from arched stems
    swirl: float = 0.0                   # petals twist around the centre
    wilt: float = 0.0                    # irregular, ragged petals
    serrate: float = 0.0                 # toothed leaves, thorns
    count: tuple[int, int] = (4, 6)      # flowers in focus (per 1280×800)
    size: tuple[float, float] = (0.1, 0.16)  # petal length, fraction of the short side
    centre: tuple[float, float] = (0.18, 0.28)
    buds: float = 0.0                    # share of closed buds
    particles: str = "pollen"
    notch: float = 0.0
    dark: bool = False


STYLES: dict[str | None, Style] = {
    "HAPPY": Style(("#8fcff5", "#fff0cf"), ("#fff3b0", 0.8, 0.12, 0.9), "#7db55b",
                   ("#ffcf33", "#ff9f1c", "#ff7b6b", "#ffb0c8", "#ffd86b"),
                   ("#7a3e0b", "#94461a", "#5c3317"), "#4f9a3b", ("#fff1a8", "#ffffff", "#ffd27a"),
                   (10, 15), (1.05, 1.35), (0.5, 0.7), (2, 2), (0, 25), count=(4, 6),
                   size=(0.11, 0.17), particles="pollen"),
    "SAD": Style(("#1d2940", "#71849d"), ("#c9d6ea", 0.25, 0.05, 0.35), "#2f4b4d",
                 ("#6f8fbf", "#8fa8d8", "#5e70a8", "#a9b6d8", "#7c92b5"),
                 ("#27304a", "#384868"), "#3d6a5f", ("#a9bddc", "#d0dcef"),
                 (5, 7), (0.8, 1.0), (0.6, 0.85), (1, 2), (55, 68), droop=1.0, wilt=0.12,
                 count=(3, 5), size=(0.1, 0.14), centre=(0.14, 0.2), particles="rain", dark=True),
    "ANGRY": Style(("#140303", "#5e0f0b"), ("#ff5a1f", 0.5, 1.1, 0.9), "#2a0d08",
                   ("#d7141c", "#b3001b", "#ff2a1a", "#8c0a12", "#f03a22"),
                   ("#120a0a", "#2b0505"), "#2e4a1e", ("#ff7b29", "#ffb347", "#ff4500"),
                   (11, 17), (0.55, 0.75), (1.25, 1.6), (2, 3), (0, 30), wilt=0.08, serrate=1.0,
                   count=(4, 6), size=(0.11, 0.16), centre=(0.14, 0.2), particles="embers",
                   dark=True),
    "CONFUSED": Style(("#3b2a5a", "#2f7f86"), ("#f2c94c", 0.2, 0.3, 0.5), "#2f5550",
                      ("#b86bff", "#2ec4b6", "#f4d35e", "#ff7aa2", "#7b5cff"),
                      ("#2d1b4e", "#ffcc00", "#0b3d3a"), "#4c8c6a", ("#f4d35e", "#b86bff", "#7ff0e4"),
                      (6, 10), (0.95, 1.2), (0.6, 0.8), (2, 2), (10, 55), swirl=1.6, wilt=0.1,
                      count=(4, 6), size=(0.1, 0.15), particles="motes"),
    # acid chartreuse and bruised plum under a sour green-violet dusk: unsettling, not murky
    "DISGUSTED": Style(("#1c1426", "#3f5a3a"), ("#d4ff3d", 0.62, 0.22, 0.45), "#24301c",
                       ("#c6e83a", "#a4d12c", "#8e3b7a", "#b0589a", "#e2e85c"),
                       ("#3b0f33", "#1f2a08"), "#5a8a2a", ("#d4ff3d", "#b0589a", "#9be564"),
                       (6, 9), (0.75, 1.0), (0.7, 0.9), (1, 2), (20, 45), droop=0.45, wilt=0.45,
                       serrate=0.4, count=(3, 5), size=(0.1, 0.15), particles="spores", dark=True),
    "SURPRISED": Style(("#48bfe3", "#fde4ff"), ("#ffffff", 0.5, 0.32, 1.0), "#5fbf73",
                       ("#ff2e93", "#ffd60a", "#1fb6ff", "#ff7b00", "#c2189e"),
                       ("#ffe066", "#3a0ca3", "#ffffff"), "#38a84f", ("#ffffff", "#ffd60a", "#ff9ad5"),
                       (16, 24), (0.7, 0.9), (0.9, 1.1), (2, 3), (0, 15), count=(5, 7),
                       size=(0.09, 0.15), centre=(0.16, 0.22), particles="sparkles"),
    "CALM": Style(("#cfe3ee", "#f5ecf3"), ("#ffffff", 0.5, 0.25, 0.6), "#a7cbb3",
                  ("#dcc6ef", "#f7bdd3", "#fdf6ff", "#bfe3f2", "#e8d5f5"),
                  ("#f2d16b", "#e8b86d"), "#7fb59a", ("#ffffff", "#f0f5ff"),
                  (7, 9), (0.9, 1.1), (0.6, 0.75), (2, 3), (15, 40), count=(3, 4),
                  size=(0.12, 0.16), centre=(0.14, 0.2), particles="mist"),
    "FEAR": Style(("#05040d", "#261b40"), ("#c9c3e6", 0.8, 0.16, 0.6), "#0d0b16",
                  ("#d9d2f0", "#b8a9d9", "#8e7cc3", "#e6e0ff", "#6c5b9e"),
                  ("#1a1030", "#3b2a5a"), "#2a3a36", ("#b8a9d9", "#8be9c0"),
                  (5, 6), (1.2, 1.5), (0.7, 0.9), (2, 2), (40, 60), droop=0.3, wilt=0.1,
                  serrate=0.6, count=(3, 5), size=(0.08, 0.12), buds=0.45, particles="fog",
                  dark=True),
    None: Style(("#a9dcf7", "#f6f1e2"), ("#fff6cc", 0.75, 0.15, 0.7), "#86bb6a",
                ("#ff8fab", "#fff7f0", "#c77dff", "#ffd166", "#ff6b6b"),
                ("#f4c430", "#7a3e0b"), "#4f9a3b", ("#ffffff", "#fff1a8"),
                (7, 12), (1.0, 1.3), (0.5, 0.7), (2, 2), (0, 30), count=(4, 6),
                size=(0.1, 0.16), particles="pollen"),
}

class _Form(TypedDict, total=False):
    """The Style fields a species (or its default colours) overrides."""
    petals: tuple[str, ...]
    centres: tuple[str, ...]
    petal_count: tuple[int, int]
    petal_width: tuple[float, float]
    tip: tuple[float, float]
    layers: tuple[int, int]
    tilt: tuple[float, float]
    swirl: float
    count: tuple[int, int]
    size: tuple[float, float]
    centre: tuple[float, float]
    notch: float


_SPECIES_FORM: dict[str, _Form] = {
    "rose": {"petal_count": (5, 5), "petal_width": (0.95, 1.1), "tip": (0.4, 0.45), "layers": (4, 4),
        "centre": (0.0, 0.0), "swirl": 0.3},
    "daisy": {"petal_count": (20, 28), "petal_width": (0.55, 0.7), "tip": (0.45, 0.55), "layers": (1, 1),
        "centre": (0.2, 0.26)},
    "sunflower": {"petal_count": (20, 26), "petal_width": (0.7, 0.85), "tip": (0.9, 1.1), "layers": (2, 2),
        "centre": (0.38, 0.45)},
    "lotus": {"petal_count": (8, 10), "petal_width": (0.9, 1.1), "tip": (0.95, 1.1), "layers": (3, 3),
        "tilt": (45, 60), "centre": (0.12, 0.16)},
    "blossom": {"petal_count": (5, 5), "petal_width": (1.1, 1.25), "tip": (0.45, 0.5), "layers": (1, 1),
        "notch": 0.22, "size": (0.06, 0.09), "count": (8, 12), "centre": (0.12, 0.16)},
    "poppy": {"petal_count": (4, 5), "petal_width": (1.5, 1.7), "tip": (0.45, 0.5), "layers": (2, 2),
        "centre": (0.16, 0.2)},
}


def style_for(mood: Mood) -> Style:
    style = STYLES[mood.emotion]
    if mood.species:
        form = _Form(**_SPECIES_FORM[mood.species])
        if mood.species == "daisy" and mood.colour is None:
            form["petals"] = tuple(_tint_white(c) for c in style.petals)
            form["centres"] = ("#f2b705", "#e09f00")
        if mood.species == "sunflower" and mood.colour is None:
            form["petals"] = ("#ffc300", "#ffb000", "#ffd23f") if not style.dark else ("#b8860b", "#a0741a")
            form["centres"] = ("#3b2412", "#4a2c10")
        style = replace(style, **form)
    if mood.colour is not None:
        style = replace(style, petals=tuple(_recolour(c, mood.colour) for c in style.petals))
    if "spring" in mood.motifs:                  # fresh greens, buds among the flowers
        style = replace(style, leaf="#5fbf4a", buds=max(style.buds, 0.2))
    if "autumn" in mood.motifs:                  # turning leaves, warm low light
        style = replace(style, leaf="#b8702a", ground=_blend(style.ground, "#8a5a2b", 0.6),
                        lights=("#ffb347", "#ff8c42", "#ffd27a"))
    if "winter" in mood.motifs:                  # snow on the ground, cold light
        style = replace(style, ground=_blend(style.ground, "#e8eef5", 0.35 if style.dark else 0.8),
                        lights=("#ffffff", "#dfe8ff"))
    if "young" in mood.motifs:
        style = replace(style, buds=max(style.buds, 0.25),
                        size=(style.size[0] * 0.85, style.size[1] * 0.85))
    return style


def _recolour(colour: str, target: tuple[float | None, float | None, float | None]) -> str:
    """The emotion's shade (saturation, brightness) of the asked-for hue: a sad red is dusty."""
    h, s, v = colorsys.rgb_to_hsv(*hex_rgb(colour))
    th, ts, tv = target
    h = h if th is None else (th + (h % 0.05) - 0.025) % 1.0
    s = max(s, 0.6) if ts is None and th is not None else (s if ts is None else ts)
    v = v if tv is None else tv
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _blend(colour: str, other: str, t: float) -> str:
    a, b = hex_rgb(colour), hex_rgb(other)
    return "#" + "".join(f"{round((x + (y - x) * t) * 255):02x}" for x, y in zip(a, b))


def _tint_white(colour: str) -> str:
    r, g, b = hex_rgb(colour)
    return "#" + "".join(f"{round((0.82 + 0.18 * c) * 255):02x}" for c in (r, g, b))
