"""Preview environments end to end on an emulator of their own, through the real `infra` CLI.

Two previews come up side by side and stay isolated; a second `up` is a no-op; `list`
shows both; the reaper, with one preview made expired and both PRs open, destroys only that one;
`infra unlock --env pr-N` releases a stale lock on a preview's state; `down` of the other leaves
nothing: no resource tagged for it, no registry entry, no state object.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator, free_port
from deployment_infra.ops import inventory
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, run_infra

pytestmark = pytest.mark.integration

REGION = "af-south-1"
OLD, KEPT = 101, 102  # the preview the reaper takes (made expired) and the one that stays
ENV_CIDRS = ("10.10.0.0/16", "10.20.0.0/16", "10.30.0.0/16")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("previews"))


@pytest.fixture(scope="module")
def emulator(project: Path, terraform_available: str) -> Iterator[Emulator]:
    """This file's own emulator; INFRA_EMULATOR_PORT points the CLI subprocesses at it."""
    emu = Emulator(project / ".infra", free_port())
    old = os.environ.get("INFRA_EMULATOR_PORT")
    os.environ["INFRA_EMULATOR_PORT"] = str(emu.port)
    emu.ensure_running()
    try:
        yield emu
    finally:
        emu.stop()
        if old is None:
            os.environ.pop("INFRA_EMULATOR_PORT", None)
        else:
            os.environ["INFRA_EMULATOR_PORT"] = old


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout[-3000:]}\nstderr: {result.stderr[-3000:]}"
    )
    return result


def client(emulator: Emulator, service: str) -> Any:
    return LocalTarget(emulator).client(service, REGION)


def state_bucket(project: Path) -> str:
    return str(
        json.loads((project / ".infra" / "local" / "bootstrap" / "backend.json").read_text())["bucket"]
    )


def state_objects(emulator: Emulator, project: Path, pr: int) -> list[str]:
    answer = client(emulator, "s3").list_object_versions(
        Bucket=state_bucket(project), Prefix=f"previews/pr-{pr}/"
    )
    return [v["Key"] for v in [*answer.get("Versions", []), *answer.get("DeleteMarkers", [])]]


def state_text(emulator: Emulator, project: Path, pr: int) -> str:
    key = f"previews/pr-{pr}/terraform.tfstate"
    body = client(emulator, "s3").get_object(Bucket=state_bucket(project), Key=key)["Body"].read()
    return str(body.decode())


def tagged_for(emulator: Emulator, pr: int) -> list[str]:
    """ARNs of everything the inventory finds tagged PullRequest=<pr>, except what AWS itself keeps
    dead for a while: KMS keys pending deletion (7-30 days), INACTIVE ECS clusters, services and
    task definition revisions (deregistered, unusable and free)."""
    target = LocalTarget(emulator)
    ctx = inventory.RegionContext(REGION, "123456789012", lambda service: target.client(service, REGION))
    ctx.known_tags = {inventory.arn_key(a): t for a, t in inventory.tagged_resources(ctx).items()}
    items = {inventory.arn_key(i.arn): i for _, lister in inventory.REGIONAL_LISTERS for i in lister(ctx)}
    for arn, tags in ctx.known_tags.items():
        items.setdefault(arn, inventory.Item(REGION, inventory.arn_service(arn), arn, tags))
    s3 = client(emulator, "s3")
    for name in inventory.bucket_names(s3):
        bucket = inventory.s3_bucket(name, target.client, REGION)
        items[inventory.arn_key(bucket.arn)] = bucket
    return sorted(
        i.arn
        for i in items.values()
        if (i.tags or {}).get("PullRequest") == str(pr) and not _dead(emulator, i.arn)
    )


def _dead(emulator: Emulator, arn: str) -> bool:
    if ":kms:" in arn and ":key/" in arn:
        return (
            str(client(emulator, "kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"])
            == "PendingDeletion"
        )
    ecs = client(emulator, "ecs")
    if ":ecs:" in arn and ":cluster/" in arn:
        return all(c["status"] == "INACTIVE" for c in ecs.describe_clusters(clusters=[arn])["clusters"])
    if ":ecs:" in arn and ":task-definition/" in arn:
        return str(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"]) == "INACTIVE"
    if ":ecs:" in arn and ":service/" in arn:
        cluster = arn.split(":service/")[1].split("/", maxsplit=1)[0]
        found = ecs.describe_services(cluster=cluster, services=[arn])["services"]
        return all(s["status"] == "INACTIVE" for s in found)
    return False


def vpcs_of(emulator: Emulator, pr: int) -> list[dict[str, Any]]:
    filters = [{"Name": "tag:PullRequest", "Values": [str(pr)]}]
    return list(client(emulator, "ec2").describe_vpcs(Filters=filters)["Vpcs"])


def registry(project: Path) -> dict[int, dict[str, Any]]:
    return {int(p["pr"]): p for p in json.loads(ok(run_infra(project, "preview", "list", "--json")).stdout)}


class TestPreviews:
    def test_pr_numbers_out_of_range_are_refused(self, project: Path) -> None:
        for bad in ("0", "1000000", "-3"):
            result = run_infra(project, "preview", "up", "--pr", bad)
            assert result.returncode == 2, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1

    def test_two_previews_come_up_side_by_side_isolated(self, project: Path, emulator: Emulator) -> None:
        # One after the other: run in parallel on this emulator, a plan's state lock was once left
        # behind and the apply after it refused (a load race in the emulator, not in the previews).
        runs = [run_infra(project, "preview", "up", "--pr", str(pr), "--json") for pr in (OLD, KEPT)]
        for pr, run in zip((OLD, KEPT), runs, strict=True):
            answer = json.loads(ok(run).stdout)
            assert answer["changed"] is True and answer["pr"] == pr
            assert answer["url"] == f"https://pr-{pr}.preview.ngapp.example"
            assert answer["state_key"] == f"previews/pr-{pr}/terraform.tfstate"
        old_vpcs, kept_vpcs = vpcs_of(emulator, OLD), vpcs_of(emulator, KEPT)
        assert len(old_vpcs) == 1 and len(kept_vpcs) == 1
        nets = [ipaddress.IPv4Network(v["CidrBlock"]) for v in (*old_vpcs, *kept_vpcs)]
        assert not nets[0].overlaps(nets[1])
        assert not any(n.overlaps(ipaddress.IPv4Network(c)) for n in nets for c in ENV_CIDRS)
        tags = {t["Key"]: t["Value"] for t in old_vpcs[0]["Tags"]}
        assert (
            tags["Environment"] == f"pr-{OLD}"
            and tags["Preview"] == "true"
            and tags["Name"] == f"ngapp-pr{OLD}"
        )
        ecs = client(emulator, "ecs")
        for pr, vpc in ((OLD, old_vpcs[0]), (KEPT, kept_vpcs[0])):
            service = ecs.describe_services(cluster=f"ngapp-pr{pr}", services=[f"ngapp-pr{pr}"])["services"][
                0
            ]
            assert service["desiredCount"] == 1
            assert [s["capacityProvider"] for s in service["capacityProviderStrategy"]] == ["FARGATE_SPOT"]
            network = service["networkConfiguration"]["awsvpcConfiguration"]
            assert network["assignPublicIp"] == "ENABLED"
            subnets = client(emulator, "ec2").describe_subnets(SubnetIds=network["subnets"])["Subnets"]
            assert {s["VpcId"] for s in subnets} == {vpc["VpcId"]}  # its own network only
            family = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
            assert (family["cpu"], family["memory"]) == ("256", "512")
        # each state knows only its own resources
        assert f"ngapp-pr{KEPT}" not in state_text(emulator, project, OLD)
        assert f"ngapp-pr{OLD}" not in state_text(emulator, project, KEPT)
        assert old_vpcs[0]["VpcId"] not in state_text(emulator, project, KEPT)

    def test_second_up_is_a_no_op(self, project: Path, emulator: Emulator) -> None:
        answer = json.loads(ok(run_infra(project, "preview", "up", "--pr", str(KEPT), "--json")).stdout)
        assert answer["changed"] is False

    def test_a_stale_preview_lock_is_released_with_env_pr_n(self, project: Path, emulator: Emulator) -> None:
        """The lock of a run that died on another machine two days ago: `infra unlock --env pr-N`,
        the command the lock message names, finds it on the preview's own state key and releases it."""
        lock_id = str(uuid.uuid4())
        key = f"previews/pr-{KEPT}/terraform.tfstate"
        created = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        info = {"ID": lock_id, "Operation": "OperationTypeApply", "Who": "ci@gone-runner", "Created": created}
        s3 = client(emulator, "s3")
        s3.put_object(Bucket=state_bucket(project), Key=f"{key}.tflock", Body=json.dumps(info).encode())
        released = ok(run_infra(project, "unlock", "--env", f"pr-{KEPT}", lock_id, "--yes", "--json"))
        assert json.loads(released.stdout)["released"] is True
        assert "Contents" not in s3.list_objects_v2(Bucket=state_bucket(project), Prefix=f"{key}.tflock")

    def test_list_shows_both(self, project: Path, emulator: Emulator) -> None:
        found = registry(project)
        assert set(found) == {OLD, KEPT}
        assert found[OLD]["url"] == f"https://pr-{OLD}.preview.ngapp.example"
        assert 0 <= found[KEPT]["age_hours"] < 1

    def test_reaper_removes_only_the_expired_preview(self, project: Path, emulator: Emulator) -> None:
        ssm = client(emulator, "ssm")
        name = f"/ngapp/previews/pr-{OLD}"
        entry = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        entry["created_at"] = (datetime.now(UTC) - timedelta(hours=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ssm.put_parameter(Name=name, Value=json.dumps(entry), Type="String", Overwrite=True)
        # a dry run with only OLD open names KEPT as closed and destroys nothing
        dry = json.loads(
            ok(run_infra(project, "preview", "reap", "--open-prs", str(OLD), "--dry-run", "--json")).stdout
        )
        assert sorted(r["pr"] for r in dry["reaped"]) == [OLD, KEPT] and not any(
            r["destroyed"] for r in dry["reaped"]
        )
        assert set(registry(project)) == {OLD, KEPT}

        open_file = project / "open-prs.json"
        open_file.write_text(json.dumps([{"number": OLD}, {"number": KEPT}, {"number": 7}]))
        reaped = json.loads(
            ok(run_infra(project, "preview", "reap", "--open-prs-file", str(open_file), "--json")).stdout
        )
        assert [(r["pr"], r["destroyed"]) for r in reaped["reaped"]] == [(OLD, True)]
        assert "older than 72 h" in reaped["reaped"][0]["reason"] and reaped["kept"] == [KEPT]
        assert tagged_for(emulator, OLD) == [], tagged_for(emulator, OLD)
        assert state_objects(emulator, project, OLD) == []
        assert set(registry(project)) == {KEPT}
        # the other preview is untouched
        assert len(vpcs_of(emulator, KEPT)) == 1
        assert (
            client(emulator, "ecs").describe_clusters(clusters=[f"ngapp-pr{KEPT}"])["clusters"][0]["status"]
            == "ACTIVE"
        )
        assert state_objects(emulator, project, KEPT)

    def test_down_leaves_nothing(self, project: Path, emulator: Emulator) -> None:
        assert tagged_for(emulator, KEPT)  # the check below can see a live preview's resources
        ok(run_infra(project, "preview", "down", "--pr", str(KEPT)))
        assert tagged_for(emulator, KEPT) == [], tagged_for(emulator, KEPT)
        assert state_objects(emulator, project, KEPT) == []
        assert registry(project) == {}
        assert not (project / ".infra" / "local" / "previews" / f"pr-{KEPT}").exists()
        digest = {"LockID": {"S": f"{state_bucket(project)}/previews/pr-{KEPT}/terraform.tfstate-md5"}}
        assert "Item" not in client(emulator, "dynamodb").get_item(TableName="ngapp-tf-locks", Key=digest)
        # a second down finds nothing to do
        ok(run_infra(project, "preview", "down", "--pr", str(KEPT)))
