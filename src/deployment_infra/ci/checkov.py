"""checkov: installed in a venv of its own, run once per directory over every framework present.

checkov pins versions of python-hcl2 and others that clash with ours, so it never goes into the
project's venv: it lives in <checkout>/.infra/checkov-venv (or ~/.cache/deployment-infra/ when
`infra` runs from an installed wheel), created on first use from the pinned version below.

It runs with `--skip-download` (no network, and the same catalogue on every machine): checkov then
reports no severities, so they come from ci/security.toml (`[scanner.checkov]`, fail closed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployment_infra.ci import process
from deployment_infra.ci.findings import Finding, SecurityConfig, normalize
from deployment_infra.ci.model import Project
from deployment_infra.ci.project import SKIP_DIRS, walk, workflow_files

CHECKOV_VERSION = "3.3.30"
SCANNER = "checkov"
# directories checkov must not descend into (same list as project detection, as a path regex)
SKIP_PATH = "(^|/)(" + "|".join(re.escape(d) for d in sorted(SKIP_DIRS)) + ")(/|$)"
_MODULE_PREFIX = re.compile(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+")
_NO_REASON = {"", "no comment provided"}  # what checkov records for `#checkov:skip=ID` alone


def venv_dir() -> Path:
    """<checkout>/.infra/checkov-venv from a source checkout, else a per-user cache directory."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "deployment_infra").is_dir():
        return checkout / ".infra" / "checkov-venv"
    return Path.home() / ".cache" / "deployment-infra" / "checkov-venv"


def installed_version(venv: Path) -> str:
    """The checkov version installed in `venv` ("" when none), from its dist-info directory."""
    for info in sorted(venv.glob("lib/python*/site-packages/checkov-*.dist-info")):
        return info.name.removeprefix("checkov-").removesuffix(".dist-info")
    return ""


def install_checkov(venv: Path | None = None) -> tuple[Path | None, str]:
    """checkov CHECKOV_VERSION in `venv` (created or upgraded once, under a lock so that parallel
    runs wait for each other): its executable, or None and why not."""
    venv = venv or venv_dir()
    exe = venv / "bin" / "checkov"

    def ready() -> bool:
        return exe.exists() and installed_version(venv) == CHECKOV_VERSION

    if ready():
        return exe, ""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready():
            return exe, ""
        print(f"installing checkov {CHECKOV_VERSION} into {venv} (once)...", file=sys.stderr, flush=True)
        if not (venv / "bin" / "python").exists():
            made = subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
            )
            if made.returncode != 0:
                return None, f"python -m venv {venv} failed: {made.stderr.strip()[-300:]}"
        pip = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"checkov=={CHECKOV_VERSION}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if pip.returncode != 0 or not ready():
            return None, f"pip install checkov=={CHECKOV_VERSION} failed: {pip.stderr.strip()[-300:]}"
    return exe, ""


def ensure_checkov() -> Path | None:
    """checkov in its own venv (it clashes with python-hcl2); None when it cannot be installed."""
    return install_checkov()[0]


def frameworks(path: Path, kinds: frozenset[str]) -> list[str]:
    """The checkov frameworks for what `path` holds: Terraform, GitHub workflows, Dockerfiles."""
    out = []
    if "terraform" in kinds:
        out.append("terraform")
    if workflow_files(path):
        out.append("github_actions")
    if "docker" in kinds or next(walk(path, "Dockerfile"), None) is not None:
        out.append("dockerfile")
    return out


@dataclass
class CheckovRun:
    findings: list[Finding] = field(default_factory=list)
    inline_skips: list[str] = field(default_factory=list)  # reasoned `#checkov:skip`s, one line each
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)  # per framework
    error: str = ""  # checkov did not produce a report
    tail: tuple[str, ...] = ()


def _reports(stdout: str) -> Iterator[dict[str, Any]]:
    doc = json.loads(stdout)
    for report in doc if isinstance(doc, list) else [doc]:
        if isinstance(report, dict):
            yield report


def _relative(file: str, root: Path) -> str:
    p = Path(file)
    return p.relative_to(root).as_posix() if p.is_absolute() and p.is_relative_to(root) else file


def parse(stdout: str, root: Path, config: SecurityConfig) -> CheckovRun:
    """Findings of checkov's JSON: failed checks, parse errors, and `#checkov:skip`s without a reason."""
    run = CheckovRun()
    for report in _reports(stdout):
        kind = str(report.get("check_type", "unknown"))
        run.summary[kind] = dict(report.get("summary", {}))
        results = report.get("results", {})
        for check in results.get("failed_checks", []):
            run.findings.append(_finding(check, kind, root, config, str(check.get("check_name", ""))))
        for check in results.get("skipped_checks", []):
            comment = str(check.get("check_result", {}).get("suppress_comment", "")).strip()
            if comment.lower() in _NO_REASON:
                run.findings.append(
                    _finding(check, kind, root, config, "#checkov:skip without a reason (add one)")
                )
            else:
                f = _finding(check, kind, root, config, comment)
                run.inline_skips.append(f"{f.rule} {f.where} {f.resource}: {comment}")
        for file in results.get("parsing_errors", []):
            rule = "CHECKOV_PARSE_ERROR"
            run.findings.append(
                Finding(
                    SCANNER,
                    rule,
                    config.severity_for(SCANNER, rule),
                    _relative(str(file), root),
                    f"checkov could not parse this {kind} file, so nothing in it was checked",
                )
            )
    return run


def _finding(check: dict[str, Any], kind: str, root: Path, config: SecurityConfig, message: str) -> Finding:
    rule = str(check.get("check_id", "?"))
    given = normalize(str(check.get("severity") or ""))
    lines = check.get("file_line_range") or [0]
    file = str(check.get("file_abs_path") or check.get("repo_file_path") or check.get("file_path", ""))
    return Finding(
        scanner=SCANNER,
        rule=rule,
        # ci/security.toml's map first: offline checkov knows the severity of only a few checks
        severity=config.severity_map.get(SCANNER, {}).get(rule)
        or given
        or config.severity_for(SCANNER, rule),
        location=_relative(file, root),
        message=f"{check.get('resource', '')}: {message} [{kind}]",
        line=int(lines[0]) if lines and isinstance(lines[0], int) else 0,
        resource=_resource(check),
    )


def _resource(check: dict[str, Any]) -> str:
    """The resource as its own file names it, so that a baseline key is the same whether checkov
    ran on the repository (module.cdn.aws_s3_bucket.x via a caller) or on the module alone
    (aws_s3_bucket.x), and for a Dockerfile wherever -d pointed ("/a/Dockerfile.FROM" -> "FROM")."""
    resource = _MODULE_PREFIX.sub("", str(check.get("resource", "")))
    prefix = f"{check.get('file_path', '')}."
    return resource.removeprefix(prefix) if resource.startswith("/") else resource


def run_checkov(exe: Path, project: Project, kinds: list[str], config: SecurityConfig) -> CheckovRun:
    """One checkov invocation over `project.path` for every framework in `kinds`."""
    argv = [
        str(exe),
        "-d",
        str(project.path),
        "--framework",
        *kinds,
        "--skip-download",
        "--compact",
        "--skip-path",
        SKIP_PATH,
        "-o",
        "json",
    ]
    # checkov warns about its own regex handling on stderr; the report is stdout
    done = process.run(argv, project.path, timeout=1200, env={"LOG_LEVEL": "ERROR"})
    with contextlib.suppress(ValueError):
        if done.returncode in (0, 1):
            return parse(done.stdout, project.root, config)
    return CheckovRun(error=f"checkov exited {done.returncode} without a JSON report", tail=done.tail())


def main(argv: list[str] | None = None) -> int:
    """`python -m deployment_infra.ci.checkov --path . --accept REASON`: add the findings that block
    now to the checkov baseline of ci/security.toml (after review: the command lists them)."""
    import argparse
    import datetime as dt

    from deployment_infra.ci import config as ci_config
    from deployment_infra.ci import project as ci_project
    from deployment_infra.ci.findings import evaluate, load_baseline, load_config

    parser = argparse.ArgumentParser(prog="python -m deployment_infra.ci.checkov")
    parser.add_argument("--path", type=Path, default=Path("."))
    parser.add_argument("--accept", metavar="REASON", required=True, help="why they are accepted for now")
    args = parser.parse_args(argv)
    proj = ci_project.detect(args.path)
    config = load_config(ci_config.config_dir(proj))
    baseline = config.baselines.get(SCANNER)
    if baseline is None or not args.accept.strip():
        parser.error(f"needs a [baseline] {SCANNER} file in {config.source} and a non-empty --accept")
    exe, why = install_checkov()
    if exe is None:
        parser.error(why)
    run = run_checkov(exe, proj, frameworks(proj.path, proj.kinds), config)
    if run.error:
        parser.error(run.error)
    known = load_baseline(baseline, SCANNER)
    ev = evaluate(run.findings, config, dt.date.today(), known, {SCANNER})
    for f in ev.blocking:
        print(f"accepted: {f.describe()}")
    doc = json.loads(baseline.read_text(encoding="utf-8"))
    new = {(f.rule, f.location, f.resource): f for f in ev.blocking}
    reason = {} if args.accept.strip() == doc.get("reason") else {"reason": args.accept.strip()}
    doc["accepted"] += [
        {"rule": f.rule, "location": f.location, "resource": f.resource, "note": f.message, **reason}
        for f in new.values()
    ]
    doc["accepted"].sort(key=lambda e: (e["location"], e["resource"], e["rule"]))
    baseline.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
