"""The credit and licence line of the model that made an image (pure), shown on its take-home
page. The image's provenance names its endpoint URI (``painter:``, ``sagemaker:NAME``,
``bedrock:MODEL_ID``, ``http(s)://…``, ``a1111://…``); the operator's ``GARDEN_CREDITS``
(config.CreditLine: an endpoint URI or a prefix of one → a line) wins, the longest matching
prefix first; else the default for the endpoint's kind:

- the procedural painter: its own credit, no model licence;
- Stable Diffusion (SageMaker JumpStart, a local server of SageMaker's JSON, AUTOMATIC1111):
  CreativeML Open RAIL-M (Stable Diffusion 1.x) or CreativeML Open RAIL++-M (2.x, XL), told
  apart by the endpoint's or model's name where it says (``xl``, ``v2``/``2-1``…); outputs are
  the user's, the licence's use-based restrictions still apply, credit is appreciated;
- Amazon Bedrock: the model provider's terms (Stability AI's models, Amazon Nova Canvas).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import CreditLine

RAIL_M_URL = "https://huggingface.co/spaces/CompVis/stable-diffusion-license"
RAIL_PP_M_URL = "https://huggingface.co/stabilityai/stable-diffusion-2/blob/main/LICENSE-MODEL"
STABILITY_URL = "https://stability.ai/license"
AWS_TERMS_URL = "https://aws.amazon.com/service-terms/"


@dataclass(frozen=True)
class Credit:
    line: str                 # in the page's language
    url: str | None = None    # the licence or terms, when there are any


_PAINTER = {
    "en": "Painted by the Emotion Garden’s own procedural painter: no model, no model licence.",
    "ko": "감정 정원의 절차적 페인터가 그렸습니다. 모델을 쓰지 않아 모델 라이선스가 없습니다.",
}
_RESTRICTIONS = {
    "en": ("The image is yours to use, within the licence’s use-based restrictions (no unlawful, "
           "harmful, deceptive or discriminating use); a credit is appreciated."),
    "ko": ("이미지는 자유롭게 쓸 수 있지만, 라이선스의 사용 제한(불법적이거나 해롭거나 속이거나 "
           "차별하는 사용 금지)을 지켜야 합니다. 출처를 밝혀 주시면 고맙겠습니다."),
}
_SD = {
    "rail-m": ("Made with Stable Diffusion 1.x (CreativeML Open RAIL-M licence).",
               "Stable Diffusion 1.x로 만들었습니다(CreativeML Open RAIL-M 라이선스).", RAIL_M_URL),
    "rail++-m": ("Made with Stable Diffusion {version} (CreativeML Open RAIL++-M licence).",
                 "Stable Diffusion {version}로 만들었습니다(CreativeML Open RAIL++-M 라이선스).",
                 RAIL_PP_M_URL),
    "either": (("Made with Stable Diffusion (CreativeML Open RAIL-M licence for 1.x models, "
                "Open RAIL++-M for 2.x and XL)."),
               ("Stable Diffusion으로 만들었습니다(1.x 모델은 CreativeML Open RAIL-M, 2.x와 XL은 "
                "Open RAIL++-M 라이선스)."), RAIL_M_URL),
}
_BEDROCK_MODELS = (("stability.sd3-5-large", "Stable Diffusion 3.5 Large"),
                   ("stability.sd3-", "Stable Diffusion 3"),
                   ("stability.stable-image-core", "Stable Image Core"),
                   ("stability.stable-image-ultra", "Stable Image Ultra"),
                   ("amazon.nova-canvas", "Amazon Nova Canvas"))
_XL = re.compile(r"sdxl|(?<![a-z])xl(?![a-z])")
_V2 = re.compile(r"(?:sd|v|diffusion)[-_.]?2(?:[-_.][01])?(?![0-9])")
_V1 = re.compile(r"(?:sd|v|diffusion)[-_.]?1(?:[-_.][1-5])?(?![0-9])")


def _language(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts["en"]


def _stable_diffusion(name: str, language: str) -> Credit:
    text = name.lower()
    if _XL.search(text):
        kind, version = "rail++-m", "XL"
    elif _V2.search(text):
        kind, version = "rail++-m", "2.x"
    elif _V1.search(text):
        kind, version = "rail-m", "1.x"
    else:
        kind, version = "either", ""
    en, ko, url = _SD[kind]
    line = (ko if language == "ko" else en).format(version=version)
    return Credit(f"{line} {_language(_RESTRICTIONS, language)}", url)


def _bedrock(model_id: str, language: str) -> Credit:
    name = next((n for prefix, n in _BEDROCK_MODELS if model_id.startswith(prefix)), model_id)
    if model_id.startswith("amazon."):
        line = {"en": f"Made with {name} on Amazon Bedrock, under the AWS Service Terms.",
                "ko": f"Amazon Bedrock의 {name}로 만들었습니다(AWS 서비스 약관)."}
        return Credit(_language(line, language), AWS_TERMS_URL)
    line = {"en": (f"Made with Stability AI’s {name} on Amazon Bedrock; Stability AI’s licence "
                   f"for the model and the AWS Service Terms apply."),
            "ko": (f"Amazon Bedrock에서 Stability AI의 {name}로 만들었습니다. 이 모델에 대한 "
                   f"Stability AI의 라이선스와 AWS 서비스 약관이 적용됩니다.")}
    return Credit(_language(line, language), STABILITY_URL)


def default_credit(endpoint: str, model: str, language: str) -> Credit | None:
    """The default line for an endpoint URI (``model``: a model name the provenance gave)."""
    if endpoint.startswith("painter:"):
        return Credit(_language(_PAINTER, language))
    if endpoint.startswith("bedrock:"):
        return _bedrock(endpoint[len("bedrock:"):].partition("?")[0], language)
    if endpoint.startswith(("sagemaker:", "http://", "https://", "a1111://")):
        return _stable_diffusion(f"{endpoint} {model}", language)
    return None


def _model(provenance: Mapping[str, Any]) -> str:
    """A model's name where the provenance records one (its own or its generator's)."""
    names = [provenance.get("model")]
    described = provenance.get("generator")
    if isinstance(described, Mapping):
        names += [described.get("model"), described.get("modelId")]
    return " ".join(n for n in names if isinstance(n, str))[:200]


def credit_for(provenance: Mapping[str, Any], configured: Sequence[CreditLine],
               language: str) -> Credit | None:
    """The credit of the image whose provenance this is, in ``language``; None when its
    provenance names no endpoint the garden knows and no configured prefix matches."""
    endpoint = provenance.get("endpoint")
    endpoint = endpoint if isinstance(endpoint, str) else ""
    matching = [c for c in configured if endpoint.startswith(c.prefix)]
    if matching:
        chosen = max(matching, key=lambda c: len(c.prefix))
        line = chosen.ko if language == "ko" and chosen.ko else chosen.en
        return Credit(line, chosen.url)
    return default_credit(endpoint, _model(provenance), language)
