"""Security stage: secrets, dependency audit, IaC and code scanning.

Every step turns its scanner's output into findings and lets `findings.evaluate` decide with
ci/security.toml (threshold, severities, reasoned suppressions) and the reviewed baselines: the
step fails iff an unsuppressed, unaccepted finding at or above the threshold exists. Accepted and
suppressed findings are listed in the step's details and data, never dropped. A scanner that cannot
get its data here (an advisory service offline) is `not run`, accepted only off GitHub Actions.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deployment_infra.ci import audit, checkov, process, secrets
from deployment_infra.ci.findings import (
    Accepted,
    Evaluation,
    Finding,
    SecurityConfig,
    evaluate,
    load_config,
    normalize,
)
from deployment_infra.ci.findings import load_baseline as load_json_baseline
from deployment_infra.ci.model import Project, StageContext, Status, Step, StepResult
from deployment_infra.ci.project import SKIP_DIRS

DETAIL_LIMIT = 400  # lines of details per step; the data keeps everything


def _result(
    step: str,
    tool: str,
    start: float,
    findings: Iterable[Finding],
    config: SecurityConfig,
    *,
    scanners: set[str],
    accepted: Iterable[Accepted] = (),
    notes: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
) -> tuple[StepResult, Evaluation]:
    """The step's result from the evaluation of its findings (status passed or failed)."""
    ev = evaluate(findings, config, dt.date.today(), accepted, scanners)
    thresholds = sorted({f"{s} {config.threshold_for(s)}" for s in scanners})
    parts = [f"{len(ev.blocking)} blocking (threshold: {', '.join(thresholds)})"]
    if ev.accepted:
        parts.append(f"{len(ev.accepted)} accepted by baseline")
    if ev.suppressed:
        parts.append(f"{len(ev.suppressed)} suppressed")
    if ev.below_threshold:
        parts.append(f"{len(ev.below_threshold)} below threshold")
    if ev.expired_suppressions:
        parts.append(f"{len(ev.expired_suppressions)} expired suppressions")
    details = [
        *(f"BLOCKING {f.describe()}" for f in ev.blocking),
        *(f"expired suppression, no longer applies: {s.describe()}" for s in ev.expired_suppressions),
        *(f"accepted ({a.reason}): {f.describe()}" for f, a in ev.accepted),
        *(f"suppressed ({s.reason}): {f.describe()}" for f, s in ev.suppressed),
        *(f"baseline entry matches nothing now (remove it): {a.describe()}" for a in ev.unused_baseline),
        *notes,
    ]
    if len(details) > DETAIL_LIMIT:
        details = [*details[:DETAIL_LIMIT], f"... {len(details) - DETAIL_LIMIT} more lines in data"]
    data: dict[str, Any] = {
        "config": config.source,
        "thresholds": {s: config.threshold_for(s) for s in sorted(scanners)},
        "blocking": [f.to_dict() for f in ev.blocking],
        "accepted": [{**f.to_dict(), "reason": a.reason} for f, a in ev.accepted],
        "suppressed": [{**f.to_dict(), "reason": s.reason} for f, s in ev.suppressed],
        "below_threshold": [f.to_dict() for f in ev.below_threshold],
        "expired_suppressions": [s.describe() for s in ev.expired_suppressions],
        "unused_baseline": [a.describe() for a in ev.unused_baseline],
        **(extra or {}),
    }
    status: Status = "failed" if ev.failed else "passed"
    return (
        StepResult(
            step=step,
            status=status,
            summary="; ".join(parts),
            tool=tool,
            seconds=time.monotonic() - start,
            details=tuple(details),
            data=data,
        ),
        ev,
    )


def _broken(step: str, tool: str, start: float, why: str, tail: Iterable[str] = ()) -> StepResult:
    return StepResult(step, "failed", why, tool, time.monotonic() - start, tuple(tail))


def _in_scope(entries: Iterable[Accepted], project: Project) -> tuple[Accepted, ...]:
    """Baseline entries for files under --path (the rest cannot match, so they are not stale)."""
    rel = project.path.relative_to(project.root).as_posix() if project.path != project.root else ""
    return tuple(a for a in entries if not rel or a.location == rel or a.location.startswith(rel + "/"))


class SecretsScan:
    name = "secrets"

    def applies(self, project: Project) -> bool:
        return True

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        config = load_config(ctx.config_dir)
        try:
            tool, found, accepted, count = secrets.scan(ctx.project, config, ctx.work)
        except RuntimeError as exc:
            return _broken(self.name, "detect-secrets", start, str(exc))
        result, _ = _result(
            self.name,
            tool,
            start,
            found,
            config,
            scanners={secrets.SCANNER},
            accepted=accepted,
            extra={"files_scanned": count},
        )
        return result


class DependencyAudit:
    name = "dependencies"

    def applies(self, project: Project) -> bool:
        return bool(project.kinds & {"typescript", "python"})

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        config = load_config(ctx.config_dir)
        audits: list[audit.Audit] = []
        if "typescript" in ctx.project.kinds:
            audits.append(audit.npm_audit(ctx.project, config))
        if "python" in ctx.project.kinds:
            audits.append(audit.pip_audit(ctx.project, config))
        tool = ", ".join(a.tool for a in audits)
        ran = [a for a in audits if a.outcome == "ran"]
        result, ev = _result(
            self.name,
            tool,
            start,
            [f for a in ran for f in a.findings],
            config,
            scanners={a.scanner for a in audits},
            notes=[n for a in audits for n in a.notes],
            extra={
                "audits": {
                    a.scanner: {"outcome": a.outcome, "reason": a.reason, "audited": a.audited}
                    for a in audits
                }
            },
        )
        broken = [a for a in audits if a.outcome == "error"]
        offline = [a for a in audits if a.outcome == "not run"]
        why = "; ".join(f"{a.scanner}: {a.reason}" for a in (*broken, *offline))
        if broken or ev.failed:
            summary = "; ".join(p for p in (result.summary if ran else "", why) if p)
            return _replace(result, "failed", summary, tail=[t for a in broken for t in a.tail])
        if offline:
            # only network-class failures end here: the GitHub workflow runs these audits for real
            summary = f"{why}; {result.summary}" if ran else why
            return _replace(result, "not run", summary, runs_on_github=True)
        return result


def _replace(
    r: StepResult, status: Status, summary: str, *, tail: Iterable[str] = (), runs_on_github: bool = False
) -> StepResult:
    return StepResult(r.step, status, summary, r.tool, r.seconds, (*r.details, *tail), runs_on_github, r.data)


class IacScan:
    name = "iac"

    def applies(self, project: Project) -> bool:
        return bool(project.kinds & {"terraform", "docker", "workflows"})

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        config = load_config(ctx.config_dir)
        kinds = checkov.frameworks(ctx.project.path, ctx.project.kinds)
        exe, why = checkov.install_checkov()
        if exe is None:
            return _broken(
                self.name, f"checkov {checkov.CHECKOV_VERSION}", start, f"checkov unavailable: {why}"
            )
        tool = f"checkov {checkov.installed_version(exe.parent.parent)} ({', '.join(kinds)})"
        run = checkov.run_checkov(exe, ctx.project, kinds, config)
        if run.error:
            return _broken(self.name, tool, start, run.error, run.tail)
        baseline = config.baselines.get(checkov.SCANNER)
        accepted = load_json_baseline(baseline, checkov.SCANNER) if baseline else ()
        result, _ = _result(
            self.name,
            tool,
            start,
            run.findings,
            config,
            scanners={checkov.SCANNER},
            accepted=_in_scope(accepted, ctx.project),
            notes=[f"inline suppression: {s}" for s in run.inline_skips],
            extra={"frameworks": run.summary, "inline_suppressions": run.inline_skips},
        )
        return result


class CodeScan:
    name = "code"

    def applies(self, project: Project) -> bool:
        return "python" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        config = load_config(ctx.config_dir)
        exe = process.find_tool("bandit")
        if exe is None:
            return _broken(self.name, "bandit", start, "bandit is not installed (pip install -e '.[dev]')")
        tool = (process.version_of([str(exe), "--version"], ctx.project.path) or "bandit").split("\n")[0]
        src = ctx.project.path / "src"
        targets = [src] if src.is_dir() else [ctx.project.path]
        excluded = ",".join(f"*/{d}/*" for d in sorted(SKIP_DIRS | {"tests"}))
        # --ignore-nosec: every exception lives in ci/security.toml, with a reason and an expiry
        done = process.run(
            [str(exe), "-r", *map(str, targets), "-f", "json", "-q", "--ignore-nosec", "-x", excluded],
            ctx.project.path,
            timeout=900,
        )
        try:
            if done.returncode not in (0, 1):
                raise ValueError(f"exit {done.returncode}")
            found = bandit_findings(done.stdout, ctx.project.root, config)
        except (ValueError, KeyError, TypeError) as exc:
            return _broken(self.name, tool, start, f"bandit produced no report ({exc})", done.tail())
        result, _ = _result(self.name, tool, start, found, config, scanners={"bandit"})
        return result


def bandit_findings(stdout: str, root: Path, config: SecurityConfig) -> list[Finding]:
    """bandit's JSON: its issues, and files it could not scan (those fail closed)."""
    doc = json.loads(stdout)
    out = []

    def rel(name: str) -> str:
        p = Path(name).resolve()
        return p.relative_to(root).as_posix() if p.is_relative_to(root) else name

    for r in doc["results"]:
        rule = str(r["test_id"])
        out.append(
            Finding(
                scanner="bandit",
                rule=rule,
                severity=normalize(str(r.get("issue_severity", ""))) or config.severity_for("bandit", rule),
                location=rel(str(r["filename"])),
                message=f"{r.get('issue_text', '')} ({r.get('test_name', '')}, confidence "
                f"{str(r.get('issue_confidence', '?')).lower()})",
                line=int(r.get("line_number", 0)),
            )
        )
    for e in doc.get("errors", []):
        rule = "BANDIT_SCAN_ERROR"
        out.append(
            Finding(
                "bandit",
                rule,
                config.severity_for("bandit", rule),
                rel(str(e.get("filename", "?"))),
                f"bandit could not scan this file: {e.get('reason', '')}",
            )
        )
    return out


STEPS: tuple[Step, ...] = (SecretsScan(), DependencyAudit(), IacScan(), CodeScan())
