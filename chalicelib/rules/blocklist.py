"""The prompt block list: a curated list of words in English and Korean (``blocklist.txt``
beside this module) that an operator may extend, and the normalization that keeps the usual
tricks from slipping past it.

A list is text, one entry per line; ``#`` starts a comment; ``[category]`` starts a section
whose entries are reported under that category (entries before any section: ``operator``).
An English entry matches a whole word and its common forms (``nude`` → nudes, nudity is
listed apart); a trailing ``*`` makes it a prefix (``porn*`` → pornography). A Korean (or other
unspaced-script) entry matches anywhere inside a word, since particles and endings attach to
it (``섹스`` → 섹스를).

Before matching, a prompt and every entry go through the same normalization:

- Unicode compatibility forms folded (NFKD): fullwidth ``ｎｕｄｅ``, ligatures, circled and
  halfwidth letters, halfwidth Hangul; accents and every other combining mark dropped
  (``nüde``); case folded.
- Invisible characters dropped: zero-width spaces and joiners, the BOM, soft hyphens,
  direction marks, tag characters, variation selectors, Hangul fillers, control characters,
  NULs, lone surrogates.
- Lookalikes mapped to the Latin letter they imitate (Cyrillic ``а е о р с х``, Greek
  ``ο α ν``…), and inside a Latin word the usual digits and signs (``p0rn``, ``$ex``).
- Spacing: a run of single letters is read as one word (``n u d e``, ``n.u.d.e``), two or
  three neighbouring words as one (``nu de``); letters repeated three times or more are read
  once and twice (``nuuude``, ``boooobs``).
- Hangul is decomposed into its letters (jamo) and composed again the way a Korean input
  method does, so syllables typed letter by letter (``ㅅㅔㄱㅅㅡ``), mixed (``섹ㅅㅡ``) or
  spaced one syllable at a time (``섹 스``) read as the word they spell.

Pure: ``parse`` takes the list's text; reading a file and naming the setting it came from is
the caller's (``chalicelib/moderation/blocklist.py``).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

SHIPPED = Path(__file__).with_name("blocklist.txt")
OPERATOR = "operator"            # the category of entries outside any [section]
MAX_ENTRY_CHARS = 100

# --- normalization -------------------------------------------------------------------------
# Hangul letters, in the order of Unicode's conjoining jamo. Output letters are the
# compatibility jamo (ㄱ, ㅏ); compound vowels and compound finals are split into the letters
# they are typed with, so ㅘ and ㅗㅏ, ㄳ and ㄱㅅ read the same.
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_COMPOUND = {"ㅘ": "ㅗㅏ", "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ",
             "ㅢ": "ㅡㅣ", "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ",
             "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ", "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ"}
_JOIN = {pair: whole for whole, pair in _COMPOUND.items()}
_CONSONANTS = frozenset(_INITIALS)
_NO_FINAL = frozenset("ㄸㅃㅉ")       # double consonants that never end a syllable
_INITIAL_INDEX = {c: i for i, c in enumerate(_INITIALS)}
_VOWEL_INDEX = {c: i for i, c in enumerate(_VOWELS)}
_FINAL_INDEX = {c: i + 1 for i, c in enumerate(_FINALS)}

# Letters that imitate Latin ones (after case folding), and a Latin word's digits and signs.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "һ": "h", "н": "h", "і": "i", "ј": "j", "к": "k", "ӏ": "l",
    "м": "m", "о": "o", "р": "p", "ԛ": "q", "с": "c", "ѕ": "s", "т": "t", "у": "y", "ԝ": "w",
    "х": "x", "ԁ": "d",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y",
    # Latin letters without a decomposition
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ɡ": "g", "æ": "ae", "œ": "oe",
}
_LEET = str.maketrans("013457892@$", "oieastbgzas")
_SPACES = frozenset("\t\n\r\x0b\x0c")


class _Table(dict[int, "int | str | None"]):
    """``str.translate``'s table, filled per character on first sight (no table of all of
    Unicode is built at import): invisible characters removed, spaces made plain, Hangul jamo
    made letters, lookalikes made Latin, everything else kept."""

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        value: int | str | None = code
        category = unicodedata.category(char)
        if char in _SPACES or category.startswith("Z"):
            value = " "
        elif category in ("Mn", "Me", "Cf", "Cc", "Cs", "Co", "Cn"):
            value = None                                      # marks, invisibles, controls
        elif 0x1100 <= code <= 0x1112:
            value = _INITIALS[code - 0x1100]
        elif 0x1161 <= code <= 0x1175:
            vowel = _VOWELS[code - 0x1161]
            value = _COMPOUND.get(vowel, vowel)
        elif 0x11A8 <= code <= 0x11C2:
            final = _FINALS[code - 0x11A8]
            value = _COMPOUND.get(final, final)
        elif 0x1100 <= code <= 0x11FF or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF:
            value = None                                      # fillers and old Hangul
        elif char in _LOOKALIKES:
            value = _LOOKALIKES[char]
        if len(self) < 65_536:                                # a hostile prompt cannot grow it
            self[code] = value
        return value


_TABLE = _Table()
# Hangul letters (as normalized), Han and kana: scripts written without spaces between words.
_DENSE = "\u3131-\u3163\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"(?P<latin>[a-z0-9@$]+)|(?P<dense>[{_DENSE}]+)")
_TRIPLED = re.compile(r"(.)\1\1+")


def normalize(text: str) -> str:
    """The prompt as the block list reads it (see the module's docstring)."""
    return unicodedata.normalize("NFKD", text).casefold().translate(_TABLE)


def compose_hangul(letters: str) -> str:
    """Hangul letters composed into syllables as an input method does: a consonant before a
    vowel begins a syllable; a consonant (or a compound final's two) not before a vowel ends
    one. Anything else passes through."""
    out: list[str] = []
    i, n = 0, len(letters)
    while i < n:
        c = letters[i]
        if c in _CONSONANTS and i + 1 < n and letters[i + 1] in _VOWEL_INDEX:
            vowel, i = letters[i + 1], i + 2
            if i < n and (vowel + letters[i]) in _JOIN:
                vowel, i = _JOIN[vowel + letters[i]], i + 1
            final = ""
            if i < n and letters[i] in _CONSONANTS and letters[i] not in _NO_FINAL and not (
                    i + 1 < n and letters[i + 1] in _VOWEL_INDEX):
                final, i = letters[i], i + 1
                pair = final + letters[i] if i < n else ""
                if pair in _JOIN and not (i + 1 < n and letters[i + 1] in _VOWEL_INDEX):
                    final, i = _JOIN[pair], i + 1
            out.append(chr(0xAC00 + (_INITIAL_INDEX[c] * 21 + _VOWEL_INDEX[vowel]) * 28
                           + _FINAL_INDEX.get(final, 0)))
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Words:
    """A prompt read into what the entries are matched against."""
    latin: tuple[str, ...]       # words, then single-letter runs and neighbours joined
    dense: tuple[str, ...]       # unspaced-script words, composed, then one-syllable runs joined


def _read(text: str) -> _Words:
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(normalize(text))]
    words = [word.translate(_LEET) if kind == "latin" else compose_hangul(word)
             for kind, word in tokens]
    latin = [word for (kind, _), word in zip(tokens, words, strict=True) if kind == "latin"]
    dense = [word for (kind, _), word in zip(tokens, words, strict=True) if kind == "dense"]
    # a run of one-letter words (one-syllable, for Korean) is read as one word: n u d e, 섹 스
    run: list[int] = []
    for i in range(len(tokens) + 1):
        if i < len(tokens) and len(words[i]) == 1 and (
                not run or tokens[run[-1]][0] == tokens[i][0]):
            run.append(i)
            continue
        if len(run) > 1:
            if tokens[run[0]][0] == "latin":
                latin.append("".join(words[j] for j in run))
            else:
                dense.append(compose_hangul("".join(tokens[j][1] for j in run)))
        run = [i] if i < len(tokens) and len(words[i]) == 1 else []
    # neighbouring Latin words, two and three, as one (marked: matched as written, or plural)
    plain = [word for (kind, _), word in zip(tokens, words, strict=True) if kind == "latin"]
    joined = ["\x00" + "".join(plain[i:i + k]) for k in (2, 3) for i in range(len(plain) - k + 1)]
    return _Words(latin=(*latin, *joined), dense=tuple(dense))


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "y", "ly", "ish", "ity", "ness")


def _forms(word: str) -> set[str]:
    """An entry's word and its common English forms (nude → nudes, nuded; rape → raping;
    shit → shitty; gore → gory), made once when the list is parsed, so that matching a
    prompt's word is one lookup."""
    forms = {word} | {word + suffix for suffix in _SUFFIXES}
    if word.endswith("e"):
        forms |= {word[:-1] + suffix for suffix in ("ing", "ed", "er", "ers", "y", "ish", "ity")}
    if word.endswith("y"):
        forms |= {word[:-1] + suffix for suffix in ("ies", "ied", "ier", "iest", "ily")}
    if len(word) > 2 and word[-1] not in "aeiouy" and word[-2] in "aeiou":
        forms |= {word + word[-1] + suffix for suffix in ("y", "ing", "ed", "er", "ers")}
    return forms


def _squeezed(word: str) -> Iterator[str]:
    """The word, and when a letter repeats three times or more: it twice, and once."""
    yield word
    if _TRIPLED.search(word):
        yield _TRIPLED.sub(r"\1\1", word)
        yield _TRIPLED.sub(r"\1", word)


@dataclass(frozen=True)
class Match:
    entry: str        # the entry as written in its list
    category: str


@dataclass(frozen=True)
class BlockList:
    """Parsed entries, ready to match. Build with ``parse``; join lists with ``+``."""
    words: dict[str, Match]                 # normalized English word → its entry
    prefixes: dict[str, Match]              # normalized prefix → its entry
    dense: dict[str, Match]                 # composed Korean (unspaced) entry → its entry
    sources: tuple[str, ...] = ()
    _forms: dict[str, Match] = field(init=False, repr=False, compare=False)
    _exact: dict[str, Match] = field(init=False, repr=False, compare=False)
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        forms: dict[str, Match] = {}
        for key, match in self.words.items():
            for form in _forms(key):
                forms.setdefault(form, match)
        for key, match in self.words.items():           # an entry itself wins over a form
            forms[key] = match
        exact = {**{key + "s": m for key, m in self.words.items()}, **self.words}
        object.__setattr__(self, "_forms", forms)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefixes", tuple(self.prefixes))

    def __add__(self, other: BlockList) -> BlockList:
        return BlockList({**self.words, **other.words}, {**self.prefixes, **other.prefixes},
                         {**self.dense, **other.dense}, self.sources + other.sources)

    def __len__(self) -> int:
        return len(self.words) + len(self.prefixes) + len(self.dense)

    def matches(self, prompt: str) -> list[Match]:
        """The entries the prompt contains (each once, in the order met); empty when none."""
        read = _read(prompt)
        found: dict[str, Match] = {}
        prefixes = self._prefixes
        for word in dict.fromkeys(read.latin):
            # joined neighbours: the entry as written or its plural, never a longer form
            lookup = self._exact if word.startswith("\x00") else self._forms
            for variant in _squeezed(word.lstrip("\x00")):
                match = lookup.get(variant)
                if match is not None:
                    found.setdefault(match.entry, match)
                if prefixes and variant.startswith(prefixes):
                    for prefix, match in self.prefixes.items():
                        if variant.startswith(prefix):
                            found.setdefault(match.entry, match)
        if self.dense and read.dense:
            text = "\n".join(read.dense)
            for entry, match in self.dense.items():
                if entry in text:
                    found.setdefault(match.entry, match)
        return list(found.values())


def parse(text: str, source: str) -> BlockList:
    """The entries of one list; ConfigError naming ``source`` (and the line) for an entry
    that normalizes to nothing, mixes scripts or is too long, and for a list with no entry."""
    words: dict[str, Match] = {}
    prefixes: dict[str, Match] = {}
    dense: dict[str, Match] = {}
    category = OPERATOR
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if entry.startswith("[") and entry.endswith("]"):
            category = entry[1:-1].strip().lower() or OPERATOR
            continue
        where = f"{source}, line {number}"
        if len(entry) > MAX_ENTRY_CHARS:
            raise ConfigError(f"{where}: an entry is at most {MAX_ENTRY_CHARS} characters")
        prefix = entry.endswith("*")
        tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(normalize(entry.rstrip("*")))]
        kinds = {kind for kind, _ in tokens}
        if not tokens:
            raise ConfigError(f"{where}: the entry {entry!r} has no letters to match")
        if len(kinds) > 1:
            raise ConfigError(f"{where}: the entry {entry!r} mixes Latin letters with Korean or "
                              "another unspaced script; list each part as an entry of its own")
        match = Match(entry=entry, category=category)
        if kinds == {"dense"}:
            dense[compose_hangul("".join(word for _, word in tokens))] = match
        else:
            key = "".join(word for _, word in tokens).translate(_LEET)
            (prefixes if prefix else words)[key] = match
    if not (words or prefixes or dense):
        raise ConfigError(f"{source} has no entries (an empty block list would allow every "
                          "prompt): list at least one word, or do not name the file")
    return BlockList(words, prefixes, dense, (source,))


def shipped() -> BlockList:
    """The curated list that ships with the garden."""
    return parse(SHIPPED.read_text(encoding="utf-8"), "the shipped block list")


def categories(matches: Iterable[Match]) -> tuple[str, ...]:
    """The distinct categories of some matches, sorted."""
    return tuple(sorted({m.category for m in matches}))
