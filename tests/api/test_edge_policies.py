"""The same edge in both houses: JSON answers say so with their charset through the Chalice
app itself (as in Lambda), the pages hold no inline script or style (the Content-Security-
Policy allows none), and CloudFront's response headers policy and bucket policy in
infra/template.yaml give what the local server gives: the same CSP, no framing, no referrer,
and no pool image to anyone but the operator."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from chalicelib.web.headers import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[2]


def _template() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    def tag(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return {f"Fn::{suffix}": loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {f"Fn::{suffix}": loader.construct_sequence(node, deep=True)}
        return {f"Fn::{suffix}": loader.construct_mapping(node, deep=True)}
    Loader.add_multi_constructor("!", tag)
    return yaml.load((ROOT / "infra" / "template.yaml").read_text(), Loader=Loader)


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/garden?emotion=HAPPY", None), ("POST", "/garden", {"emotion": "CALM"}),
    ("POST", "/like", {"id": "v", "itemId": "emotions/HAPPY/nonev.jpeg"}),
    ("POST", "/garden", {"emotion": "NOPE"}), ("GET", "/jobs/no-such-job", None),
])
def test_json_answers_carry_their_charset_through_the_app_as_in_lambda(client, method, path, body):
    response = client.http.request(method, path, body=json.dumps(body).encode() if body else b"",
                                   headers={"Content-Type": "application/json"})
    assert response.headers["Content-Type"] == "application/json; charset=utf-8", response.status_code


def test_a_429_says_when_to_retry_through_the_app(client):
    from chalicelib.web import admin
    admin.TEXT2IMAGE_LIMIT.reset()
    try:
        for _ in range(12):
            response = client.http.post("/text2image", body=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 3
    finally:
        admin.TEXT2IMAGE_LIMIT.reset()


INLINE = [re.compile(p, re.I) for p in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle\s*=",
                                        r"\son[a-z]+\s*=", r"javascript:")]


@pytest.mark.parametrize("page", sorted(p.relative_to(ROOT / "html").as_posix() for p in (ROOT / "html").rglob("*.html")))
def test_no_page_holds_inline_script_or_style(page):
    text = (ROOT / "html" / page).read_text(encoding="utf-8")
    found = [m.group(0) for pattern in INLINE for m in pattern.finditer(text)]
    assert found == [], f"{page}: {found} (the Content-Security-Policy blocks them; use a file)"


def test_scripts_set_no_style_attribute():
    for script in (ROOT / "html" / "js").rglob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"setAttribute\(\s*[\"']style|\bstyle:\s*[\"'`]|innerHTML\s*=.*style=", text), script


def test_cloudfront_sends_the_local_servers_page_policy():
    template = _template()
    policy = template["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    local = CONTENT_SECURITY_POLICY.format(images="")
    # the same directives; AWS adds the bucket's presigned links to img-src
    directives = lambda text: {d.split()[0]: d.split()[1:] for d in text.split("; ")}   # noqa: E731
    aws, here = directives(csp), directives(local)
    assert aws.keys() == here.keys()
    for name, sources in here.items():
        assert aws[name][:len(sources)] == sources, name
    assert aws["img-src"][len(here["img-src"]):] == [
        "https://${GardenBucket}.s3.amazonaws.com", "https://${GardenBucket}.s3.${AWS::Region}.amazonaws.com"]
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["ContentTypeOptions"]["Override"] is True
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]["Fn::If"][1]]
    assert all(b["ResponseHeadersPolicyId"] == {"Fn::Ref": "SecurityHeaders"} for b in behaviours)


def test_cloudfront_never_serves_pool_images():
    statements = _template()["Resources"]["GardenBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Sid"] == "NeverServeUnreviewedImages")
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert deny["Action"] == "s3:GetObject" and deny["Resource"]["Fn::Sub"] == "${GardenBucket.Arn}/pool/*"
