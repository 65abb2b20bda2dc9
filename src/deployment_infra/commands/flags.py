"""`infra flags list|set|enable|disable`: an environment's feature flags in AWS AppConfig (envs/flags.py).

The sub-app is defined here, not in cli.py, to keep cli.py short; like cli.py it imports boto3 and
the settings only inside the commands, so that `infra --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deployment_infra import ui
from deployment_infra.cli_options import EnvOpt, JsonOpt, TargetName, TargetOpt, YesOpt
from deployment_infra.envs import flags as fl
from deployment_infra.errors import InfraError, UsageError

if TYPE_CHECKING:
    from deployment_infra.commands.common import Context

flags_app = typer.Typer(
    help=(
        'An environment\'s feature flags: the AWS AppConfig feature-flag profile "flags" of application '
        '"<project>-<env>" (terraform/modules/flags), validated against cd/flags.schema.json. A change '
        "writes a new version and deploys it with the environment's strategy: the service picks it up "
        "without a redeploy.\n\n"
        "Example:  infra flags enable --env staging maintenance_banner; infra flags list --env prod"
    ),
    no_args_is_help=True,
)
FlagArg = Annotated[str, typer.Argument(metavar="FLAG", help="A flag named in cd/flags.schema.json.")]
AttrOpt = Annotated[
    list[str] | None,
    typer.Option("--attr", "-a", metavar="NAME=VALUE", help="Set an attribute of the flag (repeatable)."),
]


@flags_app.command("list")
def list_command(env: EnvOpt, target: TargetOpt = TargetName.local, as_json: JsonOpt = False) -> None:
    """The flags deployed to the environment (newest completed deployment), and known flags never set.

    Example: infra flags list --env dev --json
    """
    raise typer.Exit(list_(env, target.value, as_json))


@flags_app.command("enable")
def enable_command(
    env: EnvOpt,
    flag: FlagArg,
    *,
    attrs: AttrOpt = None,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Turn a flag on (and set attributes). Protected environments (prod) ask first, or take --yes.

    Example: infra flags enable --env staging maintenance_banner --attr "message=Back at 14:00"
    """
    raise typer.Exit(
        change(env, flag, True, list(attrs or []), target=target.value, yes=yes, as_json=as_json)
    )


@flags_app.command("disable")
def disable_command(
    env: EnvOpt,
    flag: FlagArg,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Turn a flag off. Protected environments (prod) ask first, or take --yes.

    Example: infra flags disable --env prod maintenance_banner --yes
    """
    raise typer.Exit(change(env, flag, False, [], target=target.value, yes=yes, as_json=as_json))


@flags_app.command("set")
def set_command(
    env: EnvOpt,
    flag: FlagArg,
    *,
    attrs: AttrOpt = None,
    enabled: Annotated[
        bool | None, typer.Option("--enabled/--disabled", help="Also switch the flag (default: as it is).")
    ] = None,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Set attributes of a flag (and optionally switch it). Protected environments ask first, or take --yes.

    Example: infra flags set --env dev maintenance_banner --attr "message=Read-only until 14:00"
    """
    if not attrs and enabled is None:
        raise UsageError("nothing to change: give --attr NAME=VALUE or --enabled/--disabled")
    raise typer.Exit(
        change(env, flag, enabled, list(attrs or []), target=target.value, yes=yes, as_json=as_json)
    )


@contextmanager
def _aws(what: str) -> Iterator[None]:
    """An AWS error as one line naming what was being done."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        hint = " (changed meanwhile by someone else: nothing was overwritten; run again)"
        raise InfraError(
            f"{what}: {code}: {error.get('Message', exc)}{hint if code == 'ConflictException' else ''}"
        ) from None
    except BotoCoreError as exc:
        raise InfraError(f"{what}: {exc}") from None


def _connect(env: str, target: str) -> tuple[Context, fl.FlagsRef, Any]:
    from deployment_infra.commands.common import context

    ctx = context(target)
    ref = fl.FlagsRef.of(ctx.settings, env)
    return ctx, ref, ctx.target.client("appconfig", ref.region)


def _attributes(value: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(value.items()) if k != "enabled") or "-"


def list_(env: str, target: str, as_json: bool) -> int:
    ctx, ref, client = _connect(env, target)
    schema = fl.FlagSchema.load(ctx.settings.root)
    with _aws(f"reading the flags of {env}"):
        deployed = fl.read(client, ref)
    flags = fl.evaluated(deployed.document)
    unset = sorted(set(schema.flags) - set(flags))
    if as_json:
        ui.print_json(
            {
                "environment": env,
                "target": target,
                "application": ref.application,
                "version": deployed.version,
                "deployment": deployed.deployment,
                "in_progress": deployed.in_progress,
                "flags": flags,
                "unset": unset,
            }
        )
        return 0
    where = (
        f"version {deployed.version}, deployment {deployed.deployment}"
        if deployed.version
        else "never deployed"
    )
    rows = [
        (name, "on" if value["enabled"] else "off", _attributes(value), _description(schema, name))
        for name, value in sorted(flags.items())
    ]
    rows += [(name, "off (not set)", "-", schema.flags[name].description) for name in unset]
    ui.table(
        f"Flags of {env} ({ref.application}, {where})", ["flag", "state", "attributes", "description"], rows
    )
    if deployed.in_progress is not None:
        ui.warn(f"deployment {deployed.in_progress} of {env} is still rolling out")
    return 0


def _description(schema: fl.FlagSchema, name: str) -> str:
    return schema.flags[name].description if name in schema.flags else "(not in the schema)"


def change(
    env: str,
    flag: str,
    enabled: bool | None,
    assignments: list[str],
    *,
    target: str,
    yes: bool,
    as_json: bool,
) -> int:
    ctx, ref, client = _connect(env, target)
    schema = fl.FlagSchema.load(ctx.settings.root)
    spec = schema.spec(flag)
    attributes = dict(spec.parse(a) for a in assignments)
    with _aws(f"reading the flags of {env}"):
        deployed = fl.read(client, ref)
    if deployed.in_progress is not None:
        raise InfraError(
            f"deployment {deployed.in_progress} of {env} is still rolling out; try again when it ends"
        )
    current = schema.problems(deployed.document)
    if current:
        raise InfraError(
            f"the flags deployed to {env} (version {deployed.version}) do not match {fl.SCHEMA_FILE}: "
            f"{'; '.join(current)}"
        )
    document = fl.updated_document(deployed.document, spec, enabled=enabled, attributes=attributes)
    problems = schema.problems(document)
    if problems:
        raise UsageError(f"{flag}: {'; '.join(problems)}; nothing changed")
    value = fl.evaluated(document)[flag]
    if document == deployed.document:
        return _report(
            env,
            flag,
            value,
            version=None,
            deployment=None,
            as_json=as_json,
            summary=_unchanged(flag, enabled, env),
        )
    what = _what(flag, enabled, attributes)
    if ctx.settings.environment(env).protected and not yes and not ui.confirm(f"{what} in {env}."):
        raise UsageError(
            f"{env} is protected: changing its flags needs confirmation (or --yes); nothing changed"
        )
    with _aws(f"deploying the flags of {env}"):
        version, deployment = fl.publish(client, ref, deployed, document, f"infra flags: {what}")
    number, state = deployment["DeploymentNumber"], deployment["State"]
    summary = f"{what} in {env}: version {version}, deployment {number} ({state})"
    return _report(env, flag, value, version=version, deployment=deployment, as_json=as_json, summary=summary)


def _what(flag: str, enabled: bool | None, attributes: Mapping[str, Any]) -> str:
    parts = [] if enabled is None else [f"{'enable' if enabled else 'disable'} {flag}"]
    if attributes:
        parts.append(f"set {flag} {_attributes(attributes)}")
    return " and ".join(parts)


def _unchanged(flag: str, enabled: bool | None, env: str) -> str:
    state = {True: "already enabled", False: "already disabled", None: "already set so"}[enabled]
    return f"{flag} is {state} in {env}: nothing changed, no new version"


def _report(
    env: str,
    flag: str,
    value: Mapping[str, Any],
    *,
    version: int | None,
    deployment: Mapping[str, Any] | None,
    as_json: bool,
    summary: str,
) -> int:
    if as_json:
        ui.print_json(
            {
                "environment": env,
                "flag": flag,
                "value": dict(value),
                "changed": version is not None,
                "version": version,
                "deployment": None if deployment is None else deployment["DeploymentNumber"],
                "state": None if deployment is None else deployment["State"],
            }
        )
    else:
        ui.ok(summary)
    return 0
