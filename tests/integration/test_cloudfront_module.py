"""terraform/modules/cloudfront against the embedded AWS: apply, assert through boto3, no-op re-plan, destroy.

The root is written to a temporary directory: providers for af-south-1 and us-east-1 with the local
target's generated endpoint override, a Route 53 zone, and the module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import OVERRIDE_FILE, LocalTarget
from deployment_infra.terraform import write_cli_config
from tests.conftest import REPO, own_emulator

MODULE = REPO / "terraform" / "modules" / "cloudfront"
TIMEOUT_S = 600

ROOT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

provider "aws" {
  region = "af-south-1"
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

resource "aws_route53_zone" "this" {
  name          = "dev.ngapp.example"
  force_destroy = true
}

module "cdn" {
  source    = "./cloudfront"
  providers = { aws = aws, aws.us_east_1 = aws.us_east_1 }

  name                   = "ngapp-cdntest"
  domain_name            = "dev.ngapp.example"
  zone_id                = aws_route53_zone.this.zone_id
  api_origin_domain_name = "api.dev.ngapp.example"
  api_path_patterns      = ["/api/*", "/auth/*"]
  force_destroy          = true
  log_retention_days     = 30
  tags                   = { Project = "ngapp", Environment = "cdntest" }
}

output "cdn" {
  value = module.cdn
}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("cdn-emulator")) / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Path:
    where = tmp_path_factory.mktemp("cdn-root")
    shutil.copytree(MODULE, where / "cloudfront", ignore=shutil.ignore_patterns(".terraform*", "tests"))
    (where / "main.tf").write_text(ROOT)
    (where / OVERRIDE_FILE).write_text(LocalTarget(emulator).provider_override(where))
    return where


def terraform(root: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(LocalTarget(emulator).environ())
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(root / ".tfrc"))
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    try:
        return subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"terraform {args[0]} timed out after {TIMEOUT_S}s: {str(exc.stdout)[-2000:]}"
        ) from None


def _fail(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def test_apply_replan_destroy(root: Path, emulator: Emulator) -> None:
    init = terraform(root, emulator, "init", "-backend=false", "-input=false")
    assert init.returncode == 0, _fail(init)
    applied = terraform(root, emulator, "apply", "-auto-approve", "-input=false")
    assert applied.returncode == 0, _fail(applied)
    try:
        out = json.loads(terraform(root, emulator, "output", "-json").stdout)["cdn"]["value"]
        _assert_created(LocalTarget(emulator), out)
        replan = terraform(root, emulator, "plan", "-detailed-exitcode", "-input=false")
        assert replan.returncode == 0, "the second plan is not empty:\n" + _fail(replan)
    finally:
        destroyed = terraform(root, emulator, "destroy", "-auto-approve", "-input=false")
    assert destroyed.returncode == 0, _fail(destroyed)
    cloudfront = LocalTarget(emulator).client("cloudfront", "us-east-1")
    assert cloudfront.list_distributions()["DistributionList"]["Quantity"] == 0
    assert cloudfront.list_cache_policies(Type="custom")["CachePolicyList"]["Quantity"] == 0


def _assert_created(target: LocalTarget, out: dict[str, Any]) -> None:
    cloudfront = target.client("cloudfront", "us-east-1")
    config = cloudfront.get_distribution(Id=out["distribution_id"])["Distribution"]["DistributionConfig"]
    assert config["PriceClass"] == "PriceClass_200"
    assert config["HttpVersion"] == "http2and3" and config["IsIPV6Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    assert config["Aliases"]["Items"] == ["dev.ngapp.example"]
    cert = config["ViewerCertificate"]
    assert cert["ACMCertificateArn"] == out["certificate_arn"]
    assert ":us-east-1:" in cert["ACMCertificateArn"]
    assert (cert["SSLSupportMethod"], cert["MinimumProtocolVersion"]) == ("sni-only", "TLSv1.2_2021")

    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["static"]["OriginAccessControlId"]
    oac = cloudfront.get_origin_access_control(Id=origins["static"]["OriginAccessControlId"])
    assert oac["OriginAccessControl"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    api = origins["api"]["CustomOriginConfig"]
    assert api["OriginProtocolPolicy"] == "https-only" and api["OriginSslProtocols"]["Items"] == ["TLSv1.2"]

    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https" and "ForwardedValues" not in default
    static = cloudfront.get_cache_policy(Id=default["CachePolicyId"])["CachePolicy"]["CachePolicyConfig"]
    assert static["DefaultTTL"] >= 86400
    assert static["ParametersInCacheKeyAndForwardedToOrigin"]["EnableAcceptEncodingBrotli"] is True
    behaviours = config["CacheBehaviors"]["Items"]
    assert [b["PathPattern"] for b in behaviours] == ["/api/*", "/auth/*"]
    api_policy = cloudfront.get_cache_policy(Id=behaviours[0]["CachePolicyId"])["CachePolicy"][
        "CachePolicyConfig"
    ]
    assert (api_policy["MinTTL"], api_policy["DefaultTTL"], api_policy["MaxTTL"]) == (0, 0, 0)
    forwarded = cloudfront.get_origin_request_policy(Id=behaviours[0]["OriginRequestPolicyId"])
    headers = forwarded["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["HeaderBehavior"] == "allViewer"
    security = cloudfront.get_response_headers_policy(Id=default["ResponseHeadersPolicyId"])
    sec = security["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert sec["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63072000
    assert sec["FrameOptions"]["FrameOption"] == "DENY"

    s3 = target.client("s3", "af-south-1")
    policy = json.loads(s3.get_bucket_policy(Bucket=out["static_bucket_name"])["Policy"])
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Condition"]["StringEquals"]["AWS:SourceArn"] == out["distribution_arn"]
    for bucket in (out["static_bucket_name"], out["log_bucket_name"]):
        assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "af-south-1"
        assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]

    logs = target.client("logs", "us-east-1")
    delivery = logs.describe_deliveries()["deliveries"]
    assert len(delivery) == 1 and delivery[0]["deliverySourceName"] == "ngapp-cdntest-cdn-access-logs"
    destination = logs.get_delivery_destination(name="ngapp-cdntest-cdn-access-logs")["deliveryDestination"]
    arn = destination["deliveryDestinationConfiguration"]["destinationResourceArn"]
    assert arn == f"arn:aws:s3:::{out['log_bucket_name']}"
