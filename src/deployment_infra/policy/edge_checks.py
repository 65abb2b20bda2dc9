"""CDN-001: CloudFront never caches API or authenticated responses (they may be personal data,
and a cached copy would sit at edges in any country of the price class)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from deployment_infra.policy.locations import referenced
from deployment_infra.policy.model import PlanView, PolicyContext, Resource, Violation

DISTRIBUTION = "aws_cloudfront_distribution"
CACHE_POLICY = frozenset({"aws_cloudfront_cache_policy"})
# AWS's managed "CachingDisabled" cache policy: every TTL 0. Same id in every account.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
_TTLS = ("min_ttl", "default_ttl", "max_ttl")


def _blocks(value: Any) -> list[dict[str, Any]]:
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def sample_path(pattern: str) -> str:
    """A request path the pattern matches: "/api/*" -> "/api/x"."""
    return pattern.replace("*", "x").replace("?", "x")


class ApiNeverCached:
    """CDN-001: the cache behaviour serving each never-cache path pattern caches nothing."""

    id: str = "CDN-001"
    title: str = "CloudFront never caches API or authenticated paths"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.of_type(DISTRIBUTION):
            ordered = _blocks(res.after.get("ordered_cache_behavior"))
            default = _blocks(res.after.get("default_cache_behavior"))
            custom_origins = {
                o.get("origin_id")
                for o in _blocks(res.after.get("origin"))
                if _blocks(o.get("custom_origin_config"))
            }
            for pattern in ctx.never_cache_paths:
                path = sample_path(pattern)
                chosen = next(
                    (
                        (i, b)
                        for i, b in enumerate(ordered)
                        if fnmatchcase(path, str(b.get("path_pattern", "")))
                    ),
                    None,
                )
                if chosen is None:
                    # Only the default behaviour serves it: judged when it goes to a custom origin (an
                    # API); a static-only distribution (S3 origin) has no API to cache.
                    if not default or default[0].get("target_origin_id") not in custom_origins:
                        continue
                    behaviour, where = default[0], "default_cache_behavior"
                    config_path: list[str | int] = ["default_cache_behavior", 0, "cache_policy_id"]
                else:
                    index, behaviour = chosen
                    where = f"ordered_cache_behavior {behaviour.get('path_pattern')!r}"
                    config_path = ["ordered_cache_behavior", index, "cache_policy_id"]
                problem = _caches(plan, res, behaviour, config_path)
                if problem:
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address}: requests for {pattern} are served by its {where}, which {problem}; "
                        "use a cache policy with every TTL 0 (e.g. the managed CachingDisabled, "
                        f"{CACHING_DISABLED})",
                    )


def _caches(plan: PlanView, res: Resource, behaviour: Mapping[str, Any], config_path: list[str | int]) -> str:
    """Why the behaviour may cache, or "" if it caches nothing."""
    policy_id = behaviour.get("cache_policy_id")
    if policy_id == CACHING_DISABLED:
        return ""
    if isinstance(policy_id, str) and policy_id:
        matches = [p for p in plan.of_type("aws_cloudfront_cache_policy") if p.after.get("id") == policy_id]
        if len(matches) == 1:
            return _ttl_problem(matches[0].after, f"cache policy {matches[0].address}")
        return f"uses cache policy {policy_id}, which is not in this plan (cannot tell its TTLs)"
    found = referenced(plan, res, config_path, CACHE_POLICY)
    if len(found) == 1:
        return _ttl_problem(found[0].after, f"cache policy {found[0].address}")
    if found or _unknown_policy(res, config_path):
        return "uses a cache policy known only after apply (cannot tell its TTLs; a `dynamic` block hides it)"
    return _ttl_problem(behaviour, "legacy TTL settings")


def _unknown_policy(res: Resource, path: list[str | int]) -> bool:
    """Whether the behaviour's cache_policy_id is known only after apply (after_unknown has the
    same block structure as after)."""
    node: Any = res.after_unknown
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return node is True


def _ttl_problem(values: Mapping[str, Any], what: str) -> str:
    ttls = {name: values.get(name) for name in _TTLS}
    cached = {name: v for name, v in ttls.items() if not (isinstance(v, int | float) and v == 0)}
    if not cached:
        return ""
    shown = ", ".join(f"{name}={value}" for name, value in sorted(cached.items()))
    return f"caches ({what}: {shown})"
