"""Synthetic `terraform show -json` plans of any size, shaped like the real ones terraform 1.11 writes."""

from __future__ import annotations

from typing import Any

# resource type -> `after` values that make it pass every check (tags come from default_tags)
_TEMPLATES: dict[str, dict[str, Any]] = {
    "aws_s3_bucket": {"bucket": None, "force_destroy": False},
    "aws_s3_bucket_server_side_encryption_configuration": {
        "bucket": None,
        "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}],
    },
    "aws_dynamodb_table": {
        "name": None,
        "billing_mode": "PAY_PER_REQUEST",
        "server_side_encryption": [{"enabled": True}],
    },
    "aws_cloudwatch_log_group": {
        "name": None,
        "retention_in_days": 30,
        "kms_key_id": "arn:aws:kms:af-south-1:1:key/x",
    },
    "aws_subnet": {"cidr_block": "10.0.0.0/24", "availability_zone": "af-south-1a"},
    "aws_security_group": {"name": None, "ingress": [], "egress": []},
}
_TAGGABLE = set(_TEMPLATES) - {"aws_s3_bucket_server_side_encryption_configuration"}
TAGS = {
    "Project": "ngapp",
    "Environment": "bench",
    "ManagedBy": "terraform",
    "Owner": "platform-team",
    "DataClassification": "internal",
    "CostCenter": "platform",
}


def synthetic_plan(resources: int, *, bad_every: int = 0) -> dict[str, Any]:
    """A plan with about `resources` managed resources spread over 10 modules.

    With `bad_every` = N, every Nth bucket is in eu-west-1 through an aliased provider, so the gate
    has something to find.
    """
    changes: list[dict[str, Any]] = []
    modules: dict[str, dict[str, Any]] = {}
    planned: dict[str, list[dict[str, Any]]] = {}  # module address -> planned_values resources
    types = list(_TEMPLATES)
    i = 0
    while len(changes) < resources:
        module = f"m{(i // len(types)) % 10}"  # a bucket and its SSE config share a module
        mod_conf = modules.setdefault(module, {"resources": [], "module_calls": {}})
        rtype = types[i % len(types)]
        name = f"r{i}"
        provider_key = "aws"
        if bad_every and rtype == "aws_s3_bucket" and (i // len(types)) % bad_every == 0:
            provider_key = "aws.eu"
        after = {k: (f"{name}-{module}" if v is None else v) for k, v in _TEMPLATES[rtype].items()}
        if rtype == "aws_s3_bucket_server_side_encryption_configuration":
            after["bucket"] = f"r{i - 1}-{module}"  # the bucket made just before it
        if rtype in _TAGGABLE:
            after["tags"] = None
            after["tags_all"] = dict(TAGS)
        address = f"module.{module}.{rtype}.{name}"
        changes.append(
            {
                "address": address,
                "module_address": f"module.{module}",
                "mode": "managed",
                "type": rtype,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": {"id": True, "arn": True},
                },
            }
        )
        # checkov reads planned_values (what will exist); the gate reads resource_changes
        planned.setdefault(f"module.{module}", []).append(
            {
                "address": address,
                "mode": "managed",
                "type": rtype,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0,
                "values": after,
                "sensitive_values": {},
            }
        )
        expressions: dict[str, Any] = {}
        if rtype == "aws_s3_bucket_server_side_encryption_configuration":
            expressions["bucket"] = {"references": [f"aws_s3_bucket.r{i - 1}.id", f"aws_s3_bucket.r{i - 1}"]}
        mod_conf["resources"].append(
            {
                "address": f"{rtype}.{name}",
                "mode": "managed",
                "type": rtype,
                "name": name,
                "provider_config_key": provider_key,
                "expressions": expressions,
                "schema_version": 0,
            }
        )
        i += 1
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {"region": {"value": "af-south-1"}},
        "planned_values": {
            "root_module": {
                "child_modules": [
                    {"address": addr, "resources": res} for addr, res in sorted(planned.items())
                ]
            }
        },
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "expressions": {"region": {"references": ["var.region"]}},
                },
                "aws.eu": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "alias": "eu",
                    "expressions": {"region": {"constant_value": "eu-west-1"}},
                },
            },
            "root_module": {
                "module_calls": {
                    name: {"source": f"./{name}", "module": conf} for name, conf in modules.items()
                }
            },
        },
    }
