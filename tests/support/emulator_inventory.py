"""What exists in an emulator, as one comparable value: "did this command change any resource?"

moto's own GET /moto-api/data.json would be the generic answer, but it answers HTTP 500 once IAM
holds anything (an IAM model property raises NoSuchEntity while it is serialised), so this asks the
services `infra` writes to, through boto3, for names, versions and contents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.config import Config

REGIONS = ("af-south-1", "us-east-1")
_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def _clients(url: str, region: str) -> Callable[[str], Any]:
    """A cached client factory: creating boto3 clients costs more than the calls themselves."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, endpoint_url=url, config=_CONFIG)
        return cache[service]

    return client


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _s3(client: Any) -> dict[str, Any]:
    """Every bucket and every object version in it (the state bucket holds the Terraform states)."""
    found: dict[str, Any] = {}
    for bucket in sorted(b["Name"] for b in client.list_buckets().get("Buckets", [])):
        versions = [
            (v["Key"], v.get("VersionId"), v.get("ETag"), v.get("Size"))
            for v in _pages(client, "list_object_versions", "Versions", Bucket=bucket)
        ]
        markers = [
            (m["Key"], m.get("VersionId"))
            for m in _pages(client, "list_object_versions", "DeleteMarkers", Bucket=bucket)
        ]
        found[bucket] = {"versions": sorted(versions, key=str), "delete_markers": sorted(markers, key=str)}
    return found


def _dynamodb(client: Any) -> dict[str, Any]:
    """Every table and a digest of its items (the lock table)."""
    found: dict[str, Any] = {}
    for table in sorted(_pages(client, "list_tables", "TableNames")):
        items = sorted(repr(sorted(i.items())) for i in _pages(client, "scan", "Items", TableName=table))
        found[table] = hashlib.sha256("\n".join(items).encode()).hexdigest()
    return found


def _appconfig(client: Any) -> dict[str, Any]:
    """Applications with their environments, profiles, hosted versions and deployments (the flags)."""
    found: dict[str, Any] = {}
    for app in _pages(client, "list_applications", "Items"):
        app_id = app["Id"]
        profiles = {
            p["Name"]: sorted(
                v["VersionNumber"]
                for v in _pages(
                    client,
                    "list_hosted_configuration_versions",
                    "Items",
                    ApplicationId=app_id,
                    ConfigurationProfileId=p["Id"],
                )
            )
            for p in _pages(client, "list_configuration_profiles", "Items", ApplicationId=app_id)
        }
        environments = {
            e["Name"]: sorted(
                (d["DeploymentNumber"], d.get("State"))
                for d in _pages(
                    client, "list_deployments", "Items", ApplicationId=app_id, EnvironmentId=e["Id"]
                )
            )
            for e in _pages(client, "list_environments", "Items", ApplicationId=app_id)
        }
        found[app["Name"]] = {"profiles": profiles, "environments": environments}
    return found


def _regional(client: Callable[[str], Any]) -> dict[str, Any]:
    ssm, ecs = client("ssm"), client("ecs")
    clusters = sorted(_pages(ecs, "list_clusters", "clusterArns"))
    return {
        "ssm": sorted(
            (p["Name"], p.get("Version"), p.get("Type"))
            for p in _pages(ssm, "describe_parameters", "Parameters")
        ),
        "dynamodb": _dynamodb(client("dynamodb")),
        "ecs_services": {c: sorted(_pages(ecs, "list_services", "serviceArns", cluster=c)) for c in clusters},
        "ecs_task_definitions": sorted(_pages(ecs, "list_task_definitions", "taskDefinitionArns")),
        "kms_keys": sorted(k["KeyId"] for k in _pages(client("kms"), "list_keys", "Keys")),
        "appconfig": _appconfig(client("appconfig")),
        "secrets": sorted(
            (s["Name"], repr(sorted(s.get("SecretVersionsToStages", {}).items())))
            for s in _pages(client("secretsmanager"), "list_secrets", "SecretList")
        ),
        "vpcs": sorted(v["VpcId"] for v in client("ec2").describe_vpcs().get("Vpcs", [])),
        "db_instances": sorted(
            d["DBInstanceIdentifier"] for d in _pages(client("rds"), "describe_db_instances", "DBInstances")
        ),
        "lambdas": sorted(
            (f["FunctionName"], f.get("CodeSha256"))
            for f in _pages(client("lambda"), "list_functions", "Functions")
        ),
    }


def _cloudfront(client: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    distributions = client.list_distributions().get("DistributionList", {}).get("Items", []) or []
    for dist in distributions:
        invalidations = client.list_invalidations(DistributionId=dist["Id"]).get("InvalidationList", {})
        found[dist["Id"]] = sorted(i["Id"] for i in invalidations.get("Items", []) or [])
    return found


class Inventory:
    """Takes inventories of the emulator at `url` (keeps its clients: a take costs well under a second)."""

    def __init__(self, url: str) -> None:
        self.clients = {region: _clients(url, region) for region in REGIONS}

    def take(self) -> dict[str, Any]:
        """S3 objects, IAM roles, CloudFront invalidations; per region SSM, DynamoDB items, ECS, ..."""
        home = self.clients[REGIONS[0]]
        result: dict[str, Any] = {
            "s3": _s3(home("s3")),
            "iam_roles": sorted(r["RoleName"] for r in _pages(home("iam"), "list_roles", "Roles")),
            "cloudfront": _cloudfront(self.clients["us-east-1"]("cloudfront")),
        }
        for region in REGIONS:
            result[region] = _regional(self.clients[region])
        return result
