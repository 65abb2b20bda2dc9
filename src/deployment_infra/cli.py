"""The `infra` command line: parses arguments and dispatches to deployment_infra.commands.

Exit codes: 0 success; 1 the operation refused or failed (policy violations, terraform error);
2 bad input (unknown environment, unreadable file, invalid settings), nothing changed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from deployment_infra import cli_deploy, ui
from deployment_infra.aws_errors import describe_aws_error
from deployment_infra.cli_options import EnvOpt, JsonOpt, TargetName, TargetOpt, YesOpt
from deployment_infra.commands.config import config_app
from deployment_infra.commands.flags import flags_app
from deployment_infra.commands.preview import preview_app
from deployment_infra.errors import InfraError

# typer >= 0.29 vendors click; take its exception classes from wherever typer gets them
_click = sys.modules[typer.BadParameter.__module__]

app = typer.Typer(
    name="infra",
    help=(
        "Deployment infrastructure for AWS af-south-1 (Cape Town), serving Nigeria.\n\n"
        "Every command runs against the embedded AWS emulator by default (`--target local`, started "
        "on demand) or real AWS with `--target aws`. Plans are checked by a policy gate (data "
        "residency, tags, encryption) before anything is applied.\n\n"
        "Example:  infra up --env dev   (emulator, state bootstrap, plan, gate, apply, summary)"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
emulator_app = typer.Typer(
    help="The embedded AWS (moto server on 127.0.0.1). Example: infra emulator start", no_args_is_help=True
)
policy_app = typer.Typer(
    help="The policy gate over `terraform show -json` plans. Example: infra policy check plan.json",
    no_args_is_help=True,
)
package_app = typer.Typer(
    help="Build deployable artifacts from what is installed. Example: infra package lambdas --json",
    no_args_is_help=True,
)
app.add_typer(emulator_app, name="emulator")
app.add_typer(policy_app, name="policy")
ops_app = typer.Typer(
    help="Operational checks on an environment. Example: infra ops verify-backup --env dev --json",
    no_args_is_help=True,
)
app.add_typer(package_app, name="package")
app.add_typer(ops_app, name="ops")
cdn_app = typer.Typer(
    help="The environment's CloudFront distribution. Example: infra cdn invalidate --env dev --wait",
    no_args_is_help=True,
)
app.add_typer(cdn_app, name="cdn")
docs_app = typer.Typer(
    help="Documents generated from the environments' plans. Example: infra docs data-flows --check",
    no_args_is_help=True,
)
app.add_typer(docs_app, name="docs")
ci_app = typer.Typer(
    help=(
        "CI stages that run the same here, in `make test` and in GitHub Actions. Each detects what "
        "--path holds (TypeScript, Python, Terraform, Dockerfile, workflows) and runs what applies; "
        "configuration is read from the repository's ci/. A scanner that cannot get its data here says "
        "'not run', never 'passed'. Example: infra ci test --path examples/service"
    ),
    no_args_is_help=True,
)
app.add_typer(ci_app, name="ci")
app.add_typer(preview_app, name="preview")  # defined with its commands in commands/preview.py
app.add_typer(config_app, name="config")  # defined with its commands in commands/config.py
app.add_typer(flags_app, name="flags")  # defined with its commands in commands/flags.py
cli_deploy.register(app)  # deploy, rollback, releases, smoke, integration


@app.command()
def up(env: EnvOpt, target: TargetOpt = TargetName.local, yes: YesOpt = False) -> None:
    """Bring an environment up: emulator, state bootstrap, plan, policy gate, apply, summary.

    Idempotent: a second run finds nothing to change. Example: infra up --env dev
    """
    from deployment_infra.commands import lifecycle

    raise typer.Exit(lifecycle.up(env, target.value, yes))


@app.command()
def down(env: EnvOpt, target: TargetOpt = TargetName.local, yes: YesOpt = False) -> None:
    """Destroy every resource of an environment (protected ones ask first). Example: infra down --env dev"""
    from deployment_infra.commands import lifecycle

    raise typer.Exit(lifecycle.down(env, target.value, yes))


@app.command()
def status(env: EnvOpt, target: TargetOpt = TargetName.local, as_json: JsonOpt = False) -> None:
    """List an environment's resources and outputs. Example: infra status --env dev --json"""
    from deployment_infra.commands import lifecycle

    raise typer.Exit(lifecycle.status(env, target.value, as_json))


@app.command()
def plan(env: EnvOpt, target: TargetOpt = TargetName.local, as_json: JsonOpt = False) -> None:
    """Save a plan and check it with the policy gate; exit 1 and list violations if it fails.

    The saved plan (and the gate's verdict) live under .infra/; `infra apply` applies only that plan.
    Example: infra plan --env dev
    """
    from deployment_infra.commands import plan as plan_cmd

    raise typer.Exit(plan_cmd.plan(env, target.value, as_json))


@app.command()
def apply(env: EnvOpt, target: TargetOpt = TargetName.local, yes: YesOpt = False) -> None:
    """Apply the saved plan of an environment, only if it passed the gate. Example: infra apply --env dev"""
    from deployment_infra.commands import plan as plan_cmd

    raise typer.Exit(plan_cmd.apply(env, target.value, yes))


@app.command()
def bootstrap(target: TargetOpt = TargetName.local, as_json: JsonOpt = False) -> None:
    """Create (or confirm) the state bucket and lock table in af-south-1. Idempotent.

    Example: infra bootstrap --target aws
    """
    from deployment_infra.commands import plan as plan_cmd

    raise typer.Exit(plan_cmd.bootstrap(target.value, as_json))


@app.command()
def unlock(
    env: EnvOpt,
    lock_id: Annotated[
        str | None,
        typer.Argument(help="The lock id the failed command printed (default: the current lock)."),
    ] = None,
    target: TargetOpt = TargetName.local,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Release an environment's state lock whose holder is gone (asks first; --yes in scripts).

    A holder still running is never unlocked; a LOCK_ID that is not the current lock changes
    nothing (exit 2); no lock is exit 0. A preview's lock is `--env pr-N`.
    Example: infra unlock --env dev 1b2c-...
    """
    from deployment_infra.commands import unlock as unlock_cmd

    raise typer.Exit(unlock_cmd.unlock(env, target.value, lock_id, yes, as_json))


@app.command("envs")
def environments(as_json: JsonOpt = False) -> None:
    """List the environments (directories under terraform/environments/). Example: infra envs"""
    from deployment_infra import settings
    from deployment_infra.ui import print_json

    s = settings.load()
    rows = [(e.name, e.region, "yes" if e.protected else "no") for e in s.environments.values()]
    if as_json:
        print_json([{"name": n, "region": r, "protected": p == "yes"} for n, r, p in rows])
    else:
        ui.table("Environments", ["name", "region", "protected"], rows)


@emulator_app.command("start")
def emulator_start(as_json: JsonOpt = False) -> None:
    """Start the emulator (if ours is not already running) and wait until it answers.

    Example: INFRA_EMULATOR_PORT=4599 infra emulator start
    """
    from deployment_infra.commands import emulator

    raise typer.Exit(emulator.start(as_json))


@emulator_app.command("stop")
def emulator_stop(as_json: JsonOpt = False) -> None:
    """Stop the emulator that infra started here (never another process). Example: infra emulator stop"""
    from deployment_infra.commands import emulator

    raise typer.Exit(emulator.stop(as_json))


@emulator_app.command("status")
def emulator_status(as_json: JsonOpt = False) -> None:
    """Say whether the emulator answers; exit 3 when it does not. Example: infra emulator status --json"""
    from deployment_infra.commands import emulator

    raise typer.Exit(emulator.status(as_json))


@policy_app.command("check")
def policy_check(
    plan_json: Annotated[Path, typer.Argument(help="A file written by `terraform show -json PLANFILE`.")],
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            "-e",
            help="The plan's environment; its rules (deletion protection, failover) apply. "
            "Without it the strictest rules apply.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Judge transfer register expiry on this day (default: today, UTC): will the plan "
            "still pass when an entry lapses?",
        ),
    ] = None,
) -> None:
    """Check a saved plan JSON: exit 0 pass, 1 violations, 2 unreadable input.

    Example: terraform show -json plan.tfplan > plan.json && infra policy check plan.json --env dev
    """
    from deployment_infra.commands import plan as plan_cmd

    raise typer.Exit(plan_cmd.policy_check(plan_json, as_json, env, as_of))


@policy_app.command("list")
def policy_list(as_json: JsonOpt = False) -> None:
    """List the gate's checks and their stable ids. Example: infra policy list"""
    from deployment_infra.commands import plan as plan_cmd

    raise typer.Exit(plan_cmd.list_checks(as_json))


@package_app.command("lambdas")
def package_lambdas(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the zips (default: <project>/.infra/lambdas)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the Lambda zips (secret rotation) reproducibly; print path, size and sha256.

    Example: infra package lambdas --out dist/ --json
    """
    from deployment_infra.commands import package

    raise typer.Exit(package.lambdas(out, as_json))


@ops_app.command("verify-backup")
def ops_verify_backup(
    env: EnvOpt,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            help="Also write Prometheus textfile-collector metrics (backup_verification_success, ...) here.",
        ),
    ] = None,
    instance: Annotated[
        str | None,
        typer.Option(
            "--instance", help="aws: the DB instance to verify (default: the environment's primary)."
        ),
    ] = None,
) -> None:
    """Restore a backup into a scratch database and compare it with its source: 0 match, 1 differ.

    aws: point-in-time restore of the environment's RDS primary into a temporary instance (always
    deleted). local: the emulator has no database behind RDS, so a seeded scratch PostgreSQL is
    backed up and restored (pg_dump/pg_restore and WAL point-in-time recovery).
    Example: infra ops verify-backup --env prod --target aws --json
    """
    from deployment_infra.commands import ops

    raise typer.Exit(ops.verify_backup(env, target.value, as_json, metrics_file, instance))


@ops_app.command("residency-scan")
def ops_residency_scan(
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            "-e",
            help="Judge only resources tagged Environment=ENV, plus those with no Environment tag "
            "(judged in every scan). Default: every resource.",
        ),
    ] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
    regions: Annotated[
        str | None,
        typer.Option(
            "--regions",
            help="Comma-separated regions to scan, e.g. af-south-1,eu-west-1 (default: all enabled).",
        ),
    ] = None,
) -> None:
    """Inventory every enabled region of the account and report each resource outside the locations
    its DataClassification tag allows (infra.toml [residency.allowed_regions]); untagged or unknown
    classes get the strictest list. Exit 0 clean, 1 findings or anything not scanned, 2 bad input.
    What to do with a finding: docs/runbooks/residency-finding.md.

    Example: infra ops residency-scan --target aws --env prod --json
    """
    from deployment_infra.commands import residency

    raise typer.Exit(residency.residency_scan(env, target.value, as_json, regions))


@ops_app.command("cost-report")
def ops_cost_report(
    env: EnvOpt,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan-file",
            help="A `terraform show -json` plan of the environment. Default: plan it now, as "
            "`infra plan` does (that becomes the saved plan).",
        ),
    ] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Estimate the environment's monthly cost per resource from its plan, priced from
    cost/prices-<region>.toml (with the usage assumptions printed), and what each cost choice saves:
    Fargate Spot, one shared NAT gateway, reserved RDS/ElastiCache (opt-in). Resources without a
    price are listed as not priced, never counted as zero. The prices are not verified online:
    docs/cost.md says how to update them. Exit 0 report, 1 the plan could not be made, 2 bad input.

    Example: infra plan --env dev; infra ops cost-report --env dev --plan-file .infra/local/dev/plan.json
    """
    from deployment_infra.commands import cost

    raise typer.Exit(cost.report(env, plan_file, target.value, as_json))


@cdn_app.command("invalidate")
def cdn_invalidate(
    env: EnvOpt,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Paths to invalidate, each starting with '/' (default: the environment's entry points)."
        ),
    ] = None,
    target: TargetOpt = TargetName.local,
    wait: Annotated[bool, typer.Option("--wait", help="Poll until CloudFront reports Completed.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Invalidate paths on the environment's distribution (terraform output cdn_distribution_id).

    Example: infra cdn invalidate --env dev /index.html "/assets/*" --wait
    """
    from deployment_infra.commands import cdn

    raise typer.Exit(cdn.invalidate(env, list(paths or []), target.value, wait, as_json))


@docs_app.command("data-flows")
def docs_data_flows(
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the file differs from what the plans give."),
    ] = False,
    plan_files: Annotated[
        list[str] | None,
        typer.Option(
            "--plan-file",
            metavar="ENV=PATH",
            help="ENV=PATH: use this `terraform show -json` plan for ENV instead of planning it "
            "(repeatable). Environments without one are planned now, as `infra plan` does (that "
            "becomes their saved plan).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write (or check) it. Default: docs/data-flows.md.")
    ] = None,
    target: TargetOpt = TargetName.local,
) -> None:
    """Generate docs/data-flows.md from the plans of every environment root: each data store, its
    class, location, who can read it (IAM roles, resource policies, network), its copies, and the
    transfer register entry (NDPA 2023) each rests on, as a table and a Mermaid diagram per
    environment. Deterministic: fresh and applied environments give the same file. Exit 0 written
    or current, 1 stale (--check) or a plan failed, 2 bad input.

    Example: infra docs data-flows   (then, in CI: infra docs data-flows --check)
    """
    from deployment_infra.commands import docs

    raise typer.Exit(docs.data_flows(check, list(plan_files or []), out, target.value))


PathOpt = Annotated[
    Path,
    typer.Option(
        "--path", "-p", help="Directory to check (a service, or a repository root).", show_default=True
    ),
]


@ci_app.command("lint")
def ci_lint(path: PathOpt = Path("."), as_json: JsonOpt = False) -> None:
    """ESLint, Prettier, tsc --noEmit; ruff, mypy; terraform fmt/validate; hadolint; actionlint+shellcheck.

    Example: infra ci lint --path examples/service
    """
    from deployment_infra.commands import ci

    raise typer.Exit(ci.run("lint", path, as_json))


@ci_app.command("test")
def ci_test(path: PathOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Unit tests with coverage >= ci/coverage.json's threshold (default 80%); property tests at 100 runs.

    Example: infra ci test --path examples/service --json
    """
    from deployment_infra.commands import ci

    raise typer.Exit(ci.run("test", path, as_json))


@ci_app.command("security")
def ci_security(path: PathOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Secrets, dependency audit, IaC (checkov) and code scanning, with ci/security.toml's threshold.

    Example: infra ci security --path .
    """
    from deployment_infra.commands import ci

    raise typer.Exit(ci.run("security", path, as_json))


@ci_app.command("build")
def ci_build(path: PathOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Build the directory's Dockerfile into an OCI image tagged with the commit SHA (buildah, no daemon).

    Example: infra ci build --path examples/service --json
    """
    from deployment_infra.commands import ci

    raise typer.Exit(ci.run("build", path, as_json))


def main(argv: list[str] | None = None) -> int:
    """Entry point: every expected failure is one line on stderr and an exit code, never a traceback."""
    try:
        result = app(args=argv, prog_name="infra", standalone_mode=False)
    except InfraError as exc:
        ui.error(str(exc))
        return exc.exit_code
    except _click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 0
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        ui.error(f"{exc.format_message()}{where}")
        return 2
    except typer.Exit as exc:  # typer's own Exit/Abort: the vendored click module has neither
        return int(exc.exit_code)
    except typer.Abort:
        ui.error("aborted")
        return 130
    except _click.ClickException as exc:
        ui.error(exc.format_message())
        return 2
    except KeyboardInterrupt:
        ui.error("interrupted")
        return 130
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("INFRA_DEBUG"):
            raise
        if (aws := describe_aws_error(exc)) is not None:  # AWS failed after the client's retries
            ui.error(aws)
            return 1
        ui.error(f"internal error: {type(exc).__name__}: {exc} (set INFRA_DEBUG=1 for the traceback)")
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
