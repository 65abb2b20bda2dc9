"""`infra docs data-flows`: write (or check) docs/data-flows.md from the environments' plans.

Exit codes: 0 written or current; 1 stale (with --check) or a plan could not be made; 2 bad input
(a malformed --plan-file, an unknown environment, an unreadable plan JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployment_infra import policy, ui
from deployment_infra import settings as settings_mod
from deployment_infra.commands.common import context, stack
from deployment_infra.errors import InfraError, UsageError
from deployment_infra.ops.data_flows import build_document
from deployment_infra.ops.data_flows_render import COMMAND, Sources
from deployment_infra.settings import Settings

DATA_FLOWS = Path("docs/data-flows.md")


def parse_plan_files(values: list[str], settings: Settings) -> dict[str, Path]:
    """`ENV=PATH` options -> {environment: path}; a UsageError for anything else."""
    found: dict[str, Path] = {}
    for value in values:
        env, sep, path = value.partition("=")
        if not sep or not env or not path:
            raise UsageError(f"--plan-file {value!r}: expected ENV=PATH, e.g. dev=.infra/local/dev/plan.json")
        settings.environment(env)  # an unknown environment names the valid ones
        if env in found:
            raise UsageError(f"--plan-file: {env} is given twice")
        found[env] = Path(path)
    return found


def check_out(path: Path) -> Path:
    """`--out` as a file that can be written: not a directory, below directories (UsageError)."""
    try:
        usable = not path.is_dir()
        ancestor = path.absolute().parent
        while usable and not ancestor.exists():  # missing directories are created
            ancestor = ancestor.parent
        usable = usable and ancestor.is_dir() and len(path.name.encode(errors="surrogateescape")) <= 255
    except OSError:  # e.g. a name too long for the file system
        usable = False
    if not usable:
        raise UsageError(f"--out {str(path)[:200]}: not a file that can be written")
    return path


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def data_flows(check: bool, plan_files: list[str], out: Path | None, target: str) -> int:
    s = settings_mod.load()
    given = parse_plan_files(plan_files, s)
    path = check_out(out) if out is not None else s.root / DATA_FLOWS
    # every given plan is read before anything is planned: bad input costs nothing
    plans: dict[str, dict[str, Any]] = {env: policy.load_plan_file(p) for env, p in given.items()}
    missing = [env for env in s.environments if env not in given]
    if missing:
        ui.step(f"data flows: planning {', '.join(missing)} ({target})")
        ctx = context(target)
        for env in missing:
            st = stack(ctx, env)
            # the same saved plan `infra plan` makes (and gates); terraform runs only in terraform.py
            outcome = st.plan()
            if outcome.violations:
                ui.warn(
                    f"the plan for {env} fails the policy gate ({len(outcome.violations)} violation(s), "
                    "see `infra plan`): documented anyway, but it cannot be applied"
                )
            try:
                plans[env] = policy.load_plan_file(st.work.plan_json)
            except UsageError as exc:
                raise InfraError(f"the plan for {env} could not be read back: {exc}") from None
    sources = Sources(
        register_file=_relative(s.register_path, s.root) if s.register_path else "(none)",
        roots={name: _relative(env.path, s.root) for name, env in s.environments.items()},
    )
    regions: dict[str, str | None] = {name: env.region for name, env in s.environments.items()}
    text = build_document(plans, policy.PolicyContext.from_settings(s), regions, sources)
    shown = _relative(path, s.root)
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if check:
        if current != text:
            again = COMMAND if out is None else f"{COMMAND} --out {out}"
            ui.error(f"{shown} is stale: run `{again}`")
            return 1
        ui.ok(f"{shown} is current ({len(plans)} environments)")
        return 0
    if current == text:
        ui.ok(f"{shown} is already current ({len(plans)} environments)")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    ui.ok(f"wrote {shown} ({len(plans)} environments)")
    return 0
