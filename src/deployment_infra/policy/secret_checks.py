"""Secret checks: no secret value in a plan (SEC-001), and secrets readable only by their own
environment (SEC-002, Property 6)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from deployment_infra.policy import access
from deployment_infra.policy.model import PlanView, PolicyContext, Resource, Violation

SECRET = "aws_secretsmanager_secret"  # noqa: S105 (resource type names)
SECRET_POLICY = "aws_secretsmanager_secret_policy"  # noqa: S105


# -- SEC-001: no secret literal in a plan -------------------------------------------------------

# Attributes that hold secrets: a known, non-empty value means the secret is in the plan.
SECRET_ATTRIBUTES = frozenset(
    {"password", "master_password", "auth_token", "secret_binary", "private_key", "client_secret", "token"}
)
SECRET_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PWD|SECRET|SECRET_KEY|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?|AUTH_TOKEN)($|_)",
    re.IGNORECASE,
)
SECRET_PATTERN = re.compile(
    r"(?:A(?:KIA|SIA)[A-Z0-9]{16})"  # AWS access key id
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack token
    r"|gh[pousr]_[A-Za-z0-9]{36}"  # GitHub token
    r"|hooks\.slack\.com/services/T[A-Za-z0-9]+/"  # Slack webhook URL
    r"|[a-z][a-z0-9+.-]*://[^:/@\s\"]+:[^@/\s\"]+@"  # credentials in a URL
)
# A variable whose value is the ARN of a secret or parameter passes a reference (the code fetches
# the value at run time with its own role), not the secret itself.
SECRET_REFERENCE = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:(secret:|parameter/)\S+$"
)
WHAT_PATTERN = "a value that looks like a credential (key id, private key, token or password in a URL)"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _secret_json_keys(text: str) -> list[str]:
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    if not isinstance(doc, Mapping):
        return []
    return [k for k, v in doc.items() if isinstance(k, str) and SECRET_NAME.search(k) and v not in (None, "")]


def _environment_entries(res: Resource) -> Iterator[tuple[str, str, str]]:
    """(where, name, value) of plain environment variables of containers and functions."""
    if res.type == "aws_ecs_task_definition":
        text = res.after.get("container_definitions")
        try:
            containers = json.loads(text) if isinstance(text, str) else []
        except ValueError:
            containers = []
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, Mapping):
                continue
            for entry in container.get("environment") or []:
                if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                    yield f"container {container.get('name')}", entry["name"], str(entry.get("value") or "")
    elif res.type == "aws_lambda_function":
        for block in res.after.get("environment") or []:
            variables = block.get("variables") if isinstance(block, Mapping) else None
            for name, value in (variables or {}).items():
                yield "function environment", str(name), str(value or "")


class SecretLiterals:
    """SEC-001: no secret value in any plan value or plain environment variable."""

    id: str = "SEC-001"
    title: str = "No secret value appears in the plan or in plain environment variables"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.resources:
            for attr in SECRET_ATTRIBUTES.intersection(res.after):
                if isinstance(res.after[attr], str) and res.after[attr]:
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address}: {attr} has a value in the plan; generate it in Secrets Manager "
                        "(write-only attributes, managed passwords) instead",
                    )
            if res.type == "aws_secretsmanager_secret_version":
                keys = _secret_json_keys(str(res.after.get("secret_string") or ""))
                if keys:
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address}: secret_string carries {', '.join(sorted(keys))} in the plan; "
                        "use secret_string_wo or let rotation set them",
                    )
            if (
                res.type == "aws_ssm_parameter"
                and res.after.get("type") == "SecureString"
                and res.after.get("value")
            ):
                yield Violation(
                    self.id, res.address, f"{res.address}: a SecureString value is in the plan; use value_wo"
                )
            for where, name, value in _environment_entries(res):
                if value and SECRET_NAME.search(name) and not SECRET_REFERENCE.match(str(value)):
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address}: {where} variable {name} looks secret; "
                        "pass it through secrets (valueFrom)",
                    )
            for path, text in _strings(res.after, ""):
                if SECRET_PATTERN.search(text):
                    yield Violation(self.id, res.address, f"{res.address}: {path} holds {WHAT_PATTERN}")


# -- SEC-002: a secret is readable only from its own environment ---------------------------------

PROBE_SUFFIX = "AbCdEf"
OTHER = "another-environment"  # stands for environments this project does not know yet


def _secret_environment(name: Any, project: str) -> str | None:
    if not isinstance(name, str) or not project:
        return None
    parts = name.split("/")
    if len(parts) >= 4 and parts[0] == "" and parts[1] == project and parts[2] and parts[3]:
        return parts[2]
    return None


def principal_environment(arn: str, project: str, environments: frozenset[str]) -> str | None:
    """The environment of an IAM role or user ARN by naming (<project>-<env>-...), longest match."""
    name = arn.rsplit("/", 1)[-1]
    found = [env for env in environments if name.startswith(f"{project}-{env}-")]
    return max(found, key=len) if found else None


def _account(res: Resource) -> str:
    for value in (res.after.get("arn"), res.after.get("policy")):
        match = (
            re.search(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):", value)
            if isinstance(value, str)
            else None
        )
        if match:
            return match.group(1)
    return "123456789012"


def _mentioned_principals(statements: list[Mapping[str, Any]]) -> set[str]:
    """Every IAM ARN named as a principal or in a condition: candidates to probe."""
    found: set[str] = set()
    for text in (json.dumps(s) for s in statements):
        found.update(re.findall(r"arn:aws[a-z-]*:(?:iam|sts)::[0-9*]{0,12}:[A-Za-z0-9+=,.@_/*?-]+", text))
    return found


class SecretIsolation:
    """SEC-002 (Property 6): no principal of another environment can read an environment's secret.

    Resource side: each secret /<project>/<env>/... has a resource policy, known at plan time, that
    refuses GetSecretValue to principals of every other environment (and to unlisted ones). Identity
    side: no IAM policy in the plan lets a role read another environment's secrets. Identity policies
    known only after apply are checked on the next plan (the gate sees every plan).
    """

    id: str = "SEC-002"
    title: str = "Secrets are readable only by their own environment's principals"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        known_envs = ctx.environments | {OTHER} | ({ctx.environment} if ctx.environment else frozenset())
        policies = plan.of_type(SECRET_POLICY)
        for secret in plan.of_type(SECRET):
            yield from self._resource_side(secret, policies, ctx, known_envs)
        yield from self._identity_side(plan, ctx, known_envs)

    def _resource_side(
        self, secret: Resource, policies: Any, ctx: PolicyContext, known_envs: frozenset[str]
    ) -> Iterator[Violation]:
        name = secret.after.get("name")
        env = _secret_environment(name, ctx.project)
        if env is None:
            yield Violation(
                self.id,
                secret.address,
                f"{secret.address}: secret name {name!r} is not under /{ctx.project}/<environment>/, "
                "so its environment cannot be checked",
            )
            return
        attached = [
            p
            for p in policies
            if p.module_address == secret.module_address
            and secret.config_address in _config_refs(p)
            and (p.index == secret.index or secret.index is None)
        ]
        if not attached:
            yield Violation(
                self.id,
                secret.address,
                f"{secret.address}: no resource policy; add {SECRET_POLICY} denying every principal "
                "outside this environment",
            )
            return
        account = _account(secret)
        arn = f"arn:aws:secretsmanager:{secret.region or '*'}:{account}:secret:{name}-{PROBE_SUFFIX}"
        for pol in attached:
            statements = access.parse_policy(pol.after.get("policy"))
            if statements is None:
                yield Violation(
                    self.id,
                    pol.address,
                    f"{pol.address}: the policy of {name} is known only after apply; build it from "
                    "principal ARNs known at plan time so the gate can check it",
                )
                continue
            probes = {
                f"arn:aws:iam::{account}:role/{ctx.project}-{other}-probe"
                for other in known_envs
                if other != env
            }
            probes |= {
                p
                for p in _mentioned_principals(statements)
                if principal_environment(p, ctx.project, known_envs) not in (env, None)
            }
            for probe in sorted(probes):
                decision = access.decide(statements, probe, access.READ_SECRET, arn, resource_policy=True)
                if decision is not access.Decision.DENY:
                    who = principal_environment(probe, ctx.project, known_envs)
                    verb = "allows" if decision is access.Decision.ALLOW else "does not deny"
                    yield Violation(
                        self.id,
                        pol.address,
                        f"{pol.address}: {verb} {probe} (environment {who}) reading {name} "
                        f"of environment {env}",
                    )

    def _identity_side(
        self, plan: PlanView, ctx: PolicyContext, known_envs: frozenset[str]
    ) -> Iterator[Violation]:
        for res, role, statements in _identity_policies(plan):
            owner = principal_environment(role, ctx.project, known_envs) if role else None
            owner = owner or ctx.environment
            principal = role or f"arn:aws:iam::123456789012:role/{ctx.project}-{owner}-probe"
            places = _probe_places(statements, res.region)
            for other in sorted(known_envs):
                if other == owner:
                    continue
                probes = (
                    f"arn:aws:secretsmanager:{region}:{account}:secret:/{ctx.project}/{other}/probe-{PROBE_SUFFIX}"
                    for region, account in places
                )
                if any(
                    access.decide(statements, principal, access.READ_SECRET, probe, resource_policy=False)
                    is access.Decision.ALLOW
                    for probe in probes
                ):
                    yield Violation(
                        self.id,
                        res.address,
                        f"{res.address}: lets {owner or 'a principal'} read secrets of environment {other} "
                        f"(e.g. /{ctx.project}/{other}/...); name this environment's secrets exactly",
                    )
                    break


_ARN_PLACE = re.compile(r"arn:aws[a-z-]*:secretsmanager:([a-z0-9-]*):(\d{12}|\*)?:")


def _probe_places(statements: Any, region: str | None) -> list[tuple[str, str]]:
    """(region, account) pairs to probe: the policy's own secret ARNs name them (a policy may pin
    the account id, which a wildcard probe would not match), plus the resource's region."""
    regions = {region or "*"}
    accounts = {"123456789012"}
    for found_region, found_account in _ARN_PLACE.findall(json.dumps(statements, default=str)):
        if found_region and found_region != "*":
            regions.add(found_region)
        if found_account and found_account != "*":
            accounts.add(found_account)
    return sorted((r, a) for r in regions for a in accounts)


def _config_refs(res: Resource) -> list[str]:
    expressions = res.config.get("expressions") if res.config else None
    if not isinstance(expressions, Mapping):
        return []
    refs = (expressions.get("secret_arn") or {}).get("references") or []
    out = []
    for ref in refs:
        if isinstance(ref, str):
            parts = ref.split(".")
            out.append(".".join(parts[:2]))
    return out


def _identity_policies(plan: PlanView) -> Iterator[tuple[Resource, str | None, list[Mapping[str, Any]]]]:
    """(resource, role ARN or None, statements) of every identity policy known at plan time."""
    roles = {r.after.get("name"): r.after.get("arn") for r in plan.of_type("aws_iam_role")}
    for res in plan.of_type("aws_iam_role_policy"):
        statements = access.parse_policy(res.after.get("policy"))
        role_name = res.after.get("role")
        role_arn = roles.get(role_name) if isinstance(role_name, str) else None
        if not isinstance(role_arn, str) and isinstance(role_name, str):
            role_arn = f"arn:aws:iam::123456789012:role/{role_name}"
        if statements is not None:
            yield res, role_arn if isinstance(role_arn, str) else None, statements
    for res in plan.of_type("aws_iam_policy"):
        statements = access.parse_policy(res.after.get("policy"))
        if statements is not None:
            yield res, None, statements
    for res in plan.of_type("aws_iam_role"):
        name = res.after.get("name")
        arn = f"arn:aws:iam::123456789012:role/{name}" if isinstance(name, str) else None
        for block in res.after.get("inline_policy") or []:
            statements = access.parse_policy(block.get("policy") if isinstance(block, Mapping) else None)
            if statements is not None:
                yield res, arn, statements
