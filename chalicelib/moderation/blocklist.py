"""The block-list prompt check: the shipped English and Korean list plus the operator's
(``GARDEN_BLOCKLIST`` files in the data directory, ``GARDEN_BLOCKLIST_WORDS`` as a stage
setting). Offline, in-process, well under a millisecond per prompt (``bench/bench_moderation``).

The operator's lists are read once, when the check is built at start-up: a list that was
named and is missing, empty (no entry) or not UTF-8 is a ConfigError naming the setting and
the file — never a silently shorter list. The default file (``blocklist.txt`` in the data
directory) may be absent; when present it is held to the same rules."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from ..rules import blocklist as rules
from . import CLEAN, Verdict
from .settings import ModerationSettings

NAME = "blocklist"


class BlockListCheck:
    name = NAME

    def __init__(self, entries: rules.BlockList) -> None:
        self.entries = entries

    @classmethod
    def from_settings(cls, settings: ModerationSettings) -> BlockListCheck:
        entries = rules.shipped()
        for path in settings.blocklists:
            if not settings.blocklists_named and not path.exists():
                continue                       # the default file is optional
            entries = entries + read_list(path, "GARDEN_BLOCKLIST")
        if settings.extra_words:
            entries = entries + words_list(settings.extra_words, "GARDEN_BLOCKLIST_WORDS")
        return cls(entries)

    def check_prompt(self, text: str) -> Verdict:
        found = self.entries.matches(text)
        if not found:
            return CLEAN
        return Verdict("blocked-words", labels=rules.categories(found), confidence=100.0,
                       source=NAME, terms=tuple(m.entry for m in found))


def read_list(path: Path, setting: str) -> rules.BlockList:
    """One operator list; ConfigError naming ``setting`` and the file when it cannot be used."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{setting}: the block list {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{setting}: the block list {path} cannot be read "
                          f"({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{setting}: the block list {path} is not UTF-8 text (byte "
                          f"{exc.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise ConfigError(f"{setting}: the block list {path} holds NUL characters; it is not "
                          "a text file")
    return rules.parse(text, f"{setting}: the block list {path}")


def words_list(words: Iterable[str], setting: str) -> rules.BlockList:
    """Entries given as a setting's list of strings, in the ``operator`` category."""
    lines = [word for word in words]
    for word in lines:
        if "\n" in word or "\r" in word or word.strip().startswith("["):
            raise ConfigError(f"{setting}: {json.dumps(word)[:60]} must be one entry "
                              "(no line breaks, no [section])")
    return rules.parse("\n".join(lines), setting)
