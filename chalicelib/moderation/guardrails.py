"""Prompts checked by Amazon Bedrock Guardrails' ``ApplyGuardrail`` (bedrock-runtime), after
the block list, when ``GARDEN_GUARDRAIL`` names a guardrail.

Why Guardrails and not Amazon Comprehend ``DetectToxicContent``: Comprehend's toxicity
detection takes English only ("Currently, English is the only supported language", its API
reference), and the garden's visitors type Korean. A guardrail's content filters in the
**Standard** tier list Korean as "optimized and supported" (with some 60 other languages;
the Classic tier covers English, French and Spanish only); the Standard tier requires the
guardrail's cross-Region inference. Configure the guardrail with content filters on the
input (SEXUAL, VIOLENCE, HATE, INSULTS, MISCONDUCT; strength HIGH for a room with children)
and, optionally, its managed profanity word list.

Price (US list price at the time of writing; check the Amazon Bedrock pricing page): content
filters and denied topics $0.15 per 1,000 text units, a text unit being up to 1,000
characters — a prompt (the API takes up to 1,000 characters) is one unit, **$0.00015 per
prompt** per policy enabled; word filters are free. Comprehend's DetectToxicContent, for
comparison, is billed like Comprehend's other real-time APIs, per 100-character unit with a
3-unit minimum (about $0.0003 per prompt at $0.0001 a unit; unverified here), and would
leave Korean unchecked whatever it cost.

A flagged prompt is one the guardrail intervened on (``action: GUARDRAIL_INTERVENED``); its
labels are the filters, topics and word lists that blocked it. Throttling is retried inside
botocore (standard mode); an error, a timeout, or an answer without a known ``action`` is
``ModerationUnavailable``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import CLEAN, ModerationUnavailable, Verdict

NAME = "guardrails"
# Three attempts in all (botocore's ``max_attempts`` would count retries only): the public
# request waits for the check, so every attempt timing out still ends within about 21 s,
# inside API Gateway's 29 s.
RETRY_CONFIG = Config(retries={"total_max_attempts": 3, "mode": "standard"},
                      connect_timeout=2, read_timeout=4)
MAX_PROMPT_CHARS = 1000          # one text unit: the text-to-image prompt is capped far below
_CONFIDENCE = {"NONE": 0.0, "LOW": 33.0, "MEDIUM": 66.0, "HIGH": 100.0}
_UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")   # NUL, controls, surrogates


def make_client(region: str | None = None) -> Any:
    import boto3
    return boto3.client("bedrock-runtime", region_name=region, config=RETRY_CONFIG)


class GuardrailsPromptCheck:
    name = NAME

    def __init__(self, client: Any, guardrail_id: str, version: str = "DRAFT") -> None:
        self._client = client
        self.guardrail_id = guardrail_id
        self.version = version

    def check_prompt(self, text: str) -> Verdict:
        text = _UNSENDABLE.sub("", text)[:MAX_PROMPT_CHARS]
        if not text.strip():
            return CLEAN                    # nothing to ask about (the request is refused upstream)
        try:
            answer = self._client.apply_guardrail(
                guardrailIdentifier=self.guardrail_id, guardrailVersion=self.version,
                source="INPUT", content=[{"text": {"text": text}}])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "") or "unknown error"
            raise ModerationUnavailable(f"Bedrock Guardrails failed ({code})", NAME) from exc
        except BotoCoreError as exc:        # timeouts and connection errors after the retries
            raise ModerationUnavailable(f"Bedrock Guardrails failed: {type(exc).__name__}",
                                        NAME) from exc
        return verdict_of(answer)


def verdict_of(answer: Any) -> Verdict:
    """An ApplyGuardrail response → the verdict; ModerationUnavailable when it is malformed."""
    if not isinstance(answer, Mapping) or answer.get("action") not in ("NONE",
                                                                        "GUARDRAIL_INTERVENED"):
        raise ModerationUnavailable("Bedrock Guardrails answered without a known action", NAME)
    if answer["action"] == "NONE":
        return CLEAN
    labels: set[str] = set()
    confidence = 0.0
    assessments = answer.get("assessments", [])
    if not isinstance(assessments, list):
        raise ModerationUnavailable("Bedrock Guardrails answered malformed assessments", NAME)
    for assessment in assessments:
        if not isinstance(assessment, Mapping):
            raise ModerationUnavailable("Bedrock Guardrails answered malformed assessments", NAME)
        for item in _blocked(assessment, "contentPolicy", "filters"):
            labels.add(str(item.get("type", "CONTENT")))
            confidence = max(confidence, _CONFIDENCE.get(str(item.get("confidence")), 100.0))
        for item in _blocked(assessment, "topicPolicy", "topics"):
            labels.add(f"TOPIC:{item.get('name', '?')}")
            confidence = 100.0
        for item in _blocked(assessment, "wordPolicy", "managedWordLists"):
            labels.add(str(item.get("type", "PROFANITY")))
            confidence = 100.0
        for item in _blocked(assessment, "wordPolicy", "customWords"):
            labels.add("CUSTOM_WORD")
            confidence = 100.0
    # an intervention whose assessments name nothing is still a refusal
    return Verdict("harmful-text", labels=tuple(sorted(labels)) or ("GUARDRAIL",),
                   confidence=confidence or 100.0, source=NAME)


def _blocked(assessment: Mapping[str, Any], policy: str, key: str) -> list[Mapping[str, Any]]:
    section = assessment.get(policy) or {}
    items = section.get(key, []) if isinstance(section, Mapping) else []
    if not isinstance(items, list):
        raise ModerationUnavailable("Bedrock Guardrails answered malformed assessments", NAME)
    return [item for item in items
            if isinstance(item, Mapping) and item.get("action", "BLOCKED") == "BLOCKED"]
