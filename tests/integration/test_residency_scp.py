"""terraform/modules/residency on its own emulator: plan, apply, read the SCP back with boto3, destroy.

The root creates what the module expects to exist (an organization with SCPs enabled and two OUs),
as a management account's root would; the module itself never creates the organization.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.emulator import Emulator
from deployment_infra.targets import OVERRIDE_FILE, LocalTarget
from tests.conftest import REPO, own_emulator
from tests.integration.terraform_root import run_terraform

TIMEOUT_S = 300
SCP_MAX_CHARS = 5120
ALLOWED = ["af-south-1", "us-east-1"]
BREAK_GLASS = "arn:aws:iam::*:role/ngapp-break-glass"
REPLICATION_ADMIN = "arn:aws:iam::*:role/ngapp-replication-admin"
GLOBAL_SERVICES = {
    "iam:*",
    "organizations:*",
    "sts:*",
    "route53:*",
    "route53domains:*",
    "cloudfront:*",
    "waf:*",
    "support:*",
    "budgets:*",
    "ce:*",
    "cur:*",
    "health:*",
    "trustedadvisor:*",
    "globalaccelerator:*",
    "shield:*",
    "account:*",
    "billing:*",
    "aws-portal:*",
    "payments:*",
    "tax:*",
    "purchase-orders:*",
    "invoicing:*",
    "pricing:*",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
}
ROOT = f"""
terraform {{
  required_version = ">= 1.11"
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.100" }}
  }}
}}

provider "aws" {{
  region = "af-south-1"
}}

variable "break_glass_role_arns" {{
  type = list(string)
}}

resource "aws_organizations_organization" "this" {{
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]
}}

resource "aws_organizations_organizational_unit" "this" {{
  for_each  = toset(["workloads", "sandbox"])
  name      = each.key
  parent_id = aws_organizations_organization.this.roots[0].id
}}

module "residency" {{
  source = "{REPO / "terraform" / "modules" / "residency"}"

  name                        = "ngapp"
  allowed_regions             = {json.dumps(ALLOWED)}
  public_only_regions         = ["us-east-1"]
  break_glass_role_arns       = var.break_glass_role_arns
  replication_admin_role_arns = ["{REPLICATION_ADMIN}"]
  target_ids                  = {{ for k, ou in aws_organizations_organizational_unit.this : k => ou.id }}
  tags                        = {{ Project = "ngapp", Component = "residency" }}

  # the policy can only be created once the organization exists
  depends_on = [aws_organizations_organization.this]
}}

output "residency" {{
  value = module.residency
}}

output "ou_ids" {{
  value = {{ for k, ou in aws_organizations_organizational_unit.this : k => ou.id }}
}}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("residency-emulator")) / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Path:
    where = tmp_path_factory.mktemp("residency-root")
    (where / "main.tf").write_text(ROOT)
    (where / OVERRIDE_FILE).write_text(LocalTarget(emulator).provider_override(where))
    return where


def tf(root: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    return run_terraform(
        root, emulator, args, timeout=TIMEOUT_S, what="the residency module root", flags=("-no-color",)
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: exit {result.returncode}\n{result.stderr[-3000:]}"
    return result


def _orgs(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("organizations", "us-east-1")


def _break_glass(arns: list[str]) -> str:
    return f"-var=break_glass_role_arns={json.dumps(arns)}"


def _planned(plan: dict[str, Any], address: str) -> dict[str, Any]:
    resources = plan["planned_values"]["root_module"]["child_modules"]
    found = [r for m in resources for r in m["resources"] if r["address"] == address]
    assert len(found) == 1, f"{address} not in the plan"
    return dict(found[0]["values"])


def _assert_scp(content: str, *, break_glass: list[str]) -> None:
    assert len(content) <= SCP_MAX_CHARS
    scp = json.loads(content)
    by_sid = {s["Sid"]: s for s in scp["Statement"]}
    assert list(by_sid) == [
        "DenyOutsideAllowedRegions",
        "DenyAllButEdgeInPublicOnlyRegions",
        "DenyReplicationConfiguration",
        "DenyReplicationOutsideAllowedRegions",
    ]
    assert all(s["Effect"] == "Deny" and s["Resource"] == "*" for s in scp["Statement"])

    region = by_sid["DenyOutsideAllowedRegions"]
    assert region["Condition"]["StringNotEquals"] == {"aws:RequestedRegion": ALLOWED}
    assert set(region["NotAction"]) >= GLOBAL_SERVICES
    assert not {"s3:*", "kms:*", "s3:ReplicateObject"} & set(region["NotAction"])
    edge = by_sid["DenyAllButEdgeInPublicOnlyRegions"]
    assert edge["Condition"]["StringEquals"] == {"aws:RequestedRegion": ["us-east-1"]}
    assert set(region["NotAction"]) | {"acm:*", "logs:*Deliver*"} <= set(edge["NotAction"])
    for statement in (region, edge):
        if break_glass:
            assert statement["Condition"]["ArnNotLike"] == {"aws:PrincipalARN": break_glass}
        else:
            assert "ArnNotLike" not in statement["Condition"]

    assert by_sid["DenyReplicationConfiguration"]["Action"] == ["s3:PutReplicationConfiguration"]
    assert by_sid["DenyReplicationConfiguration"]["Condition"] == {
        "ArnNotLike": {"aws:PrincipalARN": [REPLICATION_ADMIN]}
    }
    replicate = by_sid["DenyReplicationOutsideAllowedRegions"]
    assert set(replicate["Action"]) == {
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
        "s3:ObjectOwnerOverrideToBucketOwner",
    }
    assert replicate["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ALLOWED}}


def test_plan_apply_read_back_update_destroy(root: Path, emulator: Emulator) -> None:
    ok(tf(root, emulator, "init", "-backend=false", "-input=false"))
    ok(tf(root, emulator, "plan", "-input=false", "-out=tfplan", _break_glass([])))
    plan = json.loads(ok(tf(root, emulator, "show", "-json", "tfplan")).stdout)
    planned = _planned(plan, "module.residency.aws_organizations_policy.this")
    assert planned["type"] == "SERVICE_CONTROL_POLICY" and planned["name"] == "ngapp-region-deny"
    _assert_scp(planned["content"], break_glass=[])

    ok(tf(root, emulator, "apply", "-input=false", "tfplan"))
    try:
        _assert_applied(root, emulator, break_glass=[])
        # the exemption appears in the stored policy only once it is given, as an in-place update
        policy_id = _outputs(root, emulator)["residency"]["policy_id"]
        with_break_glass = _break_glass([BREAK_GLASS])
        ok(tf(root, emulator, "apply", "-auto-approve", "-input=false", with_break_glass))
        _assert_applied(root, emulator, break_glass=[BREAK_GLASS])
        assert _outputs(root, emulator)["residency"]["policy_id"] == policy_id
        replan = tf(root, emulator, "plan", "-detailed-exitcode", "-input=false", with_break_glass)
        assert replan.returncode == 0, (
            f"second plan is not empty (exit {replan.returncode}): {replan.stdout[-3000:]}"
        )
    finally:
        destroyed = tf(
            root, emulator, "destroy", "-auto-approve", "-input=false", _break_glass([BREAK_GLASS])
        )
    assert destroyed.returncode == 0, destroyed.stderr[-3000:]
    with pytest.raises(ClientError) as gone:
        _orgs(emulator).describe_policy(PolicyId=policy_id)
    assert gone.value.response["Error"]["Code"] == "PolicyNotFoundException"
    with pytest.raises(ClientError) as no_org:
        _orgs(emulator).describe_organization()
    assert no_org.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"


def _outputs(root: Path, emulator: Emulator) -> dict[str, Any]:
    raw = json.loads(ok(tf(root, emulator, "output", "-json")).stdout)
    return {k: v["value"] for k, v in raw.items()}


def _assert_applied(root: Path, emulator: Emulator, *, break_glass: list[str]) -> None:
    out = _outputs(root, emulator)
    residency, ou_ids = out["residency"], out["ou_ids"]
    orgs = _orgs(emulator)

    policy = orgs.describe_policy(PolicyId=residency["policy_id"])["Policy"]
    assert policy["PolicySummary"]["Type"] == "SERVICE_CONTROL_POLICY"
    assert policy["PolicySummary"]["Arn"] == residency["policy_arn"]
    assert policy["Content"] == residency["scp_json"]
    _assert_scp(policy["Content"], break_glass=break_glass)

    targets = orgs.list_targets_for_policy(PolicyId=residency["policy_id"])["Targets"]
    assert {t["TargetId"] for t in targets} == set(ou_ids.values())
    assert set(residency["attachment_ids"]) == {"workloads", "sandbox"}
    for ou in ou_ids.values():
        attached = orgs.list_policies_for_target(TargetId=ou, Filter="SERVICE_CONTROL_POLICY")["Policies"]
        assert residency["policy_id"] in {p["Id"] for p in attached}
    tags = orgs.list_tags_for_resource(ResourceId=residency["policy_id"])["Tags"]
    assert {"Key": "Component", "Value": "residency"} in tags
