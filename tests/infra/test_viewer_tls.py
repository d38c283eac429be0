"""CloudFront's viewer TLS (infra/template.yaml): with the site's own domain and its ACM
certificate, viewers need TLS 1.2 at least (TLSv1.2_2021) and the outputs name that domain;
without them, CloudFront's default certificate (whose TLSv1 minimum CloudFront does not let
anyone change); one without the other is refused by the template's rule. The template is
evaluated here as CloudFormation would for given parameter values (conditions, Fn::If, rules)."""
from __future__ import annotations

import re
from typing import Any

import pytest

DOMAIN = "garden.example.org"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f3c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
NO_VALUE = object()


def _value(node: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> Any:
    """A template fragment with Ref (parameters), Fn::Equals/And/Or/Not, Condition and Fn::If
    evaluated; AWS::NoValue leaves the property out."""
    if isinstance(node, list):
        values = [_value(item, parameters, conditions) for item in node]
        return [v for v in values if v is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] == "AWS::NoValue":
        return NO_VALUE
    if set(node) == {"Ref"} and node["Ref"] in parameters:
        return parameters[node["Ref"]]
    if set(node) == {"Condition"}:
        return conditions[node["Condition"]]
    if set(node) == {"Fn::Equals"}:
        left, right = (_value(v, parameters, conditions) for v in node["Fn::Equals"])
        return left == right
    if set(node) == {"Fn::And"}:
        return all(_value(v, parameters, conditions) for v in node["Fn::And"])
    if set(node) == {"Fn::Or"}:
        return any(_value(v, parameters, conditions) for v in node["Fn::Or"])
    if set(node) == {"Fn::Not"}:
        return not _value(node["Fn::Not"][0], parameters, conditions)
    if set(node) == {"Fn::If"}:
        name, yes, no = node["Fn::If"]
        return _value(yes if conditions[name] else no, parameters, conditions)
    fields = {k: _value(v, parameters, conditions) for k, v in node.items()}
    return {k: v for k, v in fields.items() if v is not NO_VALUE}


def _deployed(template: dict, **given: str) -> tuple[dict, dict, list[str]]:
    """The distribution's config and the outputs for these parameter values, and the
    descriptions of the rules they break."""
    parameters = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    parameters.update(given)
    for name, value in given.items():
        pattern = template["Parameters"][name].get("AllowedPattern")
        assert pattern is None or re.fullmatch(pattern, value), f"{name}={value!r} is refused"
    conditions: dict[str, bool] = {}
    for name, expression in template["Conditions"].items():   # each refers only to earlier ones here
        conditions[name] = _value(expression, parameters, conditions)
    broken = [a["AssertDescription"] for rule in template.get("Rules", {}).values()
              for a in rule["Assertions"] if not _value(a["Assert"], parameters, conditions)]
    config = _value(template["Resources"]["Distribution"]["Properties"]["DistributionConfig"],
                    parameters, conditions)
    outputs = {name: _value(o["Value"], parameters, conditions) for name, o in template["Outputs"].items()
               if "Condition" not in o or conditions[o["Condition"]]}
    return config, outputs, broken


def test_with_its_own_domain_the_site_needs_tls_1_2_at_least(template):
    config, outputs, broken = _deployed(template, Stage="prod", DomainName=DOMAIN, CertificateArn=CERTIFICATE)
    assert broken == []
    assert config["ViewerCertificate"] == {"AcmCertificateArn": CERTIFICATE, "SslSupportMethod": "sni-only",
                                           "MinimumProtocolVersion": "TLSv1.2_2021"}
    assert config["Aliases"] == [DOMAIN]
    # image links and the take-home page's QR code use the domain the certificate covers
    assert outputs["CdnDomain"] == DOMAIN
    assert outputs["SiteUrl"] == {"Fn::Sub": "https://${DomainName}/"}
    assert outputs["DistributionDomainName"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}


def test_without_a_domain_the_site_is_on_cloudfronts_default_certificate(template):
    config, outputs, broken = _deployed(template, Stage="dev")
    assert broken == []
    # CloudFront's default certificate: its minimum protocol (TLSv1) cannot be set
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Aliases" not in config
    assert outputs["CdnDomain"] == {"Fn::GetAtt": ["Distribution", "DomainName"]}
    assert outputs["SiteUrl"] == {"Fn::Sub": "https://${Distribution.DomainName}/"}


@pytest.mark.parametrize("given", [{"DomainName": DOMAIN}, {"CertificateArn": CERTIFICATE}])
def test_a_domain_without_its_certificate_or_the_other_way_round_is_refused(template, given):
    config, _, broken = _deployed(template, Stage="dev", **given)
    assert broken == ["DomainName and CertificateArn go together (both or neither)."]
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


@pytest.mark.parametrize(("name", "value"), [
    ("DomainName", "Garden.Example.org"), ("DomainName", "https://garden.example.org"),
    ("DomainName", "garden.example.org."), ("DomainName", "*.example.org"),
    ("CertificateArn", CERTIFICATE.replace("us-east-1", "eu-west-1")),   # CloudFront takes us-east-1's only
    ("CertificateArn", "arn:aws:iam::123456789012:server-certificate/garden"),
])
def test_parameters_that_cloudfront_would_refuse_are_refused_before(template, name, value):
    assert not re.fullmatch(template["Parameters"][name]["AllowedPattern"], value)
