"""The Bedrock Guardrails prompt check: ApplyGuardrail under botocore's Stubber (English and
Korean prompts alike go to the guardrail), malformed answers and timeouts as "unavailable"."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from chalicelib.moderation import ModerationUnavailable, PromptChecks
from chalicelib.moderation.blocklist import BlockListCheck
from chalicelib.moderation.guardrails import GuardrailsPromptCheck
from chalicelib.rules import blocklist

from .conftest import Answers

USAGE = {"topicPolicyUnits": 0, "contentPolicyUnits": 1, "wordPolicyUnits": 0,
         "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
         "contextualGroundingPolicyUnits": 0}


def expect(stubber, prompt: str, action: str, assessments: list[dict[str, Any]]) -> None:
    stubber.add_response(
        "apply_guardrail",
        {"usage": USAGE, "action": action, "outputs": [], "assessments": assessments},
        {"guardrailIdentifier": "gr1abc", "guardrailVersion": "2", "source": "INPUT",
         "content": [{"text": {"text": prompt}}]})


def check(client: Any) -> GuardrailsPromptCheck:
    return GuardrailsPromptCheck(client, "gr1abc", "2")


def test_a_clean_prompt(bedrock) -> None:
    client, stubber = bedrock
    expect(stubber, "a field of tulips", "NONE", [])
    assert check(client).check_prompt("a field of tulips").kind == "clean"


def test_an_intervention_is_harmful_text_with_its_filters(bedrock) -> None:
    client, stubber = bedrock
    prompt = "장미 정원에서 싸우는 두 사람, 피투성이"
    expect(stubber, prompt, "GUARDRAIL_INTERVENED", [{
        "contentPolicy": {"filters": [
            {"type": "VIOLENCE", "confidence": "HIGH", "action": "BLOCKED"},
            {"type": "INSULTS", "confidence": "LOW", "action": "NONE"}]},
        "wordPolicy": {"customWords": [], "managedWordLists": [
            {"match": "x", "type": "PROFANITY", "action": "BLOCKED"}]},
        "topicPolicy": {"topics": [{"name": "Weapons", "type": "DENY", "action": "BLOCKED"}]}}])
    verdict = check(client).check_prompt(prompt)
    assert (verdict.kind, verdict.source, verdict.confidence) == ("harmful-text", "guardrails",
                                                                  100.0)
    assert verdict.labels == ("PROFANITY", "TOPIC:Weapons", "VIOLENCE")


def test_an_intervention_without_assessments_is_still_refused(bedrock) -> None:
    client, stubber = bedrock
    expect(stubber, "x y z", "GUARDRAIL_INTERVENED", [])
    verdict = check(client).check_prompt("x y z")
    assert verdict.flagged and verdict.labels == ("GUARDRAIL",)


def test_nuls_controls_and_lone_surrogates_are_not_sent(bedrock) -> None:
    client, stubber = bedrock
    expect(stubber, "rose garden", "NONE", [])
    assert check(client).check_prompt("rose\x00 \ud800garden\x07").kind == "clean"


def test_an_empty_prompt_is_not_sent() -> None:
    client = Answers()
    assert check(client).check_prompt(" \x00\ud800 ").kind == "clean" and client.calls == []


def test_a_long_prompt_is_cut_to_one_text_unit() -> None:
    client = Answers({"action": "NONE", "assessments": []})
    check(client).check_prompt("rose " * 1000)
    assert len(client.calls[0]["content"][0]["text"]["text"]) == 1000


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceUnavailableException",
                                  "ResourceNotFoundException", "AccessDeniedException",
                                  "ValidationException"])
def test_service_errors_are_unavailable(bedrock, code: str) -> None:
    client, stubber = bedrock
    stubber.add_client_error("apply_guardrail", service_error_code=code, http_status_code=400)
    with pytest.raises(ModerationUnavailable, match=code):
        check(client).check_prompt("tulips")


@pytest.mark.parametrize("error", [ReadTimeoutError(endpoint_url="https://x"),
                                   ConnectTimeoutError(endpoint_url="https://x")])
def test_timeouts_are_unavailable(error: Exception) -> None:
    with pytest.raises(ModerationUnavailable):
        check(Answers(error)).check_prompt("tulips")


@pytest.mark.parametrize("answer", [
    None, {}, {"action": "MAYBE"}, {"action": "GUARDRAIL_INTERVENED", "assessments": "bad"},
    {"action": "GUARDRAIL_INTERVENED", "assessments": [None]},
    {"action": "GUARDRAIL_INTERVENED", "assessments": [{"contentPolicy": {"filters": "x"}}]},
])
def test_a_malformed_answer_is_unavailable_never_clean(answer: Any) -> None:
    with pytest.raises(ModerationUnavailable, match="Guardrails answered"):
        check(Answers(answer)).check_prompt("tulips")


def test_the_block_list_answers_first_and_the_guardrail_after() -> None:
    guardrail = Answers({"action": "NONE", "assessments": []})
    checks = PromptChecks([BlockListCheck(blocklist.shipped()), check(guardrail)])
    assert checks.check_prompt("ㅅㅔㄱㅅㅡ").kind == "blocked-words" and guardrail.calls == []
    assert checks.check_prompt("tulips").kind == "clean" and len(guardrail.calls) == 1
    down = PromptChecks([BlockListCheck(blocklist.shipped()),
                         check(Answers(ReadTimeoutError(endpoint_url="https://x")))])
    with pytest.raises(ModerationUnavailable):
        down.check_prompt("tulips")
