"""The shipping verbs of `infra`: deploy, rollback, releases, smoke, integration record.

Parses and dispatches only; the flows are in deploy/engine.py and commands/deploy.py.
"""

from __future__ import annotations

from typing import Annotated

import typer

from deployment_infra.cli_options import EnvOpt, JsonOpt, TargetName, TargetOpt, YesOpt

TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout", help="Seconds to wait for the service to reach steady state before rolling back."
    ),
]

integration_app = typer.Typer(
    help=(
        "Integration test records that gate promotion (cd/promotion.toml). "
        "Example: infra integration record --env staging --image ngapp-dev/api:3f2a9c1 --outcome passed"
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command()(deploy)
    app.command()(rollback)
    app.command()(releases)
    app.command()(smoke)
    app.add_typer(integration_app, name="integration")


def deploy(
    env: EnvOpt,
    *,
    image: Annotated[
        str, typer.Option("--image", "-i", help="<repository>:<tag>; the tag is the release's version.")
    ],
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 600.0,
) -> None:
    """Roll IMAGE out to the environment's ECS service, with automatic rollback.

    Registers a task definition revision (the image, the environment's configuration from
    `infra config`, APP_VERSION=<tag>), updates the service, waits for steady state, runs the smoke
    test (cd/smoke.toml), records the release in SSM, invalidates the CDN entry points and posts to
    Slack. Any failure returns the service to the last good release and exits 1. An environment listed
    in cd/promotion.toml (prod) only takes images that passed its predecessor's integration tests.
    Deploying what already runs changes nothing. No Terraform runs.

    Example: infra deploy --env dev --image ngapp-dev/api:3f2a9c1
    """
    from deployment_infra.commands import deploy as cmd

    raise typer.Exit(cmd.deploy(env, image, target=target.value, yes=yes, as_json=as_json, timeout_s=timeout))


def rollback(
    env: EnvOpt,
    *,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Release id (r000007 or 7) from `infra releases`; default: the previous good one."
        ),
    ] = None,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 600.0,
) -> None:
    """Return the service to an earlier good release: one service update, no Terraform, no new image.

    Example: infra rollback --env prod --yes        (or --to r000012)
    """
    from deployment_infra.commands import deploy as cmd

    raise typer.Exit(cmd.rollback(env, to, target=target.value, yes=yes, as_json=as_json, timeout_s=timeout))


def releases(
    env: EnvOpt,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", help="Show the newest N releases.")] = 50,
) -> None:
    """The environment's release history (kept in SSM): id, action, version, outcome, time, actor.

    Example: infra releases --env staging --json
    """
    from deployment_infra.commands import deploy as cmd

    raise typer.Exit(cmd.releases(env, target=target.value, as_json=as_json, limit=limit))


def smoke(
    env: EnvOpt,
    url: Annotated[
        str | None, typer.Option("--url", help="Base URL to test (default: where the service answers).")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Version /version must report (default: the deployed one)."),
    ] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Smoke-test the running service: health 200, /version = the deployed tag, latency budget.

    Checks come from cd/smoke.toml. Exit 1 when a check fails. Example: infra smoke --env staging
    """
    from deployment_infra.commands import deploy as cmd

    raise typer.Exit(cmd.smoke(env, url, version, target=target.value, as_json=as_json))


@integration_app.command("record")
def integration_record(
    env: EnvOpt,
    *,
    image: Annotated[
        str, typer.Option("--image", "-i", help="The image the tests ran against (<repository>:<tag>).")
    ],
    outcome: Annotated[str, typer.Option("--outcome", help="passed or failed.")],
    url: Annotated[str, typer.Option("--url", help="Link to the test run.")] = "",
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Record an integration test outcome for IMAGE in ENV; promotion reads the newest one.

    Example: infra integration record --env staging --image ngapp-dev/api:3f2a9c1 --outcome passed
    """
    from deployment_infra.commands import deploy as cmd

    raise typer.Exit(cmd.record_integration(env, image, outcome, url, target=target.value, as_json=as_json))
