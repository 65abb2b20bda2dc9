"""dev, staging and prod end to end on the embedded AWS, through the real `infra` CLI.

One emulator and one copy of the project for the session; the steps run in order: bootstrap
twice; dev up, a no-op plan, a refused eu-west-1 plan, two concurrent applies; staging and prod
up; the services' settings and the environments' isolation checked with boto3; no-op re-plans; a
deploy-style task definition change that a later apply does not revert; everything down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.policy import access
from deployment_infra.targets import LocalTarget
from tests.conftest import run_infra

pytestmark = pytest.mark.integration

EU_BUCKET_TF = """
provider "aws" {
  alias  = "eu"
  region = "eu-west-1"
  default_tags {
    tags = var.default_tags
  }
}

resource "aws_s3_bucket" "eu_copy" {
  provider = aws.eu
  bucket   = "ngapp-dev-eu-copy"
}
"""

PROBE_TF = """
resource "aws_ssm_parameter" "concurrency_probe" {
  name  = "/ngapp/dev/concurrency-probe"
  type  = "String"
  value = "probe"
}
"""


ENVIRONMENTS = ["dev", "staging", "prod"]
DATA_SIZES = {  # read replicas, cache nodes, Multi-AZ database, deletion protection
    "dev": (0, 1, False, False),
    "staging": (1, 2, False, False),
    "prod": (2, 3, True, True),
}
SIZES = {
    "dev": {"desired_count": 1, "min_capacity": 1, "max_capacity": 2},
    "staging": {"desired_count": 2, "min_capacity": 2, "max_capacity": 4},
    "prod": {"desired_count": 3, "min_capacity": 3, "max_capacity": 12},
}


def outputs(project: Path, env: str) -> dict[str, Any]:
    status = json.loads(ok(run_infra(project, "status", "--env", env, "--json")).stdout)
    return dict(status["outputs"])


def client(emulator: Emulator, service: str, region: str = "af-south-1") -> Any:
    return LocalTarget(emulator).client(service, region)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout[-3000:]}\nstderr: {result.stderr[-3000:]}"
    )
    return result


def project_vpcs(emulator: Emulator) -> list[dict]:
    vpcs = client(emulator, "ec2").describe_vpcs()["Vpcs"]
    return [v for v in vpcs if not v.get("IsDefault")]


class TestEnvironments:
    def test_bootstrap_twice_is_a_no_op(self, project: Path, emulator: Emulator) -> None:
        first = json.loads(ok(run_infra(project, "bootstrap", "--json")).stdout)
        assert first["changed"] is True
        s3 = client(emulator, "s3")
        bucket = first["bucket"]
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(pab.values())
        table = client(emulator, "dynamodb").describe_table(TableName=first["lock_table"])["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        second = json.loads(ok(run_infra(project, "bootstrap", "--json")).stdout)
        assert second["changed"] is False
        assert second["bucket"] == bucket

    def test_up_creates_subnets_in_three_af_south_1_azs(self, project: Path, emulator: Emulator) -> None:
        result = ok(run_infra(project, "up", "--env", "dev"))
        assert "dev is up" in result.stderr
        vpcs = project_vpcs(emulator)
        assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == "10.10.0.0/16"
        subnets = client(emulator, "ec2").describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}]
        )["Subnets"]
        assert {s["AvailabilityZone"] for s in subnets} == {"af-south-1a", "af-south-1b", "af-south-1c"}
        assert len(subnets) == 9  # public, private, database in each AZ
        tags = {t["Key"]: t["Value"] for t in vpcs[0]["Tags"]}
        assert tags["Environment"] == "dev" and tags["DataClassification"] == "internal"
        status = json.loads(ok(run_infra(project, "status", "--env", "dev", "--json")).stdout)
        assert status["outputs"]["vpc_id"] == vpcs[0]["VpcId"]
        assert any(r["type"] == "aws_flow_log" for r in status["resources"])

    def test_second_plan_shows_no_changes(self, project: Path, emulator: Emulator) -> None:
        result = json.loads(ok(run_infra(project, "plan", "--env", "dev", "--json")).stdout)
        assert result["passed"] is True
        assert set(result["changes"]) <= {"no-op"}, result["changes"]

    def test_plan_with_a_bucket_in_eu_west_1_is_refused(self, project: Path, emulator: Emulator) -> None:
        extra = project / "terraform" / "environments" / "dev" / "eu_copy.tf"
        extra.write_text(EU_BUCKET_TF)
        try:
            result = run_infra(project, "plan", "--env", "dev")
            assert result.returncode == 1, result.stderr
            assert "aws_s3_bucket.eu_copy" in result.stderr and "RES-001" in result.stderr
            assert "eu-west-1" in result.stderr
            # the saved plan JSON is refused by `infra policy check` too
            plan_json = project / ".infra" / "local" / "dev" / "plan.json"
            check = run_infra(project, "policy", "check", str(plan_json))
            assert check.returncode == 1 and "aws_s3_bucket.eu_copy" in check.stderr
            # and `apply` will not apply it
            refused = run_infra(project, "apply", "--env", "dev")
            assert refused.returncode == 1 and "failed the policy gate" in refused.stderr
        finally:
            extra.unlink()
        names = [b["Name"] for b in client(emulator, "s3", "eu-west-1").list_buckets()["Buckets"]]
        assert "ngapp-dev-eu-copy" not in names  # refused plans create nothing

    def test_two_concurrent_applies_one_proceeds_state_intact(
        self, project: Path, emulator: Emulator
    ) -> None:
        probe = project / "terraform" / "environments" / "dev" / "probe.tf"
        probe.write_text(PROBE_TF)
        try:
            ok(run_infra(project, "plan", "--env", "dev"))
            env = {"INFRA_PROJECT_DIR": str(project)}
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "deployment_infra.cli", "apply", "--env", "dev"],
                    cwd=project,
                    env={**os.environ, **env},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            outcomes = [(p.wait(timeout=600), p.stderr.read() if p.stderr else "") for p in procs]
            codes = sorted(code for code, _ in outcomes)
            assert codes == [0, 1], outcomes
            loser = next(err for code, err in outcomes if code == 1)
            assert any(word in loser for word in ("locked", "stale", "no saved plan")), loser
            params = client(emulator, "ssm").get_parameters(Names=["/ngapp/dev/concurrency-probe"])
            assert len(params["Parameters"]) == 1
            after = json.loads(ok(run_infra(project, "plan", "--env", "dev", "--json")).stdout)
            assert set(after["changes"]) <= {"no-op"}, after["changes"]
        finally:
            probe.unlink()
        # take the probe away again so that `down` sees the environment as `up` made it
        ok(run_infra(project, "up", "--env", "dev"))

    @pytest.mark.parametrize("env", ["staging", "prod"])
    def test_up(self, project: Path, emulator: Emulator, env: str) -> None:
        ok(run_infra(project, "up", "--env", env, "--yes"))

    @pytest.mark.parametrize("env", ENVIRONMENTS)
    def test_service_is_safe_to_deploy_and_scales(self, project: Path, emulator: Emulator, env: str) -> None:
        out = outputs(project, env)
        ecs = client(emulator, "ecs")
        service = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_name"]])[
            "services"
        ][0]
        deployment = service["deploymentConfiguration"]
        assert deployment["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert deployment["minimumHealthyPercent"] == 100 and deployment["maximumPercent"] == 200
        assert service["healthCheckGracePeriodSeconds"] > 0
        strategy = {s["capacityProvider"]: s for s in service["capacityProviderStrategy"]}
        assert ("FARGATE_SPOT" in strategy) is (env == "dev")  # spot only where downtime is acceptable
        assert service["desiredCount"] == SIZES[env]["desired_count"]
        tg = client(emulator, "elbv2").describe_target_groups(TargetGroupArns=[out["target_group_arn"]])
        health = tg["TargetGroups"][0]
        assert health["HealthCheckPath"] == "/health" and health["Matcher"]["HttpCode"] == "200"
        scaling = client(emulator, "application-autoscaling")
        resource_id = f"service/{out['cluster_name']}/{out['service_name']}"
        target = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])
        assert [(t["MinCapacity"], t["MaxCapacity"]) for t in target["ScalableTargets"]] == [
            (SIZES[env]["min_capacity"], SIZES[env]["max_capacity"])
        ]
        policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)
        metrics = {
            p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
                "PredefinedMetricType"
            ]
            for p in policies["ScalingPolicies"]
        }
        expected = {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}
        if env == "prod":
            expected.add("ALBRequestCountPerTarget")
        assert metrics == expected

    @pytest.mark.parametrize("env", ENVIRONMENTS)
    def test_data_tier_is_hardened(self, project: Path, emulator: Emulator, env: str) -> None:
        replicas, nodes, multi_az, protected = DATA_SIZES[env]
        key = outputs(project, env)["kms_key_arn"]
        rds = client(emulator, "rds")
        db = rds.describe_db_instances(DBInstanceIdentifier=f"ngapp-{env}-db")["DBInstances"][0]
        assert db["Engine"] == "postgres" and db["EngineVersion"].startswith("16")
        assert db["BackupRetentionPeriod"] == 30 and db["PreferredBackupWindow"] == "01:00-02:00"
        assert db["StorageEncrypted"] and db["KmsKeyId"] == key
        assert db["PubliclyAccessible"] is False
        assert db["MultiAZ"] is multi_az and db["DeletionProtection"] is protected
        assert db["PerformanceInsightsEnabled"] and db["PerformanceInsightsKMSKeyId"] == key
        assert db["MasterUserSecret"]["KmsKeyId"] == key
        assert len(db["ReadReplicaDBInstanceIdentifiers"]) == replicas
        for replica_id in db["ReadReplicaDBInstanceIdentifiers"]:
            replica = rds.describe_db_instances(DBInstanceIdentifier=replica_id)["DBInstances"][0]
            # the rds module names the source by ARN (the provider requires it with a subnet group)
            source = replica["ReadReplicaSourceDBInstanceIdentifier"]
            assert source.rsplit(":", 1)[-1] == db["DBInstanceIdentifier"]
            assert replica["StorageEncrypted"] and replica["DbiResourceId"] != db["DbiResourceId"]
        group = db["DBParameterGroups"][0]["DBParameterGroupName"]
        params = rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
        assert {p["ParameterName"]: p["ParameterValue"] for p in params}["rds.force_ssl"] == "1"

        cache = client(emulator, "elasticache").describe_replication_groups(
            ReplicationGroupId=f"ngapp-{env}-cache"
        )
        rg = cache["ReplicationGroups"][0]
        assert rg["AtRestEncryptionEnabled"] and rg["TransitEncryptionEnabled"] and rg["KmsKeyId"] == key
        assert len(rg["MemberClusters"]) == nodes
        failover = "enabled" if nodes >= 2 else "disabled"
        assert rg["AutomaticFailover"] == failover and rg["MultiAZ"] == failover

        sm = client(emulator, "secretsmanager")
        for name in (f"/ngapp/{env}/db/app", f"/ngapp/{env}/cache/auth"):
            secret = sm.describe_secret(SecretId=name)
            assert secret["KmsKeyId"] == key and secret["RotationEnabled"], secret
        # the task definition gets credentials through `secrets` only
        out = outputs(project, env)
        ecs = client(emulator, "ecs")
        service = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_name"]])[
            "services"
        ][0]
        container = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
            "containerDefinitions"
        ][0]
        assert {s["name"] for s in container["secrets"]} == {"DB_USERNAME", "DB_PASSWORD", "REDIS_AUTH_TOKEN"}
        assert not {e["name"] for e in container["environment"]} & {"DB_PASSWORD", "REDIS_AUTH_TOKEN"}

    @pytest.mark.parametrize("env", ENVIRONMENTS)
    def test_cdn_monitoring_and_backup_are_in_place(
        self, project: Path, emulator: Emulator, env: str
    ) -> None:
        out = outputs(project, env)
        key = out["kms_key_arn"]
        # CDN: African edges, TLS 1.2+, OAC on the bucket origin, the API never cached
        cloudfront = client(emulator, "cloudfront", "us-east-1")
        config = cloudfront.get_distribution(Id=out["cdn_distribution_id"])["Distribution"][
            "DistributionConfig"
        ]
        assert config["PriceClass"] in {"PriceClass_200", "PriceClass_All"}
        assert config["ViewerCertificate"]["MinimumProtocolVersion"].startswith("TLSv1.2")
        origins = {o["Id"]: o for o in config["Origins"]["Items"]}
        assert any(o.get("OriginAccessControlId") for o in origins.values()), origins
        api = [b for b in config["CacheBehaviors"].get("Items", []) if b["PathPattern"].startswith("/api")]
        assert api, config["CacheBehaviors"]
        policy = cloudfront.get_cache_policy(Id=api[0]["CachePolicyId"])["CachePolicy"]["CachePolicyConfig"]
        assert (policy["MinTTL"], policy["DefaultTTL"], policy["MaxTTL"]) == (0, 0, 0)
        # monitoring: three services on the environment's cluster, storage encrypted with its key
        ecs = client(emulator, "ecs")
        names = {
            arn.rsplit("/", 1)[-1] for arn in ecs.list_services(cluster=out["cluster_name"])["serviceArns"]
        }
        assert {f"ngapp-{env}-monitoring-{s}" for s in ("prometheus", "alertmanager", "grafana")} <= names, (
            names
        )
        efs = client(emulator, "efs").describe_file_systems()["FileSystems"]
        mine = [f for f in efs if f["Name"].startswith(f"ngapp-{env}-monitoring")] if efs else []
        assert mine and all(f["Encrypted"] and f["KmsKeyId"] == key for f in mine), efs
        alarms = client(emulator, "cloudwatch").describe_alarms(AlarmNamePrefix=f"ngapp-{env}-monitoring")
        assert alarms["MetricAlarms"] and all(
            a["AlarmActions"] == [out["alarm_topic_arn"]] for a in alarms["MetricAlarms"]
        )
        # backups: the environment's vault and a daily 30-day plan selecting by tag
        backup = client(emulator, "backup")
        vault = backup.describe_backup_vault(BackupVaultName=out["backup_vault_name"])
        assert vault["EncryptionKeyArn"] != key  # a key of its own, apart from the environment's
        plans = [
            p
            for p in backup.list_backup_plans()["BackupPlansList"]
            if p["BackupPlanName"].startswith(f"ngapp-{env}")
        ]
        assert len(plans) == 1, plans
        rules = backup.get_backup_plan(BackupPlanId=plans[0]["BackupPlanId"])["BackupPlan"]["Rules"]
        assert any(r["Lifecycle"]["DeleteAfterDays"] == 30 for r in rules)
        assert any(r.get("EnableContinuousBackup") for r in rules)
        assert backup.list_backup_selections(BackupPlanId=plans[0]["BackupPlanId"])["BackupSelectionsList"]
        # every bucket of the environment keeps old versions (static site, CDN and ALB logs)
        s3 = client(emulator, "s3")
        buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"ngapp-{env}-")]
        assert len(buckets) >= 3, buckets
        assert {b: s3.get_bucket_versioning(Bucket=b).get("Status") for b in buckets} == dict.fromkeys(
            buckets, "Enabled"
        )

    def test_cdn_invalidate_purges_the_entry_points(self, project: Path, emulator: Emulator) -> None:
        result = json.loads(ok(run_infra(project, "cdn", "invalidate", "--env", "dev", "--json")).stdout)
        assert sorted(result["paths"]) == sorted(outputs(project, "dev")["cdn_entry_points"])

    def test_a_dev_task_role_cannot_read_a_staging_secret(self, project: Path, emulator: Emulator) -> None:
        """Judged from the policies the emulator holds: the roles' and the secrets' own."""
        iam, sm = client(emulator, "iam"), client(emulator, "secretsmanager")

        def identity_policies(role: str) -> list[list[dict[str, Any]]]:
            docs = [
                iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
            ]
            return [access.parse_policy(doc) or [] for doc in docs]

        def can_read(role: str, secret_name: str) -> bool:
            arn = iam.get_role(RoleName=role)["Role"]["Arn"]
            secret = sm.describe_secret(SecretId=secret_name)
            policy = sm.get_resource_policy(SecretId=secret["ARN"]).get("ResourcePolicy")
            statements = access.parse_policy(policy) if policy else None
            return access.can_read_secret(arn, identity_policies(role), secret["ARN"], statements)

        for role in ("ngapp-dev-api-task", "ngapp-dev-api-execution"):
            for name in ("/ngapp/staging/db/app", "/ngapp/staging/cache/auth", "/ngapp/prod/db/app"):
                assert not can_read(role, name), (role, name)
        # not vacuous: staging's own execution role, which injects them, can read them
        assert can_read("ngapp-staging-api-execution", "/ngapp/staging/db/app")
        assert can_read("ngapp-staging-api-execution", "/ngapp/staging/cache/auth")

    def test_environments_are_isolated(self, project: Path, emulator: Emulator) -> None:
        vpcs = {
            t["Value"]: v["CidrBlock"]
            for v in project_vpcs(emulator)
            for t in v["Tags"]
            if t["Key"] == "Environment"
        }
        assert vpcs == {"dev": "10.10.0.0/16", "staging": "10.20.0.0/16", "prod": "10.30.0.0/16"}
        roles = client(emulator, "iam").list_roles()["Roles"]
        by_env: dict[str, set[str]] = {
            env: {r["RoleName"] for r in roles if f"-{env}-" in r["RoleName"]} for env in ENVIRONMENTS
        }
        assert all(by_env.values()), by_env
        assert not (
            by_env["dev"] & by_env["staging"]
            or by_env["staging"] & by_env["prod"]
            or by_env["dev"] & by_env["prod"]
        )
        bucket = json.loads(ok(run_infra(project, "bootstrap", "--json")).stdout)["bucket"]
        keys = {o["Key"] for o in client(emulator, "s3").list_objects_v2(Bucket=bucket).get("Contents", [])}
        assert {f"environments/{env}/terraform.tfstate" for env in ENVIRONMENTS} <= keys
        repos = {r["repositoryName"] for r in client(emulator, "ecr").describe_repositories()["repositories"]}
        assert repos == {f"ngapp-{env}/api" for env in ENVIRONMENTS}

    @pytest.mark.parametrize("env", ["staging", "prod"])
    def test_replan_shows_no_changes(self, project: Path, emulator: Emulator, env: str) -> None:
        result = json.loads(ok(run_infra(project, "plan", "--env", env, "--json")).stdout)
        assert result["passed"] is True
        assert set(result["changes"]) <= {"no-op"}, result["changes"]

    def test_a_deploy_is_not_reverted_by_apply(self, project: Path, emulator: Emulator) -> None:
        out = outputs(project, "staging")
        ecs = client(emulator, "ecs")
        current = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_name"]])[
            "services"
        ][0]
        task_def = ecs.describe_task_definition(taskDefinition=current["taskDefinition"])["taskDefinition"]
        # what `infra deploy` does: a new revision with a new image, then a service update
        container = dict(task_def["containerDefinitions"][0], image=f"{out['ecr_repository_url']}:v1.2.3")
        new_arn = ecs.register_task_definition(
            family=task_def["family"],
            containerDefinitions=[container],
            **{
                k: task_def[k]
                for k in (
                    "taskRoleArn",
                    "executionRoleArn",
                    "networkMode",
                    "cpu",
                    "memory",
                    "requiresCompatibilities",
                    "volumes",
                )
                if k in task_def
            },
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.update_service(cluster=out["cluster_name"], service=out["service_name"], taskDefinition=new_arn)
        plan = json.loads(ok(run_infra(project, "plan", "--env", "staging", "--json")).stdout)
        assert set(plan["changes"]) <= {"no-op"}, plan["changes"]
        ok(run_infra(project, "up", "--env", "staging"))
        after = ecs.describe_services(cluster=out["cluster_name"], services=[out["service_name"]])[
            "services"
        ][0]
        assert after["taskDefinition"] == new_arn

    @pytest.mark.parametrize("env", ENVIRONMENTS)
    def test_down_leaves_nothing_behind(self, project: Path, emulator: Emulator, env: str) -> None:
        ok(run_infra(project, "down", "--env", env, "--yes"))
        status = json.loads(ok(run_infra(project, "status", "--env", env, "--json")).stdout)
        assert status["resources"] == []

    def test_nothing_is_left_in_the_account(self, project: Path, emulator: Emulator) -> None:
        assert project_vpcs(emulator) == []
        ec2 = client(emulator, "ec2")
        assert [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"] == []
        assert ec2.describe_addresses()["Addresses"] == []
        assert client(emulator, "logs").describe_log_groups()["logGroups"] == []
        assert client(emulator, "elbv2").describe_load_balancers()["LoadBalancers"] == []
        assert client(emulator, "ecr").describe_repositories()["repositories"] == []
        ecs = client(emulator, "ecs")
        arns = ecs.list_clusters()["clusterArns"]
        # a deleted cluster stays visible as INACTIVE for a while (as on AWS); none may be ACTIVE
        clusters = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
        assert [c["clusterName"] for c in clusters if c["status"] != "INACTIVE"] == []
        assert client(emulator, "route53").list_hosted_zones()["HostedZones"] == []
        assert client(emulator, "efs").describe_file_systems()["FileSystems"] == []
        assert client(emulator, "backup").list_backup_vaults()["BackupVaultList"] == []
        distributions = client(emulator, "cloudfront", "us-east-1").list_distributions()["DistributionList"]
        assert distributions.get("Items", []) == []
