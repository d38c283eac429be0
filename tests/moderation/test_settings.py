"""The moderation's settings: defaults safe for a public room, every bad value a ConfigError
naming its setting, and the operator's block lists read at start-up (never skipped)."""
from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.errors import ConfigError
from chalicelib.moderation import PromptChecks, PromptRefused, build_moderation
from chalicelib.moderation.blocklist import BlockListCheck
from chalicelib.moderation.guardrails import GuardrailsPromptCheck
from chalicelib.moderation.rekognition import RekognitionImageCheck
from chalicelib.moderation.settings import parse_settings

from .conftest import Answers


def settings(env: dict[str, str], backend: str = "local", data_dir: Path = Path("/data")):
    return parse_settings(env, backend=backend, data_dir=data_dir)


def test_defaults_check_prompts_everywhere_and_images_in_aws() -> None:
    local, aws = settings({}), settings({}, backend="aws")
    assert (local.mode, local.prompts, local.images) == ("both", True, False)
    assert (aws.mode, aws.prompts, aws.images, aws.image_check) == ("both", True, True,
                                                                    "rekognition")
    assert local.min_confidence == 50.0 and local.labels == () and local.bulk_flagged == "review"
    assert local.blocklists == (Path("/data/blocklist.txt"),) and not local.blocklists_named
    assert local.guardrail_id is None


def test_every_setting_is_read() -> None:
    s = settings({"GARDEN_MODERATION": "Images", "GARDEN_IMAGE_CHECK": "rekognition",
                  "GARDEN_MODERATION_MIN_CONFIDENCE": "70.5",
                  "GARDEN_MODERATION_LABELS": "Explicit, Violence",
                  "GARDEN_BLOCKLIST": "words.txt,/etc/garden/more.txt",
                  "GARDEN_BLOCKLIST_WORDS": '["foo", "바보"]',
                  "GARDEN_GUARDRAIL": "abc123:3", "GARDEN_BULK_FLAGGED": "drop"})
    assert (s.mode, s.prompts, s.images) == ("images", False, True)
    assert s.min_confidence == 70.5 and s.labels == ("Explicit", "Violence")
    assert s.blocklists == (Path("/data/words.txt"), Path("/etc/garden/more.txt"))
    assert s.blocklists_named and s.extra_words == ("foo", "바보")
    assert (s.guardrail_id, s.guardrail_version, s.bulk_flagged) == ("abc123", "3", "drop")
    arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
    assert settings({"GARDEN_GUARDRAIL": arn}).guardrail_id == arn
    assert settings({"GARDEN_MODERATION_LABELS": '["Drugs & Tobacco"]'}).labels == (
        "Drugs & Tobacco",)


@pytest.mark.parametrize("env, setting", [
    ({"GARDEN_MODERATION": "some"}, "GARDEN_MODERATION"),
    ({"GARDEN_MODERATION": "both"}, "GARDEN_IMAGE_CHECK"),        # locally: no image check
    ({"GARDEN_MODERATION": "images"}, "GARDEN_IMAGE_CHECK"),
    ({"GARDEN_IMAGE_CHECK": "nudenet"}, "GARDEN_IMAGE_CHECK"),
    ({"GARDEN_MODERATION_MIN_CONFIDENCE": "high"}, "GARDEN_MODERATION_MIN_CONFIDENCE"),
    ({"GARDEN_MODERATION_MIN_CONFIDENCE": "101"}, "GARDEN_MODERATION_MIN_CONFIDENCE"),
    ({"GARDEN_MODERATION_MIN_CONFIDENCE": "nan"}, "GARDEN_MODERATION_MIN_CONFIDENCE"),
    ({"GARDEN_MODERATION_LABELS": ","}, "GARDEN_MODERATION_LABELS"),
    ({"GARDEN_MODERATION_LABELS": "[1]"}, "GARDEN_MODERATION_LABELS"),
    ({"GARDEN_MODERATION_LABELS": "[oops"}, "GARDEN_MODERATION_LABELS"),
    ({"GARDEN_BLOCKLIST_WORDS": "foo,bar"}, "GARDEN_BLOCKLIST_WORDS"),
    ({"GARDEN_BLOCKLIST_WORDS": "[]"}, "GARDEN_BLOCKLIST_WORDS"),
    ({"GARDEN_GUARDRAIL": "has space"}, "GARDEN_GUARDRAIL"),
    ({"GARDEN_GUARDRAIL": "abc:0"}, "GARDEN_GUARDRAIL"),
    ({"GARDEN_BULK_FLAGGED": "publish"}, "GARDEN_BULK_FLAGGED"),
])
def test_bad_values_name_their_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        settings(env)


def test_off_checks_nothing() -> None:
    moderation = build_moderation(settings({"GARDEN_MODERATION": "off"}, backend="aws"))
    assert moderation.prompt is None and moderation.image is None
    assert moderation.check_prompt("nude").kind == "clean"


def test_the_checks_built_follow_the_settings(tmp_path: Path) -> None:
    s = settings({"GARDEN_GUARDRAIL": "abc123"}, backend="aws", data_dir=tmp_path)
    bedrock, rekognition = Answers(), Answers()
    moderation = build_moderation(s, bedrock_client=bedrock, rekognition_client=rekognition)
    assert isinstance(moderation.prompt, PromptChecks)
    first, second = moderation.prompt.checks
    assert isinstance(first, BlockListCheck) and isinstance(second, GuardrailsPromptCheck)
    assert isinstance(moderation.image, RekognitionImageCheck)
    with pytest.raises(PromptRefused) as err:
        moderation.check_prompt("ｎｕｄｅ", where="favorite")
    assert bedrock.calls == []                       # the list refused it: no paid call
    assert err.value.to_json()["field"] == "favorite"
    assert err.value.to_json()["kind"] == "blocked-words"
    assert "nude" not in str(err.value) and "프롬프트" in str(err.value)


def _local(tmp_path: Path, **env: str):
    return build_moderation(settings(env, data_dir=tmp_path))


def test_operator_lists_extend_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "blocklist.txt").write_text("[brand]\nacme\n", encoding="utf-8")
    (tmp_path / "more.txt").write_bytes("\ufeff바보\n".encode())     # a BOM is fine
    assert _local(tmp_path).prompt.check_prompt("ACME roses").labels == ("brand",)
    moderation = _local(tmp_path, GARDEN_BLOCKLIST="more.txt",
                        GARDEN_BLOCKLIST_WORDS='["zorg"]')
    assert moderation.prompt.check_prompt("바 보").terms == ("바보",)
    assert moderation.prompt.check_prompt("z o r g").labels == ("operator",)
    assert moderation.prompt.check_prompt("acme").kind == "clean"   # the default file not named
    assert moderation.prompt.check_prompt("nude").kind == "blocked-words"


def test_the_default_list_may_be_absent(tmp_path: Path) -> None:
    assert _local(tmp_path).prompt.check_prompt("roses").kind == "clean"


@pytest.mark.parametrize("content, problem", [
    (None, "does not exist"),
    (b"", "has no entries"),
    (b"# nothing but comments\n\n", "has no entries"),
    ("caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    (b"word\x00\n", "NUL"),
])
def test_a_named_list_that_cannot_be_used_stops_the_start(tmp_path: Path, content: bytes | None,
                                                          problem: str) -> None:
    if content is not None:
        (tmp_path / "words.txt").write_bytes(content)
    with pytest.raises(ConfigError, match=problem) as err:
        _local(tmp_path, GARDEN_BLOCKLIST="words.txt")
    assert "GARDEN_BLOCKLIST" in str(err.value) and "words.txt" in str(err.value)


def test_an_empty_default_list_stops_the_start_too(tmp_path: Path) -> None:
    (tmp_path / "blocklist.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="GARDEN_BLOCKLIST.*no entries"):
        _local(tmp_path)


def test_a_list_that_is_a_folder_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "words").mkdir()
    with pytest.raises(ConfigError, match="GARDEN_BLOCKLIST.*cannot be read"):
        _local(tmp_path, GARDEN_BLOCKLIST="words")
