"""CloudFront emulator shims against in-process moto: each gap shown on bare moto, then closed.

Shims are applied only inside `shims_applied`, which restores moto afterwards, so tests that use
bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_cloudfront import behaviour_fields, viewer_certificate_fields
from tests.unit.moto_patches import restoring

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MODULE = "deployment_infra.emulator_shims_cloudfront"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    from moto.cloudfront import models, urls
    from moto.cloudfront.responses import CloudFrontResponse

    classes = [CloudFrontResponse, models.Origin, models.DefaultCacheBehaviour, models.ViewerCertificate]
    with restoring(classes, [urls.url_paths]):
        for name in names:
            SHIMS[name]()
        yield


def test_cloudfront_shims_are_registered_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert sorted(names) == ["cloudfront-distribution-fields", "cloudfront-policies"]
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


CACHE_POLICY = {
    "Name": "static",
    "MinTTL": 0,
    "DefaultTTL": 86400,
    "MaxTTL": 31536000,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": True,
        "EnableAcceptEncodingBrotli": True,
        "HeadersConfig": {"HeaderBehavior": "none"},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
}
ORIGIN_REQUEST_POLICY = {
    "Name": "api",
    "HeadersConfig": {"HeaderBehavior": "allViewer"},
    "CookiesConfig": {"CookieBehavior": "all"},
    "QueryStringsConfig": {"QueryStringBehavior": "all"},
}
RESPONSE_HEADERS_POLICY = {
    "Name": "security",
    "SecurityHeadersConfig": {
        "StrictTransportSecurity": {
            "Override": True,
            "IncludeSubdomains": True,
            "Preload": True,
            "AccessControlMaxAgeSec": 63072000,
        },
        "FrameOptions": {"Override": True, "FrameOption": "DENY"},
    },
}


def _policies(cf: Any) -> None:
    created = cf.create_cache_policy(CachePolicyConfig=CACHE_POLICY)
    policy_id, etag = created["CachePolicy"]["Id"], created["ETag"]
    got = cf.get_cache_policy(Id=policy_id)
    assert got["CachePolicy"]["CachePolicyConfig"]["DefaultTTL"] == 86400
    assert got["ETag"] == etag
    with pytest.raises(ClientError, match="CachePolicyAlreadyExists"):
        cf.create_cache_policy(CachePolicyConfig=CACHE_POLICY)
    with pytest.raises(ClientError, match="PreconditionFailed"):
        cf.update_cache_policy(Id=policy_id, IfMatch="stale", CachePolicyConfig=CACHE_POLICY)
    updated = cf.update_cache_policy(
        Id=policy_id, IfMatch=etag, CachePolicyConfig={**CACHE_POLICY, "MaxTTL": 600}
    )
    assert cf.get_cache_policy_config(Id=policy_id)["CachePolicyConfig"]["MaxTTL"] == 600
    listed = cf.list_cache_policies(Type="custom")["CachePolicyList"]
    assert [i["CachePolicy"]["Id"] for i in listed["Items"]] == [policy_id]
    cf.delete_cache_policy(Id=policy_id, IfMatch=updated["ETag"])
    with pytest.raises(ClientError, match="NoSuchCachePolicy"):
        cf.get_cache_policy(Id=policy_id)

    orp = cf.create_origin_request_policy(OriginRequestPolicyConfig=ORIGIN_REQUEST_POLICY)[
        "OriginRequestPolicy"
    ]
    got_orp = cf.get_origin_request_policy(Id=orp["Id"])["OriginRequestPolicy"]
    assert got_orp["OriginRequestPolicyConfig"]["HeadersConfig"]["HeaderBehavior"] == "allViewer"
    rhp = cf.create_response_headers_policy(ResponseHeadersPolicyConfig=RESPONSE_HEADERS_POLICY)
    got_rhp = cf.get_response_headers_policy(Id=rhp["ResponseHeadersPolicy"]["Id"])["ResponseHeadersPolicy"]
    sec = got_rhp["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert sec["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63072000
    assert cf.list_response_headers_policies()["ResponseHeadersPolicyList"]["Quantity"] == 1


@mock_aws
def test_policies_are_missing_on_bare_moto() -> None:
    cf = boto3.client("cloudfront", region_name="us-east-1")
    with pytest.raises(ClientError):
        cf.create_cache_policy(CachePolicyConfig=CACHE_POLICY)


@mock_aws
def test_policies_with_the_shim() -> None:
    with shims_applied("cloudfront-policies"):
        _policies(boto3.client("cloudfront", region_name="us-east-1"))


CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


@mock_aws
def test_managed_caching_disabled_policy_with_the_shim() -> None:
    """AWS's managed CachingDisabled policy exists in every account, read-only (API behaviours use it)."""
    with shims_applied("cloudfront-policies"):
        cf = boto3.client("cloudfront", region_name="us-east-1")
        config = cf.get_cache_policy(Id=CACHING_DISABLED)["CachePolicy"]["CachePolicyConfig"]
        assert config["Name"] == "Managed-CachingDisabled"
        assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 0, 0)
        managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]
        assert [i["CachePolicy"]["Id"] for i in managed["Items"]] == [CACHING_DISABLED]
        assert cf.list_cache_policies(Type="custom")["CachePolicyList"]["Quantity"] == 0
        etag = cf.get_cache_policy(Id=CACHING_DISABLED)["ETag"]
        with pytest.raises(ClientError, match="IllegalUpdate"):
            cf.delete_cache_policy(Id=CACHING_DISABLED, IfMatch=etag)
        # the other kinds have no managed policy modelled
        assert cf.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]["Quantity"] == 0


def distribution_config(reference: str = "r1") -> dict[str, Any]:
    return {
        "CallerReference": reference,
        "Comment": "test",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["dev.ngapp.example"]},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "static",
                    "DomainName": "site.s3.af-south-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": "E1OAC",
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "static",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        "ViewerCertificate": {
            "ACMCertificateArn": CERT,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    }


def _distribution(cf: Any) -> dict[str, Any]:
    dist_id = cf.create_distribution(DistributionConfig=distribution_config())["Distribution"]["Id"]
    return dict(cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"])


@mock_aws
def test_distribution_fields_are_wrong_on_bare_moto() -> None:
    config = _distribution(boto3.client("cloudfront", region_name="us-east-1"))
    assert "OriginAccessControlId" not in config["Origins"]["Items"][0]
    assert "ForwardedValues" in config["DefaultCacheBehavior"]
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True


@mock_aws
def test_distribution_fields_with_the_shim() -> None:
    with shims_applied("cloudfront-distribution-fields"):
        cf = boto3.client("cloudfront", region_name="us-east-1")
        config = _distribution(cf)
        default_cert = cf.create_distribution(
            DistributionConfig={
                **distribution_config("r2"),
                "ViewerCertificate": {},
                "Aliases": {"Quantity": 0},
            }
        )["Distribution"]["DistributionConfig"]["ViewerCertificate"]
    assert config["Origins"]["Items"][0]["OriginAccessControlId"] == "E1OAC"
    assert "ForwardedValues" not in config["DefaultCacheBehavior"]
    cert = config["ViewerCertificate"]
    assert cert["CloudFrontDefaultCertificate"] is False and cert["CertificateSource"] == "acm"
    assert (cert["SSLSupportMethod"], cert["MinimumProtocolVersion"]) == ("sni-only", "TLSv1.2_2021")
    assert default_cert["CloudFrontDefaultCertificate"] is True and "SSLSupportMethod" not in default_cert


def test_field_rules() -> None:
    assert behaviour_fields({"TargetOriginId": "a"}) == {}
    assert behaviour_fields({"CachePolicyId": "p", "MinTTL": 5}) == {
        "forwarded_values": None,
        "default_ttl": None,
        "max_ttl": None,
    }
    assert viewer_certificate_fields({"IAMCertificateId": "ASCA"})["certificate_source"] == "iam"
    assert viewer_certificate_fields({})["ssl_support_method"] is None
