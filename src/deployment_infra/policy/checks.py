"""The policy checks. Ids are a stable contract: reports, waivers and docs refer to them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from deployment_infra.policy.data_checks import DATA_CHECKS
from deployment_infra.policy.edge_checks import ApiNeverCached
from deployment_infra.policy.locations import data_class as _data_class
from deployment_infra.policy.locations import location_of
from deployment_infra.policy.model import (
    DATA_CLASS_TAG,
    IndexKey,
    PlanView,
    PolicyCheck,
    PolicyContext,
    Violation,
)
from deployment_infra.policy.plan import split_reference
from deployment_infra.policy.residency_checks import RESIDENCY_CHECKS
from deployment_infra.policy.secret_checks import SecretIsolation, SecretLiterals

S3_BUCKET = "aws_s3_bucket"
S3_SSE = "aws_s3_bucket_server_side_encryption_configuration"
DYNAMODB_TABLE = "aws_dynamodb_table"
LOG_GROUP = "aws_cloudwatch_log_group"

# Resource types that create nothing in AWS (Terraform-only waiters): there is nothing to place,
# so RES-001 has no region to hold them to. aws_acm_certificate_validation waits for a
# certificate (in us-east-1 for CloudFront) to be issued.
TERRAFORM_ONLY_TYPES = frozenset({"aws_acm_certificate_validation"})

# A bucket instance as ENC-001 matches it: (module instance address, "aws_s3_bucket.name", key).
BucketKey = tuple[str, str, IndexKey]


def _regions(regions: Iterable[str]) -> str:
    ordered = sorted(regions)
    return ", ".join(ordered) if ordered else "(none)"


class Residency:
    """RES-001: a resource's location (region, or the Local Zone it is pinned to) must be allowed
    for its data class."""

    id: str = "RES-001"
    title: str = "Resources stay in the locations allowed for their data class"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        strictest = ctx.most_restrictive_regions
        known = ", ".join(ctx.known_classes) or "(none)"
        for res in plan.resources:
            region = location_of(res)
            if region is None or res.type in TERRAFORM_ONLY_TYPES:
                continue  # no region (local-only), RES-002 reports it, or nothing exists in AWS
            data_class, why_none = _data_class(res)
            if data_class is None:
                if region not in strictest:
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address} is in {region} and {why_none}, so the most restrictive "
                        f"allow-list applies: {_regions(strictest)}",
                    )
                continue
            allowed = ctx.allowed_regions.get(data_class)
            if allowed is None:
                yield Violation(
                    self.id,
                    res.address,
                    f"{res.address} has {DATA_CLASS_TAG} {data_class!r}, which is not a known data "
                    f"class (known: {known})",
                )
            elif region not in allowed:
                yield Violation(
                    self.id,
                    res.address,
                    f"{res.address} is in {region}, but data class {data_class!r} is allowed only in "
                    f"{_regions(allowed)}",
                )


class RegionKnown:
    """RES-002: the region of every resource must be determinable from the plan (fail closed)."""

    id: str = "RES-002"
    title: str = "The region of every resource is known at plan time"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.resources:
            if res.region_error is not None:
                yield Violation(
                    self.id, res.address, f"cannot determine the region of {res.address}: {res.region_error}"
                )


class RequiredTags:
    """TAG-001: every taggable resource carries every required tag with a non-empty value."""

    id: str = "TAG-001"
    title: str = "Taggable resources carry the required tags"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        required = ctx.required_tags
        shown = ", ".join(required)
        for res in plan.resources:
            tags = res.tags
            if tags is None:
                continue
            missing: list[str] = []
            unknown: list[str] = []
            for key in required:
                value = tags.value(key)
                if value is not None and value.strip():
                    continue
                # An unknown value may turn out empty: fail closed, but say it is unknown.
                if key in tags.unknown or (value is None and not tags.complete):
                    unknown.append(key)
                else:
                    missing.append(key)
            if not missing and not unknown:
                continue
            parts = []
            if missing:
                parts.append(f"required tags missing or empty: {', '.join(missing)}")
            if unknown:
                parts.append(f"required tags known only after apply: {', '.join(unknown)}")
            yield Violation(self.id, res.address, f"{res.address}: {'; '.join(parts)} (required: {shown})")


class S3Encryption:
    """ENC-001: every S3 bucket has a server-side encryption configuration."""

    id: str = "ENC-001"
    title: str = "S3 buckets are encrypted at rest"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        buckets = plan.of_type(S3_BUCKET)
        if not buckets:
            return
        covered, names = _sse_coverage(plan)
        for res in buckets:
            name = res.after.get("bucket")
            if isinstance(name, str) and name and name in names:
                continue
            if (res.module_address, res.config_address, res.index) in covered:
                continue
            legacy = res.after.get("server_side_encryption_configuration")
            if isinstance(legacy, list) and legacy:
                continue
            yield Violation(
                self.id,
                res.address,
                f"S3 bucket {res.address} has no server-side encryption configuration; add an "
                f"{S3_SSE} whose bucket references it",
            )


def _sse_coverage(plan: PlanView) -> tuple[set[BucketKey], set[str]]:
    """Bucket instances covered by a live SSE configuration, and bucket names known to be."""
    covered: set[BucketKey] = set()
    names: set[str] = set()
    # Targets depend only on the configuration block, shared by all instances: parse it once.
    targets_by_block: dict[int, list[tuple[str, str, IndexKey]]] = {}
    for sse in plan.of_type(S3_SSE):
        name = sse.after.get("bucket")
        if isinstance(name, str) and name:
            names.add(name)
        config = sse.config
        if config is None:
            continue
        targets = targets_by_block.get(id(config))
        if targets is None:
            targets = targets_by_block[id(config)] = _sse_targets(config)
        for address, rule, key in targets:
            if rule == "literal":
                covered.add((sse.module_address, address, key))
            if rule in ("same", "single+same"):
                covered.add((sse.module_address, address, sse.index))
            if rule in ("single", "single+same"):
                covered.add((sse.module_address, address, None))
    return covered, names


def _references(expr: Any) -> list[str]:
    refs = expr.get("references") if isinstance(expr, dict) else None
    return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []


def _bucket_refs(refs: list[str]) -> list[tuple[str, bool, IndexKey]]:
    parsed = [split_reference(r) for r in refs if r.startswith(S3_BUCKET + ".")]
    return [p for p in parsed if p is not None]


def _sse_targets(config: Mapping[str, Any]) -> list[tuple[str, str, IndexKey]]:
    """(bucket config address, rule, key) for the bucket an SSE block's `bucket` names.

    Rules: "literal" = exactly instance `key` (aws_s3_bucket.b[1].id); "same" = the bucket
    instance with the SSE instance's own key (b[count.index], b[each.key], or for_each over
    the buckets with each.value.id); "single" = the non-indexed bucket; "single+same" = a bare
    reference with no other inputs (valid Terraform only for a non-indexed bucket).
    """
    expressions = config.get("expressions")
    if not isinstance(expressions, dict):
        return []
    refs = _references(expressions.get("bucket"))
    bucket_refs = _bucket_refs(refs)
    bases = {base for base, _, _ in bucket_refs}
    if len(bases) > 1:
        return []  # e.g. a conditional between two buckets: cannot tell which, fail closed
    if bases:
        base = bases.pop()
        literal = {key for _, is_literal, key in bucket_refs if is_literal}
        if len(literal) > 1:
            return []  # b[0] or b[1] depending on something: cannot tell which, fail closed
        if literal:
            return [(base, "literal", literal.pop())]
        others = [r for r in refs if not r.startswith(S3_BUCKET + ".")]
        if any(r in ("count.index", "each.key") for r in others):
            return [(base, "same", None)]
        # Other inputs (b[local.i]) could pick any instance: only a lone bucket is certain.
        return [(base, "single" if others else "single+same", None)]
    if any(r == "each.value" or r.startswith("each.value.") for r in refs):
        for_each = _bucket_refs(_references(config.get("for_each_expression")))
        for_each_bases = {base for base, is_literal, _ in for_each if not is_literal}
        if len(for_each_bases) == 1:
            return [(for_each_bases.pop(), "same", None)]
    return []


class DynamoDBEncryption:
    """ENC-002: DynamoDB tables enable server-side encryption explicitly."""

    id: str = "ENC-002"
    title: str = "DynamoDB tables enable server-side encryption explicitly"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.of_type(DYNAMODB_TABLE):
            sse = res.after.get("server_side_encryption")
            if isinstance(sse, list) and sse and isinstance(sse[0], dict) and sse[0].get("enabled") is True:
                continue
            yield Violation(
                self.id,
                res.address,
                f"DynamoDB table {res.address} does not enable server_side_encryption; "
                "set server_side_encryption { enabled = true }",
            )


class LogGroupEncryption:
    """ENC-003: CloudWatch log groups are encrypted with a KMS key."""

    id: str = "ENC-003"
    title: str = "CloudWatch log groups are encrypted with a KMS key"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.of_type(LOG_GROUP):
            key = res.after.get("kms_key_id")
            if (isinstance(key, str) and key) or res.after_unknown.get("kms_key_id") is True:
                continue  # a key known only after apply (e.g. a new aws_kms_key) counts as set
            yield Violation(
                self.id,
                res.address,
                f"CloudWatch log group {res.address} has no kms_key_id; set it to a KMS key ARN",
            )


CHECKS: tuple[PolicyCheck, ...] = tuple(
    sorted(
        (
            Residency(),
            RegionKnown(),
            RequiredTags(),
            S3Encryption(),
            DynamoDBEncryption(),
            LogGroupEncryption(),
            *DATA_CHECKS,
            *RESIDENCY_CHECKS,
            ApiNeverCached(),
            SecretLiterals(),
            SecretIsolation(),
        ),
        key=lambda check: check.id,
    )
)
