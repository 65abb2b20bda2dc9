"""`infra config get|set|unset|diff`: an environment's non-secret variables (SSM, see envs/config.py).

The sub-app is defined here, not in cli.py, to keep cli.py short; like cli.py it imports boto3 and
the settings only inside the commands, so that `infra --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deployment_infra import ui
from deployment_infra.cli_options import EnvOpt, JsonOpt, TargetName, TargetOpt, YesOpt
from deployment_infra.envs import config as cfg
from deployment_infra.errors import InfraError, UsageError

if TYPE_CHECKING:
    from deployment_infra.commands.common import Context
    from deployment_infra.deploy.service import ServiceRef

config_app = typer.Typer(
    help=(
        "An environment's non-secret environment variables, kept in SSM Parameter Store under "
        "/<project>/<env>/config/<NAME> and rendered into the task definition by the next "
        "`infra deploy`. Secrets belong in Secrets Manager, never here.\n\n"
        "Example:  infra config set --env dev LOG_LEVEL=debug; infra config diff --env dev --against staging"
    ),
    no_args_is_help=True,
)


NamesArg = Annotated[list[str], typer.Argument(metavar="NAME...", help="Variable names, e.g. LOG_LEVEL.")]


@config_app.command("get")
def get_command(
    env: EnvOpt,
    name: Annotated[str | None, typer.Argument(help="One variable (default: all of them).")] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Show the configured variables, or the value of one (exit 1 if it is not set).

    Example: infra config get --env staging LOG_LEVEL
    """
    raise typer.Exit(get(env, name, target.value, as_json))


@config_app.command("set")
def set_command(
    env: EnvOpt,
    *,
    assignments: Annotated[
        list[str] | None,
        typer.Argument(metavar="NAME=VALUE...", help="Variables to set, e.g. LOG_LEVEL=info."),
    ] = None,
    unset_names: Annotated[
        list[str] | None, typer.Option("--unset", metavar="NAME", help="Remove this variable (repeatable).")
    ] = None,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Set (or --unset) variables; all are checked before anything is written. Takes effect at the
    next `infra deploy`. Protected environments (prod) ask first, or take --yes.

    Example: infra config set --env dev LOG_LEVEL=debug FEATURE_BANNER=on --unset OLD_NAME
    """
    raise typer.Exit(
        set_(
            env,
            assignments=list(assignments or []),
            unset_names=list(unset_names or []),
            target=target.value,
            yes=yes,
            as_json=as_json,
        )
    )


@config_app.command("unset")
def unset_command(
    env: EnvOpt,
    names: NamesArg,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove variables; takes effect at the next `infra deploy`.

    Example: infra config unset --env dev OLD_NAME
    """
    raise typer.Exit(
        set_(env, assignments=[], unset_names=names, target=target.value, yes=yes, as_json=as_json)
    )


@config_app.command("diff")
def diff_command(
    env: EnvOpt,
    against: Annotated[
        str | None,
        typer.Option("--against", metavar="ENV", help="Compare with this environment's SSM values."),
    ] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Without --against: what the next deploy changes (SSM vs the running task definition).
    With --against: the variables that differ between two environments.

    Example: infra config diff --env staging --against prod --json
    """
    raise typer.Exit(diff(env, against, target.value, as_json))


def get(env: str, name: str | None, target: str, as_json: bool) -> int:
    if name is not None:
        cfg.check_name_syntax(name)
    ctx, ref = _connect(env, target)
    values = _read(ctx, ref)
    if name is not None:
        if name not in values:
            raise InfraError(f"{name} is not set in {env}")
        if as_json:
            ui.print_json({"environment": env, "name": name, "value": values[name]})
        else:
            sys.stdout.write(values[name] + "\n")  # raw, for $(infra config get ...)
        return 0
    if as_json:
        ui.print_json({"environment": env, "target": target, "values": values})
    elif values:
        ui.table(f"Configuration of {env} ({cfg.config_path(ref)})", ["name", "value"], values.items())
    else:
        ui.ok(f"no variables configured in {env}")
    return 0


def set_(
    env: str, *, assignments: list[str], unset_names: list[str], target: str, yes: bool, as_json: bool
) -> int:
    pairs = parse_assignments(assignments)
    both = sorted(set(pairs) & set(unset_names))
    if both:
        raise UsageError(f"{', '.join(both)} both set and unset; nothing changed")
    if not pairs and not unset_names:
        raise UsageError("nothing to change: give NAME=VALUE or --unset NAME")
    cfg.validate_pairs(pairs)
    for name in unset_names:
        cfg.check_name_syntax(name)
    ctx, ref = _connect(env, target)
    planned = cfg.plan_changes(_read(ctx, ref), pairs, unset_names)
    real = [c for c in planned if c.action != "unchanged"]
    protected = ctx.settings.environment(env).protected
    question = f"Change {', '.join(c.name for c in real)} in {env}."
    if real and protected and not yes and not ui.confirm(question):
        raise UsageError(
            f"{env} is protected: changing its configuration needs confirmation (or --yes); nothing changed"
        )
    ssm = ctx.target.client("ssm", ref.region)
    try:
        with _aws(f"reading the configuration of {env}"):
            changes = cfg.apply_changes(ssm, ref, pairs, unset_names)
    except cfg.ConfigWriteError as failed:
        raise InfraError(f"writing the configuration of {env}: {failed}") from None
    changed = [c for c in changes if c.action != "unchanged"]
    if as_json:
        ui.print_json({"environment": env, "target": target, "changes": [c.to_dict() for c in changes]})
    for change in changes:
        ui.detail(_describe(change))
    if changed:
        ui.ok(
            f"{len(changed)} variable(s) changed in {env}: "
            f"they take effect at the next `infra deploy --env {env}`"
        )
    else:
        ui.ok(f"nothing changed in {env}: every value was already as given")
    return 0


def diff(env: str, against: str | None, target: str, as_json: bool) -> int:
    ctx, ref = _connect(env, target)
    if against is not None:
        from deployment_infra.deploy.service import ServiceRef

        other = ServiceRef.of(ctx.settings, against)
        rows = cfg.diff_envs(_read(ctx, ref), _read(ctx, other))
        left, right = env, against
        words = {"added": f"only in {against}", "removed": f"only in {env}", "changed": "differs"}
    else:
        revision, live = live_environment(ctx.target.client("ecs", ref.region), ref)
        rows = cfg.pending(_read(ctx, ref), live)
        left, right = f"running ({revision})", "ssm (next deploy)"
        words = {
            "added": "added at next deploy",
            "removed": "removed at next deploy",
            "changed": "changed at next deploy",
        }
    if as_json:
        ui.print_json({"environment": env, "left": left, "right": right, "rows": [r.to_dict() for r in rows]})
    elif rows:
        ui.table(
            f"Configuration differences ({left} -> {right})",
            ["name", "change", left, right],
            [(r.name, words[r.change], _show(r.left), _show(r.right)) for r in rows],
        )
    else:
        ui.ok(f"no differences between {left} and {right}")
    return 0


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """NAME=VALUE arguments as a dict (UsageError for a malformed or repeated one)."""
    pairs: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"expected NAME=VALUE, got {name[:64]!r}; nothing changed")
        cfg.check_name_syntax(name)
        if name in pairs:
            raise UsageError(f"{name} given twice; nothing changed")
        pairs[name] = value
    return pairs


def live_environment(ecs: Any, ref: ServiceRef) -> tuple[str, dict[str, str]]:
    """(task definition family:revision, container environment) the service runs now; InfraError if none."""
    from botocore.exceptions import ClientError

    from deployment_infra.deploy.service import CONTAINER_NAME

    missing = InfraError(
        f"service {ref.name} does not exist in {ref.environment}: run `infra up --env {ref.environment}`"
    )
    with _aws(f"reading service {ref.name}"):
        try:
            found = ecs.describe_services(cluster=ref.cluster, services=[ref.name])["services"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
                raise missing from None
            raise
        active = [s for s in found if s.get("status") != "INACTIVE" and s.get("taskDefinition")]
        if not active:
            raise missing
        task_definition = ecs.describe_task_definition(taskDefinition=active[0]["taskDefinition"])[
            "taskDefinition"
        ]
    containers = [
        c for c in task_definition.get("containerDefinitions", []) if c.get("name") == CONTAINER_NAME
    ]
    revision = f"{task_definition.get('family')}:{task_definition.get('revision')}"
    if not containers:
        raise InfraError(f"task definition {revision} has no container named {CONTAINER_NAME!r}")
    return revision, cfg.environment_dict(containers[0].get("environment", []))


def _connect(env: str, target: str) -> tuple[Context, ServiceRef]:
    from deployment_infra.commands.common import context
    from deployment_infra.deploy.service import ServiceRef

    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)  # an unknown environment fails before the emulator starts
    ctx.target.prepare()
    return ctx, ref


def _read(ctx: Context, ref: ServiceRef) -> dict[str, str]:
    with _aws(f"reading the configuration of {ref.environment}"):
        return cfg.read_config(ctx.target.client("ssm", ref.region), ref)


@contextmanager
def _aws(what: str) -> Iterator[None]:
    """AWS errors as one line (exit 1)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(f"{what}: {exc}") from None


def _describe(change: cfg.Change) -> str:
    if change.action == "added":
        return f"+ {change.name}={change.new}"
    if change.action == "changed":
        return f"~ {change.name}: {change.old} -> {change.new}"
    if change.action == "removed":
        return f"- {change.name} (was {change.old})"
    return f"= {change.name} (unchanged)" if change.new is not None else f"= {change.name} (was not set)"


def _show(value: str | None) -> str:
    return "(not set)" if value is None else value
