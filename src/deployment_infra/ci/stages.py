"""Which steps make up each stage, and running a stage on a directory."""

from __future__ import annotations

from pathlib import Path

from deployment_infra import ui
from deployment_infra.ci import config, container, findings, lint, project, security, testing, workflows
from deployment_infra.ci.model import STAGES, StageContext, StageReport, Step, StepResult, on_github_actions
from deployment_infra.errors import UsageError

STEPS: dict[str, tuple[Step, ...]] = {
    "lint": (*lint.STEPS, *container.LINT_STEPS, *workflows.LINT_STEPS),
    "test": testing.STEPS,
    "security": security.STEPS,
    "build": container.BUILD_STEPS,
}


def work_dir(proj_root: Path, path: Path, stage: str) -> Path:
    rel = path.relative_to(proj_root) if path.is_relative_to(proj_root) else Path(path.name)
    slug = "-".join(rel.parts) or "root"
    d = proj_root / ".infra" / "ci" / slug / stage
    d.mkdir(parents=True, exist_ok=True)
    return d


def run_stage(stage: str, path: Path, *, quiet: bool = False) -> StageReport:
    """Run every step of `stage` that applies to `path`; bad input raises UsageError before any step."""
    if stage not in STAGES:
        raise UsageError(f"unknown stage {stage!r}: choose one of {', '.join(STAGES)}")
    proj = project.detect(path)
    steps = [s for s in STEPS[stage] if s.applies(proj)]
    if not steps:
        raise UsageError(
            f"--path {path}: nothing for the {stage} stage here (found: {', '.join(sorted(proj.kinds))})"
        )
    cfg = config.config_dir(proj)
    # a malformed ci/ file is bad input for every stage, before any work
    config.coverage_threshold(cfg)
    findings.load_config(cfg)
    ctx = StageContext(
        project=proj,
        config_dir=cfg,
        work=work_dir(proj.root, proj.path, stage),
        on_github=on_github_actions(),
    )
    results: list[StepResult] = []
    for s in steps:
        if not quiet:
            ui.step(f"{stage}: {s.name} ({proj.path})")
        result = s.run(ctx)
        results.append(result)
        if not quiet:
            _show_progress(result)
    return StageReport(stage=stage, path=proj.path, results=tuple(results), on_github=ctx.on_github)


def _show_progress(r: StepResult) -> None:
    line = f"{r.step}: {r.status}: {r.summary} ({r.seconds:.1f} s)"
    if r.status == "passed":
        ui.ok(line)
    elif r.status == "not run":
        ui.warn(line)
    else:
        ui.error(line)
        for d in r.details[:30]:
            ui.detail(d)
