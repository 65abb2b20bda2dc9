"""Who can read each data store, from the plan's configuration (for `infra docs data-flows`).

Three sources: IAM roles whose identity policies name the store (aws_iam_role_policy, or
aws_iam_policy attached with aws_iam_role_policy_attachment), principals of the store's resource
policy (S3 bucket, secret, EFS file system, backup vault), and for network stores (databases,
caches, file systems) the security groups their ingress rules let in. Policies are read from their
aws_iam_policy_document data sources (or constant JSON); conditions are not evaluated, so a
listed principal may be narrowed further by one. Anything that cannot be followed is reported as
unresolved, with the reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from deployment_infra.ops.data_flows_policies import Policies, Statement, acts_on
from deployment_infra.ops.data_flows_refs import Configuration, Reach, expression, references, short
from deployment_infra.policy.model import Resource

# Resource policy type -> the argument naming its store.
RESOURCE_POLICIES: Mapping[str, str] = {
    "aws_s3_bucket_policy": "bucket",
    "aws_secretsmanager_secret_policy": "secret_arn",
    "aws_efs_file_system_policy": "file_system_id",
    "aws_backup_vault_policy": "backup_vault_name",
    "aws_dynamodb_resource_policy": "resource_arn",
}
# Types that put a security group in front of something, and where (for "used by").
SG_USERS: Mapping[str, tuple[str | int, ...]] = {
    "aws_ecs_service": ("network_configuration", 0, "security_groups"),
    "aws_lambda_function": ("vpc_config", 0, "security_group_ids"),
    "aws_lb": ("security_groups",),
    "aws_instance": ("vpc_security_group_ids",),
}
# Network data stores -> where their security groups are set.
STORE_GROUPS: Mapping[str, tuple[str | int, ...]] = {
    "aws_db_instance": ("vpc_security_group_ids",),
    "aws_rds_cluster": ("vpc_security_group_ids",),
    "aws_elasticache_replication_group": ("security_group_ids",),
    "aws_elasticache_cluster": ("security_group_ids",),
    "aws_elasticache_serverless_cache": ("security_group_ids",),
}


@dataclass(frozen=True, order=True)
class Access:
    """Someone who can read (or only write) a store, and how we know."""

    who: str
    how: str  # "IAM", "resource policy <address>", "network"
    exact: bool = True

    def text(self) -> str:
        return f"{'' if self.exact else 'maybe '}{self.who} ({self.how})"


@dataclass
class StoreAccess:
    readers: set[Access] = field(default_factory=set)
    writers: set[Access] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)

    def add(self, access: Access, reads: bool) -> None:
        (self.readers if reads else self.writers).add(access)


class AccessAnalysis:
    """Who can read or write each data store of one plan."""

    def __init__(self, config: Configuration, stores: Mapping[str, str]) -> None:
        self.config = config
        self.view = config.view
        self.policies = Policies(config)
        self.service_of = dict(stores)  # store address -> register service
        self.result = {address: StoreAccess() for address in stores}

    def run(self) -> dict[str, StoreAccess]:
        for res in self.view.of_type("aws_iam_role_policy"):
            statements = self.policies.statements(
                res.module_address, expression(res.config, ["policy"]), res.index
            )
            for role, exact in self._roles(res):
                self._grant(role, exact, statements)
        for res in self.view.of_type("aws_iam_role_policy_attachment"):
            reach = self._follow(res, ["policy_arn"])
            for address, exact in sorted(reach.targets.items()):
                policy = self.view.by_address.get(address)
                if policy is None or policy.type != "aws_iam_policy":
                    continue
                expr = expression(policy.config, ["policy"])
                statements = self.policies.statements(policy.module_address, expr, policy.index)
                for role, role_exact in self._roles(res):
                    self._grant(role, exact and role_exact, statements)
        for rtype, arg in RESOURCE_POLICIES.items():
            for res in self.view.of_type(rtype):
                self._resource_policy(res, arg)
        self._network()
        return self.result

    def _follow(self, res: Resource, path: list[str | int]) -> Reach:
        return self.config.follow(res.module_address, references(expression(res.config, path)), res.index)

    def _roles(self, res: Resource) -> list[tuple[str, bool]]:
        reach = self._follow(res, ["role"])
        roles = [
            (self.policies.name_of(a), exact)
            for a, exact in sorted(reach.targets.items())
            if (found := self.view.by_address.get(a)) is not None and found.type == "aws_iam_role"
        ]
        if roles:
            return roles
        why = "; ".join(reach.unresolved) or "it names no role of this plan"
        return [(f"role of {short(res.address)}, unresolved: {why}", True)]

    def _grant(self, role: str, exact: bool, statements: list[Statement]) -> None:
        for st in statements:
            for address, service in self.service_of.items():
                reads, writes = acts_on(st.actions, service)
                if not (reads or writes):
                    continue
                if address in st.resources.targets or st.any_resource:
                    named_exact = st.any_resource or st.resources.targets[address]
                    self.result[address].add(Access(role, "IAM", exact and st.exact and named_exact), reads)
                elif reads and st.resources.unresolved and not self._names_type_of(st, address):
                    why = "; ".join(st.resources.unresolved)
                    self.result[address].unresolved.add(
                        f"{role} (IAM) reads {service} resources named by {why}"
                    )

    def _names_type_of(self, st: Statement, address: str) -> bool:
        """Does the statement name other resources of this store's type (so the unresolved part
        only chooses among those, already listed as "maybe")?"""
        rtype = self.view.by_address[address].type
        return any(
            (r := self.view.by_address.get(a)) is not None and r.type == rtype for a in st.resources.targets
        )

    def _resource_policy(self, res: Resource, arg: str) -> None:
        reach = self._follow(res, [arg])
        statements = self.policies.statements(
            res.module_address, expression(res.config, ["policy"]), res.index
        )
        how = f"resource policy {short(res.address)}"
        for address, exact in sorted(reach.targets.items()):
            access = self.result.get(address)
            if access is None:
                continue
            if not statements:
                access.unresolved.add(f"{how}: its document is not in the configuration")
            for st in statements:
                reads, writes = acts_on(st.actions, self.service_of[address])
                if not (reads or writes):
                    continue
                for name, named_exact in st.principals:
                    access.add(Access(name, how, exact and st.exact and named_exact), reads)
                for why in st.unresolved_principals:
                    access.unresolved.add(f"{how}: {why}")

    # -- network ------------------------------------------------------------------------------
    def _network(self) -> None:
        groups: dict[str, dict[str, bool]] = {}  # store -> its security groups
        for address in self.service_of:
            res = self.view.by_address[address]
            path = STORE_GROUPS.get(res.type)
            if path is None:
                continue
            reach = self._follow(res, list(path))
            groups[address] = dict(reach.targets)
            if not reach.targets:
                why = "; ".join(reach.unresolved) or "none are set"
                self.result[address].unresolved.add(f"network: its security groups are unresolved ({why})")
        for mount in self.view.of_type("aws_efs_mount_target"):
            mounted = self._follow(mount, ["security_groups"]).targets
            for fs in self._follow(mount, ["file_system_id"]).targets:
                if fs in self.result:
                    groups.setdefault(fs, {}).update(mounted)
        users = self._group_users()
        for target, sources in self._ingress_rules():
            for store, own in groups.items():
                hits = [sg for sg in target.targets if sg in own]
                if not hits:
                    continue
                exact = all(target.targets[sg] and own[sg] for sg in hits)
                for who, source_exact in sources:
                    shown = short(who) if who in self.view.by_address else who
                    how = f"network, used by {', '.join(users[who])}" if who in users else "network"
                    self.result[store].add(Access(shown, how, exact and source_exact), True)

    def _ingress_rules(self) -> Iterator[tuple[Reach, list[tuple[str, bool]]]]:
        """(the group a rule opens, who it lets in) for every ingress rule."""
        for rule in self.view.of_type("aws_vpc_security_group_ingress_rule"):
            yield (
                self._follow(rule, ["security_group_id"]),
                self._sources(rule, "referenced_security_group_id"),
            )
        for rule in self.view.of_type("aws_security_group_rule"):
            if rule.after.get("type") == "ingress":
                sources = self._sources(rule, "source_security_group_id", ("cidr_blocks", "ipv6_cidr_blocks"))
                if rule.after.get("self") is True:
                    sources.extend(sorted(self._follow(rule, ["security_group_id"]).targets.items()))
                yield self._follow(rule, ["security_group_id"]), sources

    def _sources(
        self,
        rule: Resource,
        group_arg: str,
        cidr_args: tuple[str, ...] = ("cidr_ipv4", "cidr_ipv6", "prefix_list_id"),
    ) -> list[tuple[str, bool]]:
        found: list[tuple[str, bool]] = []
        for attr in cidr_args:
            value = rule.after.get(attr)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item:
                    found.append((item, True))
        refs = references(expression(rule.config, [group_arg]))
        if any(r.startswith("each.") for r in refs):
            # One rule of a for_each set: together they admit every element of the collection.
            refs += references(rule.config.get("for_each_expression") if rule.config else None)
        if refs:
            reach = self.config.follow(rule.module_address, refs, rule.index)
            found.extend(sorted(reach.targets.items()))
            found.extend((f"unresolved ({why})", True) for why in reach.unresolved)
        return found

    def _group_users(self) -> dict[str, list[str]]:
        users: dict[str, set[str]] = {}
        for rtype, path in SG_USERS.items():
            for res in self.view.of_type(rtype):
                for sg in self._follow(res, list(path)).targets:
                    users.setdefault(sg, set()).add(short(res.address))
        return {sg: sorted(names) for sg, names in users.items()}
