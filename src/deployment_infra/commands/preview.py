"""`infra preview up|down|list|reap`: a throwaway environment per pull request.

The `preview_app` sub-app only parses; the verbs below print and choose exit codes; the logic is in
deployment_infra.envs.preview (imported lazily: boto3 and the Terraform runner load only when used).
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from deployment_infra import ui
from deployment_infra.cli_options import JsonOpt, TargetName, TargetOpt, YesOpt
from deployment_infra.errors import InfraError, UsageError

PrOpt = Annotated[int, typer.Option("--pr", help="Pull request number (1 to 999999).")]
_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")  # an abbreviated or full SHA-1 / SHA-256 commit id

preview_app = typer.Typer(
    help=(
        "Per-pull-request preview environments (own state key, smallest sizes, reaped after a TTL or "
        "when the PR closes). Example: infra preview up --pr 12 --json"
    ),
    no_args_is_help=True,
)


@preview_app.command("up")
def up_command(
    pr: PrOpt,
    image: Annotated[
        str | None,
        typer.Option("--image", help="Image the preview runs (default: the last one, or a placeholder)."),
    ] = None,
    head_sha: Annotated[str | None, typer.Option("--head-sha", help="The PR head commit, recorded.")] = None,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Create or update PR N's preview and print its URL. Idempotent. Example: infra preview up --pr 12"""
    raise typer.Exit(up(pr, target.value, image, head_sha, as_json))


@preview_app.command("down")
def down_command(
    pr: PrOpt, target: TargetOpt = TargetName.local, as_json: JsonOpt = False, yes: YesOpt = False
) -> None:
    """Destroy PR N's preview, its state and registry entry. Example: infra preview down --pr 12

    Previews are never protected, so --yes changes nothing; it is accepted like `infra down`'s.
    """
    del yes
    raise typer.Exit(down(pr, target.value, as_json))


@preview_app.command("list")
def list_command(target: TargetOpt = TargetName.local, as_json: JsonOpt = False) -> None:
    """List the previews in the registry (no Terraform). Example: infra preview list --json"""
    raise typer.Exit(list_previews(target.value, as_json))


@preview_app.command("reap")
def reap_command(
    *,
    ttl_hours: Annotated[
        float, typer.Option("--ttl-hours", help="Destroy previews created longer ago than this.")
    ] = 72.0,
    open_prs: Annotated[
        str | None, typer.Option("--open-prs", help="Open PR numbers, e.g. 12,15; other previews are reaped.")
    ] = None,
    open_prs_file: Annotated[
        Path | None,
        typer.Option("--open-prs-file", help="File of open PR numbers (`gh pr list --json number` output)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be destroyed.")] = False,
    target: TargetOpt = TargetName.local,
    as_json: JsonOpt = False,
) -> None:
    """Destroy expired previews and those of closed PRs. Example: infra preview reap --open-prs 12,15"""
    raise typer.Exit(
        reap(ttl_hours, open_prs, open_prs_file, dry_run=dry_run, target=target.value, as_json=as_json)
    )


# -- the verbs ------------------------------------------------------------------------------------
def up(pr: int, target: str, image: str | None, head_sha: str | None, as_json: bool) -> int:
    from deployment_infra.commands.common import context
    from deployment_infra.envs import preview

    preview.check_pr(pr)
    if image is not None:
        from deployment_infra.deploy.images import Image

        Image.parse(image)  # bad input fails before Terraform runs
    if head_sha is not None and not _COMMIT.fullmatch(head_sha):
        raise UsageError(f"--head-sha {head_sha[:80]!r} is not a commit id (7 to 64 hex digits)")
    started = time.monotonic()
    ctx = context(target)
    result = preview.up(ctx.settings, ctx.target, pr, image=image, head_sha=head_sha)
    if result is None:
        return 1
    record, changed = result
    seconds = round(time.monotonic() - started, 1)
    if as_json:
        ui.print_json({**record.to_dict(), "changed": changed, "target": target, "seconds": seconds})
    ui.ok(f"preview pr-{pr} is up at {record.url} ({seconds:.0f}s)")
    return 0


def down(pr: int, target: str, as_json: bool) -> int:
    from deployment_infra.commands.common import context
    from deployment_infra.envs import preview

    preview.check_pr(pr)
    ctx = context(target)
    code = preview.down(ctx.settings, ctx.target, pr)
    if as_json:
        ui.print_json({"pr": pr, "target": target, "destroyed": code == 0})
    if code == 0:
        ui.ok(f"preview pr-{pr} is gone: resources, state and registry entry")
    return code


def list_previews(target: str, as_json: bool) -> int:
    from deployment_infra.commands.common import context
    from deployment_infra.envs import preview

    ctx = context(target)
    ctx.target.prepare()
    records = preview.Registry(ctx.settings, ctx.target).all()
    now = datetime.now(UTC)
    if as_json:
        ui.print_json([{**r.to_dict(), "age_hours": round(r.age_hours(now), 2)} for r in records])
        return 0
    ui.table(
        f"Previews on {target}: {len(records)}",
        ["pr", "url", "age (h)", "head", "created (UTC)"],
        [
            (r.pr, r.url, f"{r.age_hours(now):.1f}", (r.head_sha or "")[:12], preview.iso(r.created_at))
            for r in records
        ],
    )
    return 0


def reap(
    ttl_hours: float,
    open_prs: str | None,
    open_prs_file: Path | None,
    *,
    dry_run: bool,
    target: str,
    as_json: bool,
) -> int:
    from deployment_infra.commands.common import context
    from deployment_infra.envs import preview

    if not (ttl_hours > 0 and math.isfinite(ttl_hours)):
        raise UsageError(f"--ttl-hours must be a positive number of hours, got {ttl_hours:g}")
    if open_prs is not None and open_prs_file is not None:
        raise UsageError("give --open-prs or --open-prs-file, not both")
    open_set = None
    if open_prs is not None:
        open_set = preview.parse_open_prs(open_prs)
    elif open_prs_file is not None:
        try:
            open_set = preview.parse_open_prs(open_prs_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read --open-prs-file {open_prs_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--open-prs-file {open_prs_file}: not UTF-8 text") from None
    ctx = context(target)
    ctx.target.prepare()
    records = preview.Registry(ctx.settings, ctx.target).all()
    if open_set is None:
        ui.warn("no open-PR list given: reaping by age only (closed PRs' previews stay until they expire)")
    chosen = preview.select_for_reaping(records, datetime.now(UTC), ttl_hours, open_set)
    results: list[dict[str, object]] = []
    failed = 0
    for record, reason in chosen:
        entry: dict[str, object] = {"pr": record.pr, "reason": reason, "url": record.url}
        if dry_run:
            ui.ok(f"would destroy pr-{record.pr}: {reason}")
            entry["destroyed"] = False
        else:
            ui.step(f"reaping pr-{record.pr}: {reason}")
            try:
                code = preview.down(ctx.settings, ctx.target, record.pr)
            except InfraError as exc:  # one failure never stops the others
                ui.error(f"pr-{record.pr}: {exc}")
                code = 1
            entry["destroyed"] = code == 0
            failed += code != 0
        results.append(entry)
    kept = sorted({r.pr for r in records} - {r.pr for r, _ in chosen})
    if as_json:
        ui.print_json(
            {
                "dry_run": dry_run,
                "ttl_hours": ttl_hours,
                "open_prs_known": open_set is not None,
                "reaped": results,
                "kept": kept,
            }
        )
    verb = "would reap" if dry_run else "reaped"
    ui.ok(f"{verb} {len(chosen) - failed} preview(s), kept {len(kept)}")
    if failed:
        ui.error(f"{failed} preview(s) could not be destroyed")
        return 1
    return 0
