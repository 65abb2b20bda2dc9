"""Property 6, Secret Isolation (Requirements 6.1, 6.4).

Over generated sets of environments, roles, identity policies and secret resource policies: when the
gate (SEC-002) passes every environment's plan, no principal of environment A can read a secret of
environment B, judged by an evaluation of all policies together (identity and resource side). And
over the real plans of the three environment roots (see test_real_plans_isolate_secrets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from deployment_infra.policy import PolicyContext, access, check_plan
from deployment_infra.policy.secret_checks import SecretIsolation
from tests.unit.test_policy_checks import Res, make_plan

PROJECT = "ngapp"
ACCOUNT = "123456789012"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:user/deployer"
READ = "secretsmanager:GetSecretValue"


def role_arn(env: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{env}-{name}"


def secret_arn(env: str, name: str) -> str:
    return f"arn:aws:secretsmanager:af-south-1:{ACCOUNT}:secret:/{PROJECT}/{env}/{name}-Ab12Cd"


def env_wildcard(env: str) -> str:
    return f"arn:aws:secretsmanager:*:*:secret:/{PROJECT}/{env}/*"


@dataclass
class World:
    envs: list[str]
    roles: dict[str, list[str]]  # env -> role ARNs
    secrets: dict[str, list[str]]  # env -> secret names (short)
    identity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # role ARN -> statements
    resource: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # secret ARN -> policy


def deny_unless(readers: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": READ,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": readers}},
            },
            {"Effect": "Allow", "Principal": {"AWS": readers}, "Action": READ, "Resource": "*"},
        ],
    }


@st.composite
def worlds(draw: st.DrawFn) -> World:  # noqa: PLR0915 (one generator, read top to bottom)
    envs = draw(
        st.lists(
            st.sampled_from(["dev", "staging", "prod", "qa", "pr-7"]), min_size=2, max_size=3, unique=True
        )
    )
    roles = {
        env: [
            role_arn(env, n)
            for n in draw(
                st.lists(
                    st.sampled_from(["task", "exec", "rotation", "worker"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        ]
        for env in envs
    }
    secrets = {
        env: draw(
            st.lists(
                st.sampled_from(["db/app", "cache/auth", "api/key"]), min_size=1, max_size=2, unique=True
            )
        )
        for env in envs
    }
    world = World(envs, roles, secrets)
    # Most worlds follow the module's design with a few "wild" choices, so that both passing and
    # refused worlds are common (a property never exercised on passing worlds would be vacuous).
    wild = [draw(st.integers(0, 4))]

    def pick(safe: list[str], anything: list[str]) -> str:
        if wild[0] > 0 and draw(st.booleans()):
            wild[0] -= 1
            return draw(st.sampled_from([k for k in anything if k not in safe]))
        return draw(st.sampled_from(safe))

    all_secret_arns = [(env, secret_arn(env, s)) for env in envs for s in secrets[env]]
    for env in envs:
        others = [e for e in envs if e != env]
        for role in roles[env]:
            statements: list[dict[str, Any]] = []
            for _ in range(draw(st.integers(0, 2))):
                kind = pick(
                    ["own", "own-env", "s3"],
                    ["own", "own-env", "other", "other-env", "star", "star-service", "s3"],
                )
                action = draw(st.sampled_from([READ, "secretsmanager:*", "secretsmanager:Get*", "*"]))
                if kind == "own":
                    resource = secret_arn(env, draw(st.sampled_from(secrets[env])))
                elif kind == "own-env":
                    resource = env_wildcard(env)
                elif kind == "other":
                    resource = draw(st.sampled_from([arn for e, arn in all_secret_arns if e != env]))
                elif kind == "other-env":
                    resource = env_wildcard(draw(st.sampled_from(others)))
                elif kind == "star":
                    resource = "*"
                elif kind == "star-service":
                    resource = "arn:aws:secretsmanager:*:*:secret:*"
                else:
                    action, resource = "s3:GetObject", "*"
                statements.append({"Effect": "Allow", "Action": action, "Resource": resource})
            if draw(st.booleans()):
                statements.append(
                    {"Effect": "Deny", "Action": "secretsmanager:*", "NotResource": env_wildcard(env)}
                )
            world.identity[role] = statements
        for name in secrets[env]:
            kind = pick(
                ["module", "module+deployer", "like-env"],
                [
                    "none",
                    "module",
                    "module+deployer",
                    "module+foreign",
                    "allow-all",
                    "allow-foreign",
                    "like-env",
                    "like-project",
                ],
            )
            own = roles[env]
            foreign = [r for e in others for r in roles[e]]
            policy: dict[str, Any] | None
            if kind == "none":
                policy = None
            elif kind == "module":
                policy = deny_unless(own)
            elif kind == "module+deployer":
                policy = deny_unless([*own, DEPLOYER])
            elif kind == "module+foreign":
                policy = deny_unless([*own, draw(st.sampled_from(foreign))])
            elif kind == "allow-all":
                policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*"}]}
            elif kind == "allow-foreign":
                policy = {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": draw(st.sampled_from(foreign))},
                            "Action": READ,
                        }
                    ]
                }
            else:
                prefix = f"{PROJECT}-{env}-*" if kind == "like-env" else f"{PROJECT}-*"
                policy = {
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": READ,
                            "Condition": {
                                "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{prefix}"}
                            },
                        }
                    ]
                }
            world.resource[secret_arn(env, name)] = policy
    return world


def plan_of(world: World, env: str) -> dict[str, Any]:
    """The plan JSON of one environment: its roles with their policies, its secrets with theirs."""
    resources: list[Res] = []
    for i, role in enumerate(world.roles[env]):
        name = role.rsplit("/", 1)[-1]
        resources.append(Res("aws_iam_role", f"r{i}", after={"name": name, "arn": role}))
        doc = {"Version": "2012-10-17", "Statement": world.identity[role]}
        resources.append(Res("aws_iam_role_policy", f"r{i}", after={"role": name, "policy": json.dumps(doc)}))
    for i, short in enumerate(world.secrets[env]):
        arn = secret_arn(env, short)
        resources.append(
            Res("aws_secretsmanager_secret", f"s{i}", after={"name": f"/{PROJECT}/{env}/{short}", "arn": arn})
        )
        policy = world.resource[arn]
        if policy is not None:
            ref = {
                "secret_arn": {
                    "references": [f"aws_secretsmanager_secret.s{i}.arn", f"aws_secretsmanager_secret.s{i}"]
                }
            }
            resources.append(
                Res(
                    "aws_secretsmanager_secret_policy",
                    f"s{i}",
                    after={"policy": json.dumps(policy)},
                    expressions=ref,
                )
            )
    return make_plan(*resources)


def context(world: World, env: str) -> PolicyContext:
    return PolicyContext(
        allowed_regions={"internal": frozenset({"af-south-1"})},
        required_tags=(),
        project=PROJECT,
        environments=frozenset(world.envs),
        environment=env,
    )


def leaks(world: World) -> list[tuple[str, str]]:
    """(principal, secret) pairs across environments that the policies together let through."""
    found = []
    for env_a in world.envs:
        for role in world.roles[env_a]:
            for env_b in world.envs:
                if env_b == env_a:
                    continue
                for short in world.secrets[env_b]:
                    arn = secret_arn(env_b, short)
                    resource = world.resource[arn]
                    statements = access.parse_policy(resource) if resource is not None else None
                    if access.can_read_secret(role, [world.identity[role]], arn, statements):
                        found.append((role, arn))
    return found


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_gate_passing_every_environment_means_no_cross_environment_read(world: World) -> None:
    passed = all(
        not check_plan(plan_of(world, env), context(world, env), (SecretIsolation(),)) for env in world.envs
    )
    found = leaks(world)
    event(f"gate {'passed' if passed else 'refused'}; {'leak' if found else 'no leak'}")
    if passed:
        assert found == [], f"the gate passed but these reads cross environments: {found}"


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_a_cross_environment_read_is_always_refused_by_the_gate(world: World) -> None:
    """The contrapositive, stated as the gate's duty: a world with a leak never passes."""
    if leaks(world):
        refused = [
            env
            for env in world.envs
            if check_plan(plan_of(world, env), context(world, env), (SecretIsolation(),))
        ]
        assert refused


def test_the_module_design_passes_and_isolates() -> None:
    """Not vacuous: the design the secrets module uses passes the gate and has no leak."""
    world = World(
        ["dev", "staging"],
        {"dev": [role_arn("dev", "task")], "staging": [role_arn("staging", "task")]},
        {"dev": ["db/app"], "staging": ["db/app"]},
    )
    for env in world.envs:
        world.identity[world.roles[env][0]] = [
            {"Effect": "Allow", "Action": READ, "Resource": secret_arn(env, "db/app")}
        ]
        world.resource[secret_arn(env, "db/app")] = deny_unless([*world.roles[env], DEPLOYER])
    assert all(
        not check_plan(plan_of(world, env), context(world, env), (SecretIsolation(),)) for env in world.envs
    )
    assert leaks(world) == []
    # ...and one foreign reader is enough for both the evaluator and the gate to object.
    world.resource[secret_arn("staging", "db/app")] = deny_unless(
        [role_arn("staging", "task"), role_arn("dev", "task")]
    )
    world.identity[role_arn("dev", "task")].append(
        {"Effect": "Allow", "Action": READ, "Resource": secret_arn("staging", "db/app")}
    )
    assert leaks(world) == [(role_arn("dev", "task"), secret_arn("staging", "db/app"))]
    assert check_plan(plan_of(world, "staging"), context(world, "staging"), (SecretIsolation(),))


def test_real_plans_isolate_secrets(environment_plans: dict[str, dict[str, Any]]) -> None:
    """The three environment roots: each plan passes SEC-002, and across the plans no role of one
    environment can read a secret of another (identity policies known at plan time, and the
    secrets' resource policies, which the roots make known at plan time)."""
    from deployment_infra.policy.plan import build_view
    from deployment_infra.settings import load
    from tests.conftest import REPO

    settings = load(REPO)
    roles: dict[str, dict[str, list[list[Any]]]] = {}
    secrets: dict[str, dict[str, list[Any] | None]] = {}
    for env, plan in environment_plans.items():
        ctx = PolicyContext.from_settings(settings, env)
        assert check_plan(plan, ctx, (SecretIsolation(),)) == [], env
        view = build_view(plan)
        roles[env] = {
            f"arn:aws:iam::{ACCOUNT}:role/{r.after['name']}": [] for r in view.of_type("aws_iam_role")
        }
        for res in view.of_type("aws_iam_role_policy"):
            statements = access.parse_policy(res.after.get("policy"))
            arn = f"arn:aws:iam::{ACCOUNT}:role/{res.after.get('role')}"
            if statements is not None and arn in roles[env]:
                roles[env][arn].append(statements)
        policies = {
            p.index: access.parse_policy(p.after.get("policy"))
            for p in view.of_type("aws_secretsmanager_secret_policy")
        }
        secrets[env] = {
            f"arn:aws:secretsmanager:af-south-1:{ACCOUNT}:secret:{s.after['name']}-Ab12Cd": policies.get(
                s.index
            )
            for s in view.of_type("aws_secretsmanager_secret")
        }
        assert secrets[env] and all(p is not None for p in secrets[env].values()), env
        assert len(roles[env]) >= 3, env  # task, execution and rotation roles at least
    for env_a, principals in roles.items():
        for env_b, held in secrets.items():
            if env_a == env_b:
                continue
            for principal, identity in principals.items():
                for arn, resource in held.items():
                    assert not access.can_read_secret(principal, identity, arn, resource), (principal, arn)
